"""The data layer's plans: one frozen value per object a city renders, every decision already made.

The constructs in `constructs/data/` turn each plan into exactly one Kubernetes object and decide
nothing; `model/data/resolve.py` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nusantara_fleet.model.pods import Claim, PodPlan

DatabaseRole = Literal["primary", "replica", "reporting", "restore"]
MemberKind = Literal["member", "reporting", "restore"]
FailoverMode = Literal["quorum", "standby-clusters"]


@dataclass(frozen=True)
class Identity:
    """What an object's name and labels say: its name, the app it belongs to, the version it runs.

    `role` and `cluster` are set on Patroni objects only: the database-role and Patroni-scope labels.
    """

    name: str
    app: str
    version: str
    role: DatabaseRole | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class StorageClassPlan:
    identity: Identity
    provisioner: str
    parameters: dict[str, str]
    reclaim_policy: Literal["Retain"]
    binding_mode: Literal["WaitForFirstConsumer"]
    expandable: bool


@dataclass(frozen=True)
class SecretPlan:
    """An ExternalSecret: `properties` of `store_key` in the store become the Secret's keys."""

    identity: Identity
    store: str
    store_key: str
    properties: tuple[str, ...]
    refresh: str


@dataclass(frozen=True)
class PolicyRule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountPlan:
    """A ServiceAccount with its Role and RoleBinding in the data namespace."""

    identity: Identity
    rules: tuple[PolicyRule, ...]


@dataclass(frozen=True)
class ConfigPlan:
    """A ConfigMap: the data is final text (Patroni configs, scripts), its checksum rolls the pods reading it."""

    identity: Identity
    data: dict[str, str]
    checksum: str


@dataclass(frozen=True)
class StatefulSetPlan:
    """A StatefulSet: Patroni members of one kind in one city, or the city's etcd member.

    `config_checksum`, when set, rolls the pods when the ConfigMap they read changes.
    """

    identity: Identity
    replicas: int
    service: str
    config_checksum: str | None
    pod: PodPlan
    claim: Claim


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int


@dataclass(frozen=True)
class ServicePlan:
    """A data-layer Service; `dns_host` publishes it across cities (external-dns, with `dns_ttl`)."""

    identity: Identity
    selector: dict[str, str]
    ports: tuple[ServicePort, ...]
    headless: bool
    publish_not_ready: bool
    dns_host: str | None
    dns_ttl: int | None
    runtime_labels: tuple[str, ...]  # selector keys a controller sets at run time (Patroni's role label)


@dataclass(frozen=True)
class DisruptionPlan:
    identity: Identity
    selector: dict[str, str]
    max_unavailable: int
    unhealthy_eviction: Literal["AlwaysAllow"]


@dataclass(frozen=True)
class IngressPlan:
    """A NetworkPolicy admitting `ports` on the pods matching `pod_selector` from the listed peers.

    Peers in this namespace (`same_namespace`) and the apps namespace are named by selector; traffic
    from another city's cluster arrives from its pod network and is matched by CIDR.
    """

    identity: Identity
    pod_selector: dict[str, str]
    same_namespace: bool
    namespaces: tuple[str, ...]
    cidrs: tuple[str, ...]
    ports: tuple[int, ...]


@dataclass(frozen=True)
class DefaultDenyPlan:
    identity: Identity


@dataclass(frozen=True)
class CronJobPlan:
    identity: Identity
    schedule: str
    time_zone: str
    starting_deadline_seconds: int | None
    active_deadline_seconds: int | None
    backoff_limit: int
    history: int
    pod: PodPlan


@dataclass(frozen=True)
class JobPlan:
    identity: Identity
    backoff_limit: int
    pod: PodPlan


@dataclass(frozen=True)
class CityDataPlan:
    """Every data-layer object of one city, in the order they are rendered."""

    storage_class: StorageClassPlan
    secrets: tuple[SecretPlan, ...]
    accounts: tuple[AccountPlan, ...]
    configs: tuple[ConfigPlan, ...]
    member_sets: tuple[StatefulSetPlan, ...]
    disruption: DisruptionPlan
    services: tuple[ServicePlan, ...]
    default_deny: DefaultDenyPlan
    ingress: tuple[IngressPlan, ...]
    etcd: StatefulSetPlan | None
    cron_jobs: tuple[CronJobPlan, ...]
    jobs: tuple[JobPlan, ...]
