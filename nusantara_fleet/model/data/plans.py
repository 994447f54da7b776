"""The data layer's plans: one frozen value per object a city renders, every decision already made.

The constructs in `constructs/data/` turn each plan into exactly one Kubernetes object and decide
nothing; `model/data/resolve.py` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nusantara_fleet.model.pods import Claim, PodPlan

DatabaseRole = Literal["primary", "replica", "reporting", "restore"]
MemberKind = Literal["member", "reporting", "restore"]
FailoverMode = Literal["quorum", "standby-clusters"]
CertificateUsage = Literal["server", "client"]
Protocol = Literal["TCP", "UDP"]


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
class CertificateUse:
    """What a certificate in a TLS Secret must say, for whoever issues it into the store: the DNS names its
    clients verify (none where no client checks a name) and whether it serves, identifies a client, or both."""

    dns_names: tuple[str, ...]
    usages: tuple[CertificateUsage, ...]


@dataclass(frozen=True)
class SecretPlan:
    """An ExternalSecret: `properties` of `store_key` in the store become the Secret's keys.

    `certificate` is set on the TLS Secrets: what the certificate stored there must carry.
    """

    identity: Identity
    store: str
    store_key: str
    properties: tuple[str, ...]
    refresh: str
    certificate: CertificateUse | None = None


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
    """A ConfigMap: the data is final text (Patroni configs, scripts); its checksum, of what the pods reading it
    take only when they start, rolls them when that changes."""

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
class PodSelector:
    """Pods by label: every pair of `labels` matches and every key of `present` is set (empty: all pods)."""

    labels: dict[str, str] = field(default_factory=dict)
    present: tuple[str, ...] = ()


@dataclass(frozen=True)
class Peer:
    """One end of a connection: pods of a namespace (`namespace` None: the policy's own; `pods` None: all of
    them), or, for `cidr`, addresses outside the cluster minus `excluded`.

    CNIs such as Cilium do not match in-cluster pod IPs against CIDRs, so peers in the city are always
    named by selector; another city's pods arrive from its pod network and are matched by CIDR.
    """

    namespace: str | None = None
    pods: PodSelector | None = None
    cidr: str | None = None
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrafficRule:
    peers: tuple[Peer, ...]
    ports: tuple[int, ...]
    protocols: tuple[Protocol, ...] = ("TCP",)


@dataclass(frozen=True)
class NetworkPolicyPlan:
    """A NetworkPolicy of the data namespace: the pods it selects, what they may receive and what they may
    send. A direction set to None is not restricted by this policy; an empty one denies it."""

    identity: Identity
    pod_selector: PodSelector
    ingress: tuple[TrafficRule, ...] | None
    egress: tuple[TrafficRule, ...] | None


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
    """A Job; `hook` set: an Argo CD hook of that phase, created anew on every sync (`hook_delete_policy`)."""

    identity: Identity
    backoff_limit: int
    pod: PodPlan
    hook: Literal["Sync"] | None = None
    hook_delete_policy: Literal["BeforeHookCreation"] | None = None


@dataclass(frozen=True)
class HookJobPlan:
    """A Job Argo CD runs as a hook of the city's sync (`phase`), recreated on every sync (`delete_policy`)."""

    job: JobPlan
    phase: Literal["Sync"]
    delete_policy: Literal["BeforeHookCreation"]

    @property
    def identity(self) -> Identity:
        return self.job.identity


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
    network_policies: tuple[NetworkPolicyPlan, ...]
    etcd: StatefulSetPlan | None
    cron_jobs: tuple[CronJobPlan, ...]
    jobs: tuple[JobPlan, ...]
    hooks: tuple[HookJobPlan, ...] = ()
