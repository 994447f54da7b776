"""What a pod the model plans is made of: containers, their environment, volumes and claims.

Plain frozen values: the model fills them with its decisions, `constructs/pod.py` turns them into
Kubernetes pod specs. This module imports only the input specs and the naming module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nusantara_fleet.model.cities import Pool
from nusantara_fleet.model.spec.platform import ContainerResources

PullPolicy = Literal["IfNotPresent", "Always"]
ProbeScheme = Literal["HTTP", "HTTPS"]


@dataclass(frozen=True)
class SecretKey:
    secret: str
    key: str


@dataclass(frozen=True)
class ConfigMapKey:
    config_map: str
    key: str


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: a literal, a field of the pod itself, or a key of a Secret or ConfigMap."""

    name: str
    value: str | None = None
    field_path: str | None = None
    secret: SecretKey | None = None
    config_map: ConfigMapKey | None = None


@dataclass(frozen=True)
class Mount:
    volume: str
    path: str
    read_only: bool = False


@dataclass(frozen=True)
class Volume:
    """A pod volume: a ConfigMap's or Secret's keys (all, or `items`), or a scratch directory."""

    name: str
    config_map: str | None = None
    secret: str | None = None
    items: tuple[str, ...] = ()
    mode: int | None = None
    size_limit: str | None = None  # an emptyDir when neither config_map nor secret is set
    memory: bool = False


@dataclass(frozen=True)
class Probe:
    """An HTTP probe on a named or numbered port, with its timing; HTTPS where the port serves only TLS
    (the kubelet does not verify the certificate)."""

    path: str
    port: str | int
    period_seconds: int
    timeout_seconds: int
    failure_threshold: int
    initial_delay_seconds: int | None = None
    scheme: ProbeScheme = "HTTP"


@dataclass(frozen=True)
class Port:
    name: str
    number: int


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    pull_policy: PullPolicy
    command: tuple[str, ...]
    resources: ContainerResources
    env: tuple[EnvVar, ...] = ()
    mounts: tuple[Mount, ...] = ()
    ports: tuple[Port, ...] = ()
    liveness: Probe | None = None
    readiness: Probe | None = None


@dataclass(frozen=True)
class PodPlan:
    """A pod template: where it runs, as whom, and what it holds.

    `account` None: the pod never talks to the Kubernetes API, so no token is mounted.
    `one_per_node`: required anti-affinity against pods carrying these labels (database members).
    """

    containers: tuple[Container, ...]
    volumes: tuple[Volume, ...]
    pool: Pool
    uid: int
    fs_group: bool
    account: str | None
    one_per_node: dict[str, str] | None = None
    termination_grace_seconds: int | None = None
    restart_never: bool = False


@dataclass(frozen=True)
class Spread:
    """A topology spread constraint: no domain of `key` holds more than `max_skew` replicas above the emptiest.

    `hard`: a pod waits rather than break it (DoNotSchedule); else the scheduler only prefers it
    (ScheduleAnyway). `honor_taints`: nodes the pod does not tolerate, such as a cordoned node being
    drained, are not domains, so its empty count never holds back the pods leaving it.
    """

    key: str
    max_skew: int
    hard: bool
    honor_taints: bool


@dataclass(frozen=True)
class Claim:
    """A StatefulSet's volumeClaimTemplate."""

    name: str
    size: str
    storage_class: str
