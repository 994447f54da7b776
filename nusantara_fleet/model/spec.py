"""What the files in `envs/` may say: the input schema, with every default and the reason for it.

`fleet.yaml` is read into `FleetSpec`; each `envs/<city>.yaml` into `CitySpec`. Cross-file rules
(one primary, rollout order, non-overlapping networks) live in `fleet.py`, which resolves these
specs into the per-city model the constructs render.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

ResourceClass = Literal["heavy", "medium", "light"]
DiskKind = Literal["hdd", "ssd", "nvme"]
Access = Literal["read", "write"]
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
RolloutStrategy = Literal["app-of-apps", "application-set"]

DNS_LABEL = r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$"
# A release tag as OCI allows it, minus the moving `latest` (never deployable: it pins nothing).
IMAGE_TAG = r"^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IPV4_CIDR = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"
HOSTNAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
SHA256_DIGEST = r"^sha256:[a-f0-9]{64}$"
# Five cron fields as Argo CD's sync windows accept them (no @descriptors).
CRON = r"^\S+( \S+){4}$"
GO_DURATION = r"^([0-9]+(h|m|s))+$"

CityName = Annotated[str, Field(pattern=DNS_LABEL, description="City name: a DNS label, e.g. `jakarta`.")]


class Spec(BaseModel):
    """Base for every input model: unknown keys fail loudly and parsed config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR such as 10.10.0.0/16") from exc
    if str(network) != value:
        raise ValueError(f"{value!r} has host bits set; write the network address {str(network)!r}")
    return value


class NodeSize(Spec):
    """One node of a hardware class."""

    vcpu: int = Field(ge=1, description="vCPUs per node.")
    memory_gib: int = Field(ge=1, description="Memory per node, GiB.")
    disk_gib: int = Field(ge=1, description="Local disk per node, GiB.")


class Hardware(Spec):
    """The design's hardware table: per-node size of each resource class."""

    heavy: NodeSize = NodeSize(vcpu=64, memory_gib=64, disk_gib=500)  # database nodes
    medium: NodeSize = NodeSize(vcpu=8, memory_gib=8, disk_gib=50)  # API and back-end nodes
    light: NodeSize = NodeSize(vcpu=4, memory_gib=4, disk_gib=50)  # reporting


class Quantity(Spec):
    cpu: str = Field(pattern=r"^[0-9]+m?$", description="CPU quantity, e.g. `500m` or `2`.")
    memory: str = Field(pattern=r"^[0-9]+(Mi|Gi)$", description="Memory quantity, e.g. `512Mi`.")


class ContainerResources(Spec):
    """Requests and limits a container of one resource class gets."""

    requests: Quantity
    limits: Quantity


class ResourceClasses(Spec):
    """Container sizing per class; limits stay well inside one node of the class's hardware."""

    heavy: ContainerResources = ContainerResources(
        requests=Quantity(cpu="8", memory="16Gi"), limits=Quantity(cpu="16", memory="32Gi")
    )  # a database member takes a quarter of a 64 vCPU / 64 GB node, half at peak
    medium: ContainerResources = ContainerResources(
        requests=Quantity(cpu="500m", memory="512Mi"), limits=Quantity(cpu="1", memory="1Gi")
    )  # two replicas plus a canary fit an 8 vCPU / 8 GB node with room for a drain
    light: ContainerResources = ContainerResources(
        requests=Quantity(cpu="250m", memory="256Mi"), limits=Quantity(cpu="500m", memory="512Mi")
    )  # reporting reads precomputed data


class PoolSpec(Spec):
    """A node pool as the fleet defines it for every city."""

    nodes: int = Field(ge=1, description="Nodes in the pool (a city file may override).")
    node_class: ResourceClass = Field(description="Hardware class of each node.")
    disk: DiskKind = Field(description="Disk kind of each node.")
    schedulable: bool = Field(description="Whether application or database pods may run here.")
    dedicated: bool = Field(description="Tainted so that only pods placed here on purpose run on it.")


class NodePools(Spec):
    """The three pools every city has."""

    control_plane: PoolSpec = PoolSpec(
        nodes=3, node_class="medium", disk="ssd", schedulable=False, dedicated=True
    )  # three members keep the API server's etcd quorum through one node loss; no workloads
    general: PoolSpec = PoolSpec(
        nodes=2, node_class="medium", disk="ssd", schedulable=True, dedicated=False
    )  # two nodes let the two replicas of every service sit apart
    database: PoolSpec = PoolSpec(
        nodes=2, node_class="heavy", disk="nvme", schedulable=True, dedicated=True
    )  # I/O-intensive PostgreSQL on local NVMe


class GateWindowSpec(Spec):
    """The AppProject sync window that denies automatic syncs to the gated city and allows manual ones."""

    schedule: str = Field(
        default="* * * * *",
        pattern=CRON,
        description="Five-field cron at which the deny window opens "
        "(https://argo-cd.readthedocs.io/en/stable/user-guide/sync_windows/).",
    )  # opening every minute for longer than a minute keeps the deny window permanently active
    duration: str = Field(
        default="1h", pattern=GO_DURATION, description="How long each opening lasts, Go duration such as `1h`."
    )  # any duration above the one-minute period would do; an hour reads as "always" in `argocd proj windows list`
    time_zone: str = Field(
        default="Asia/Jakarta", description="IANA time zone the schedule is read in (Argo CD `timeZone`)."
    )  # the fleet's local time, so a narrower business-hours schedule reads naturally

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Jakarta") from exc
        return value


class RolloutSpec(Spec):
    order: list[CityName] = Field(min_length=1, description="Cities in rollout order; every city exactly once.")
    gated_city: CityName | None = Field(
        default=None,
        description="City that waits for a manual sync. Unset: the primary city (the gate follows it).",
    )
    strategy: RolloutStrategy = Field(
        default="app-of-apps",
        description="How Argo CD orders the cities: `app-of-apps` (child Applications in sync waves) or "
        "`application-set` (ApplicationSet Progressive Syncs, RollingSync steps).",
    )  # native Argo CD with no controller flag; Progressive Syncs is Beta and must be switched on
    repo_url: str = Field(
        default="https://github.com/nusantaramart/nusantara-fleet.git",
        pattern=r"^(https://|ssh://|git@)\S+$",
        description="Git repository Argo CD reads `dist/` from.",
    )  # this repository, where `dist/` is committed
    target_revision: str = Field(
        default="main",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
        description="Branch, tag or commit of `repo_url` Argo CD syncs.",
    )  # rendered manifests are merged to main after review; CI fails when dist/ is stale
    argocd_namespace: str = Field(
        default="argocd", pattern=DNS_LABEL, description="Namespace Argo CD runs in on the management cluster."
    )  # Argo CD's install manifests default
    cluster_server: str = Field(
        default="https://{city}.k8s.nusantaramart.internal:6443",
        pattern=r"^https://\S*\{city\}\S*$",
        description="API server URL of each city's cluster; `{city}` is replaced by the city name.",
    )  # one naming scheme for every city keeps the cluster Secrets uniform
    cluster_credentials: str = Field(
        default="nusantaramart/argocd/clusters",
        description="Key prefix in the secret store under which `<city>` holds that cluster's Argo CD `config`.",
    )  # one subtree for Argo CD's cluster credentials keeps the store's access policy to one rule
    release_managers: list[str] = Field(
        default=["nusantaramart:release-managers"],
        min_length=1,
        description="SSO groups of the AppProject role that alone may sync the gated city.",
    )  # the release-manager group of the organisation's SSO
    gate_window: GateWindowSpec = GateWindowSpec()


class HostsSpec(Spec):
    web: str = Field(pattern=HOSTNAME, description="Public web hostname.")
    api: str = Field(pattern=HOSTNAME, description="Public API hostname.")
    tls_secret: str = Field(
        default="edge-tls",
        pattern=DNS_LABEL,
        description="Secret (in the apps namespace) with the hosts' TLS certificate.",
    )  # one certificate covering both hosts, issued outside the fleet's manifests


class CapacitySpec(Spec):
    peak_rps: int = Field(default=3000, ge=1, description="Observed peak, requests per second.")
    headroom_min_pct: int = Field(default=30, ge=0, le=200, description="Lowest headroom over peak, %.")
    headroom_max_pct: int = Field(default=50, ge=0, le=200, description="Highest headroom over peak, %.")


class TargetsSpec(Spec):
    rto_seconds: int = Field(default=180, ge=1, description="Recovery time objective, seconds.")
    rpo_seconds: int = Field(default=10, ge=1, description="Recovery point objective, seconds.")


class SloSpec(Spec):
    success_pct: float = Field(default=99.6, gt=0, lt=100, description="Non-5xx share of requests, %.")
    latency_p95_ms: int = Field(default=300, ge=1, description="95th percentile latency bound, ms.")
    availability_pct: float = Field(default=99.95, gt=0, lt=100, description="Availability, %.")
    window_days: int = Field(default=30, ge=1, le=90, description="SLO window, days.")


class NamespacesSpec(Spec):
    apps: str = Field(default="shop", pattern=DNS_LABEL, description="Namespace of the services.")
    data: str = Field(default="data", pattern=DNS_LABEL, description="Namespace of the databases.")


FailoverMode = Literal["quorum", "standby-clusters"]
BackupTool = Literal["wal-g"]
IMAGE_REPOSITORY = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$"
QUANTITY_GI = r"^[1-9][0-9]*Gi$"


class FailoverSpec(Spec):
    """How a lost primary database is replaced; the timings feed `model/data.py`, which checks the RTO."""

    mode: FailoverMode = Field(
        default="quorum",
        description="`quorum`: one Patroni cluster across the cities on a three-city etcd, automatic failover. "
        "`standby-clusters`: one Patroni cluster per city on the Kubernetes API, cross-city promotion by "
        "changing `primary` (https://patroni.readthedocs.io/en/latest/ha_multi_dc.html).",
    )  # the design: a quorum vote promotes a replacement within the RTO without a person in the loop
    preference: list[CityName] = Field(
        default=[],
        description="Cities in the order they should take over the writes; the `primary` city always "
        "comes first whatever its position here, unlisted cities follow in rollout order.",
    )
    loop_wait_seconds: int = Field(
        default=10, ge=1, le=60, description="Patroni `loop_wait`: seconds between HA cycles."
    )  # Patroni's default; each cycle is a round trip to etcd across cities
    retry_timeout_seconds: int = Field(
        default=10, ge=3, le=120, description="Patroni `retry_timeout`: how long DCS and PostgreSQL calls retry, s."
    )  # rides out an etcd leader election on the WAN without demoting the primary
    promotion_seconds: int = Field(
        default=30,
        ge=1,
        description="Budget for promotion itself: end-of-recovery checkpoint, role label, endpoint and DNS move, s.",
    )  # a promote on NVMe takes seconds; the rest is the write Service's DNS record (TTL below) and reconnects
    dns_ttl_seconds: int = Field(
        default=10, ge=1, le=300, description="TTL of the cross-city database DNS records, s."
    )  # clients re-resolve the write endpoint well inside the promotion budget
    inter_city_rtt_ms: int = Field(
        default=20, ge=1, le=1000, description="Worst round trip between two cities, ms (tunes etcd)."
    )  # Jakarta to Surabaya over the carrier backbone measures 12-18 ms


class PostgresStorageSpec(Spec):
    """The `ssd-retain` StorageClass and the volumes made from it."""

    class_name: str = Field(default="ssd-retain", pattern=DNS_LABEL, description="StorageClass name.")  # issue
    provisioner: str = Field(
        default="topolvm.io",
        description="CSI provisioner of local SSD/NVMe volumes (https://github.com/topolvm/topolvm).",
    )  # TopoLVM carves LVM volumes out of the database nodes' NVMe and supports expansion
    parameters: dict[str, str] = Field(
        default={"csi.storage.k8s.io/fstype": "xfs"}, description="StorageClass parameters for the provisioner."
    )  # XFS is the filesystem PostgreSQL on Linux is most often benchmarked on
    size: str = Field(default="500Gi", pattern=QUANTITY_GI, description="Data volume per PostgreSQL member.")
    # ^ the design's 500 GB per database node
    etcd_size: str = Field(default="10Gi", pattern=QUANTITY_GI, description="Data volume per etcd member.")
    # ^ etcd's own guidance caps the keyspace at 8 GiB; Patroni keys take kilobytes


class BackupSpec(Spec):
    """Continuous WAL archiving and the daily base backup, per city to its own object storage."""

    tool: BackupTool = Field(default="wal-g", description="Backup tool in the PostgreSQL image.")
    # ^ WAL-G streams to S3-compatible storage and restores with parallel fetch; the image ships it
    schedule: str = Field(
        default="30 2 * * *", pattern=CRON, description="Five-field cron of the daily base backup."
    )  # 02:30 WIB: after the last store closes, before the first recap of the day
    time_zone: str = Field(default="Asia/Jakarta", description="IANA time zone of `schedule`.")
    # ^ every city is on WIB
    retain_full: int = Field(default=7, ge=1, le=90, description="Full base backups kept per city.")
    # ^ a week of daily backups: PITR to any point in the last seven days
    image: str = Field(
        default="registry.k8s.io/kubectl", pattern=IMAGE_REPOSITORY, description="Image of the backup CronJob."
    )  # the backup runs inside the reporting member (WAL-G reads PGDATA); the CronJob only execs it
    tag: str = Field(default="v1.28.15", pattern=IMAGE_TAG, description="Tag of the backup CronJob image.")
    # ^ matches the clusters' Kubernetes minor


class RecapSpec(Spec):
    """The periodic recap that refreshes the reporting materialized views on the primary."""

    schedule: str = Field(
        default="*/15 * * * *", pattern=CRON, description="Five-field cron of the recap."
    )  # reports are at most a quarter of an hour old; a refresh of one day's totals takes seconds
    database: str = Field(default="shop", pattern=DNS_LABEL, description="Database the services write to.")
    # ^ the services' database name


class SecretsSpec(Spec):
    """Where credentials come from: an ExternalSecret per Secret; no value is ever rendered."""

    store: str = Field(default="fleet-vault", pattern=DNS_LABEL, description="ClusterSecretStore name.")
    # ^ one store per cluster, installed with External Secrets Operator
    refresh: str = Field(default="1h", pattern=GO_DURATION, description="ExternalSecret refresh.")
    # ^ rotations reach pods within the hour; short enough, cheap for the store
    path: str = Field(
        default="nusantaramart/database", description="Key prefix of the database secrets in the store."
    )  # one subtree per concern keeps the store's access policies simple


class DatabaseSpec(Spec):
    """The PostgreSQL fleet: Patroni members per city, their DCS, failover, backups and endpoints."""

    postgres_port: int = Field(default=5432, ge=1, le=65535, description="PostgreSQL port.")  # the standard
    patroni_api_port: int = Field(
        default=8008, ge=1, le=65535, description="Patroni REST API port."
    )  # Patroni's default
    etcd_client_port: int = Field(default=2379, ge=1, le=65535, description="etcd client port.")  # IANA etcd
    etcd_peer_port: int = Field(default=2380, ge=1, le=65535, description="etcd peer port.")  # IANA etcd
    cross_city_domain: str = Field(
        default="db.nusantaramart.internal",
        pattern=HOSTNAME,
        description="DNS zone in which `<service>.<city>.<zone>` names a city's database from any city.",
    )
    image: str = Field(
        default="ghcr.io/nusantaramart/patroni",
        pattern=IMAGE_REPOSITORY,
        description="Image with Patroni, PostgreSQL and WAL-G (`patroni` on PATH, PostgreSQL in `bin_dir`).",
    )  # built from the Patroni and PostgreSQL packages the tests run, plus WAL-G
    tag: str = Field(
        default="4.0.7-pg15-walg3.0.7", pattern=IMAGE_TAG, description="Tag of `image`; never `latest`."
    )  # Patroni 4.0 for failover_priority and primary/replica labels
    postgres_major: int = Field(default=15, ge=13, le=18, description="PostgreSQL major version in the image.")
    # ^ the major the tests run against (Debian bookworm's postgresql-15)
    etcd_image: str = Field(default="quay.io/coreos/etcd", pattern=IMAGE_REPOSITORY, description="etcd image.")
    # ^ the etcd project's own image
    etcd_tag: str = Field(default="v3.5.21", pattern=IMAGE_TAG, description="Tag of `etcd_image`.")
    # ^ etcd 3.5: flags as in the 3.4 the tests run, plus the fixes since
    scope: str = Field(
        default="postgres", pattern=DNS_LABEL, description="Patroni scope; the per-city clusters add `-<city>`."
    )  # the cluster is PostgreSQL for the whole fleet
    reporting_members: int = Field(
        default=1, ge=1, le=3, description="Read-only reporting members per city (never leaders)."
    )  # one per city serves the report service and takes the base backups
    wal_bytes_per_second: int = Field(
        default=2 * 1024 * 1024,
        ge=1,
        description="Peak WAL generation of the primary, bytes/s (sizes the failover lag limit).",
    )  # 3000 RPS peak, about a tenth writes at ~5 KiB of WAL each: 1.5 MiB/s, rounded up
    max_slot_wal_keep_gib: int = Field(
        default=100, ge=1, description="WAL a replication slot may hold back for a lost city, GiB."
    )  # a fifth of the 500 Gi volume: half a day at peak before the lost city must re-clone
    failover: FailoverSpec = FailoverSpec()
    storage: PostgresStorageSpec = PostgresStorageSpec()
    backup: BackupSpec = BackupSpec()
    recap: RecapSpec = RecapSpec()
    secrets: SecretsSpec = SecretsSpec()


class RouteSpec(Spec):
    path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$", description="HTTP path prefix.")
    methods: list[HttpMethod] = Field(min_length=1, description="HTTP methods this route takes.")
    access: Access = Field(description="`write` routes are transactional and go to the primary city.")


class ServiceSpec(Spec):
    name: str = Field(pattern=DNS_LABEL, description="Service name; also the image name.")
    description: str = Field(default="", description="What the service does.")
    tag: str = Field(pattern=IMAGE_TAG, description="Image tag; never `latest`.")
    digest: str | None = Field(
        default=None, pattern=SHA256_DIGEST, description="Image digest; pins the image when given."
    )
    port: int = Field(ge=1024, le=65535, description="Container port (unprivileged).")
    health_path: str = Field(default="/check", description="Path of the health endpoint.")
    resource_class: ResourceClass = Field(description="Sizing class of the container.")
    routes: list[RouteSpec] = Field(default=[], description="Routes the service serves.")
    rps_per_pod: int = Field(
        default=500, ge=1, description="Requests per second one pod serves within the latency SLO."
    )  # the sizing figure for a medium (1 vCPU) API pod; replace it with the service's load-test result
    traffic_pct: int = Field(
        default=100, ge=1, le=100, description="Share of the city's requests that reach this service, %."
    )  # a service on every request path (the gateway) sees all of them; others set their share
    database: bool = Field(
        default=True,
        description="Whether the service uses the fleet's PostgreSQL (read endpoint, and write "
        "endpoint when it has `write` routes).",
    )  # every back-end service owns tables; the gateway sets this off
    cache: bool = Field(default=False, description="Whether the service reads through the city's report cache.")
    reads: Literal["replicas", "reporting"] = Field(
        default="replicas",
        description="Which of the city's databases serves its reads: the replicas, or the reporting members "
        "(read-only, never leaders, so long report queries never hold back a failover candidate).",
    )  # shop traffic reads the replicas; the report service sets `reporting`
    tmp_size_mib: int = Field(
        default=64, ge=0, description="Size of the writable `/tmp` (emptyDir) under a read-only root, MiB; 0: none."
    )  # room for request buffering and temp files; the root filesystem stays read-only


EdgeMode = Literal["ingress-nginx", "gateway-api"]


class ProbeSpec(Spec):
    """Timing of one kind of health probe."""

    period_seconds: int = Field(ge=1, description="Seconds between probes.")
    timeout_seconds: int = Field(ge=1, description="Seconds a probe may take.")
    failure_threshold: int = Field(ge=1, description="Consecutive failures before the probe acts.")


class ProbesSpec(Spec):
    """Health probes of every service container, all on the service's `health_path`."""

    readiness: ProbeSpec = ProbeSpec(
        period_seconds=5, timeout_seconds=2, failure_threshold=3
    )  # a failing pod leaves the Service within 15 s, well inside the 300 ms p95 budget's error share
    liveness: ProbeSpec = ProbeSpec(
        period_seconds=10, timeout_seconds=2, failure_threshold=6
    )  # restart only after a minute of failures, long after readiness took the pod out of rotation
    startup: ProbeSpec = ProbeSpec(
        period_seconds=5, timeout_seconds=2, failure_threshold=24
    )  # two minutes to start, inside the 180 s RTO, before liveness may kill a slow starter


class WorkloadsSpec(Spec):
    """How every service runs: replicas, placement, security and scaling defaults."""

    replicas: int = Field(
        default=2, ge=2, description="Replicas of every service at rest; the HPA never goes below this."
    )  # the design's service-main and service-backup, on two different nodes
    run_as_user: int = Field(
        default=10001, ge=1, description="Unprivileged UID and GID the service containers run as."
    )  # above the range distributions give system users, so it owns nothing on the node
    spread_topology_key: str = Field(
        default="topology.kubernetes.io/zone",
        description="Node label replicas are spread across, on top of the one-per-node anti-affinity.",
    )  # hosts are already kept apart by anti-affinity; the spread adds racks or zones where nodes carry the label
    cpu_utilization_pct: int = Field(
        default=70, ge=10, le=95, description="Average CPU utilisation the HPA keeps, % of requests."
    )  # leaves 30 % for a burst while a new pod starts (startup probe allows up to two minutes)
    termination_grace_seconds: int = Field(
        default=30, ge=1, description="Seconds a stopping pod gets to finish its requests."
    )  # the Kubernetes default; requests take well under a second (p95 300 ms)
    metrics_port: int = Field(
        default=9090, ge=1024, le=65535, description="Container port every service serves Prometheus metrics on."
    )  # Prometheus's conventional port, separate from traffic so policies can open it to monitoring only
    probes: ProbesSpec = ProbesSpec()


class CacheSpec(Spec):
    """The per-city Redis that caches slowly changing report data for the services marked `cache: true`."""

    name: str = Field(default="report-cache", pattern=DNS_LABEL, description="Name of the cache objects.")
    image: str = Field(
        default="ghcr.io/nusantaramart/redis", description="Redis image repository."
    )  # the official image (its `redis` user is UID 999) mirrored into the fleet's registry, the only one allowed
    tag: str = Field(default="7.4.6", pattern=IMAGE_TAG, description="Redis image tag.")  # a 7.4 patch release
    port: int = Field(default=6379, ge=1024, le=65535, description="Redis port.")  # Redis's standard port
    replicas: int = Field(
        default=2, ge=2, description="Independent cache replicas; clients treat a miss as a recompute."
    )  # one per general node, so a node drain leaves a warm replica
    persistence: bool = Field(
        default=False, description="Keep an append-only file on a volume so a restarted replica starts warm."
    )  # report data is precomputed and recomputable: a cold cache costs latency, never correctness
    storage_gib: int = Field(default=1, ge=1, description="Volume size per replica when `persistence` is on, GiB.")
    resource_class: ResourceClass = Field(default="light", description="Sizing class of the Redis container.")
    run_as_user: int = Field(default=999, ge=1, description="UID of the `redis` user in the image.")  # official image
    max_memory_pct: int = Field(
        default=75, ge=10, le=90, description="Redis `maxmemory` as a share of the container memory limit, %."
    )  # the rest covers Redis's own buffers and the copy-on-write of an AOF rewrite


class IngressNginxSpec(Spec):
    class_name: str = Field(default="nginx", description="`ingressClassName` of the edge Ingress.")  # the design
    controller_namespace: str = Field(
        default="ingress-nginx", pattern=DNS_LABEL, description="Namespace the ingress-nginx controller runs in."
    )  # the upstream install manifests' namespace


class GatewayApiSpec(Spec):
    gateway_class: str = Field(
        default="eg", pattern=DNS_LABEL, description="GatewayClass the edge Gateway is attached to."
    )  # Envoy Gateway's quickstart class name
    controller_namespace: str = Field(
        default="envoy-gateway-system",
        pattern=DNS_LABEL,
        description="Namespace the Gateway's data-plane proxies run in (where edge traffic comes from).",
    )  # Envoy Gateway provisions its proxies in its own namespace by default


class NetworkPolicySpec(Spec):
    """Cluster facts the network policies need beyond the fleet's own namespaces."""

    monitoring_namespace: str = Field(
        default="monitoring", pattern=DNS_LABEL, description="Namespace Prometheus scrapes from."
    )  # kube-prometheus's namespace
    dns_namespace: str = Field(default="kube-system", pattern=DNS_LABEL, description="Namespace of cluster DNS.")
    dns_pod_labels: dict[str, str] = Field(
        default={"k8s-app": "kube-dns"}, min_length=1, description="Labels of the cluster DNS pods."
    )  # CoreDNS keeps kube-dns's label for compatibility on every mainstream distribution
    dns_port: int = Field(default=53, ge=1, le=65535, description="Cluster DNS port (UDP and TCP).")


class ExternalPeerSpec(Spec):
    """A service outside the fleet that some services must reach, such as a payment provider."""

    name: str = Field(pattern=DNS_LABEL, description="Peer name, used in policy names.")
    description: str = Field(default="", description="Who the peer is.")
    cidrs: list[Annotated[str, Field(pattern=IPV4_CIDR)]] = Field(
        min_length=1, description="IPv4 networks the peer publishes for its API; never the whole internet."
    )
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(min_length=1, description="TCP ports of its API.")
    services: list[str] = Field(min_length=1, description="Services (from `services`) that call the peer.")

    @field_validator("cidrs")
    @classmethod
    def _published_ranges_only(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_cidr(value)
            prefix = ipaddress.IPv4Network(value).prefixlen
            if prefix < 8:
                raise ValueError(
                    f"{value!r} opens a /{prefix} of the internet; list the provider's published API ranges instead"
                )
        return values


class FleetSpec(Spec):
    """`envs/fleet.yaml`: what is common to every city."""

    project: str = Field(default="nusantaramart", pattern=DNS_LABEL, description="`part-of` label value.")
    image_registry: str = Field(
        default="ghcr.io/nusantaramart", description="Registry and path every service image comes from."
    )
    primary: CityName = Field(description="The one city whose database takes writes.")
    rollout: RolloutSpec
    hosts: HostsSpec
    capacity: CapacitySpec = CapacitySpec()
    targets: TargetsSpec = TargetsSpec()
    slo: SloSpec = SloSpec()
    hardware: Hardware = Hardware()
    resource_classes: ResourceClasses = ResourceClasses()
    node_pools: NodePools = NodePools()
    namespaces: NamespacesSpec = NamespacesSpec()
    database: DatabaseSpec = DatabaseSpec()
    services: list[ServiceSpec] = Field(min_length=1, description="Services every city runs.")
    edge: EdgeMode = Field(
        default="ingress-nginx",
        description="How traffic enters a city: an `Ingress` for ingress-nginx, or a Gateway API `Gateway` "
        "and `HTTPRoute`s.",
    )  # the design's choice; `fleet synth` warns, as the community ingress-nginx was retired in March 2026
    edge_service: str = Field(
        default="gateway", pattern=DNS_LABEL, description="The one service exposed at the edge (from `services`)."
    )  # the design's API gateway fronts every other service
    ingress_nginx: IngressNginxSpec = IngressNginxSpec()
    gateway_api: GatewayApiSpec = GatewayApiSpec()
    workloads: WorkloadsSpec = WorkloadsSpec()
    report_cache: CacheSpec = CacheSpec()
    network_policy: NetworkPolicySpec = NetworkPolicySpec()
    payment_providers: list[ExternalPeerSpec] = Field(
        default=[], description="Payment providers the payment services may call (the only egress outside the fleet)."
    )  # no egress leaves the fleet unless envs/ names the peer, its ranges and its ports

    @field_validator("primary", mode="before")
    @classmethod
    def _one_primary(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(
                f"exactly one primary city is allowed, got {len(value)}: {', '.join(map(str, value))}; "
                "name the single city whose database takes writes"
            )
        return value


class NetworkSpec(Spec):
    pod_cidr: str = Field(pattern=IPV4_CIDR, description="Pod network of the city; unique in the fleet.")
    service_cidr: str = Field(pattern=IPV4_CIDR, description="Service network of the city; unique in the fleet.")

    _cidr = field_validator("pod_cidr", "service_cidr")(_check_cidr)


class PoolOverride(Spec):
    nodes: int = Field(ge=1, description="Nodes in this pool in this city.")


class CityPools(Spec):
    control_plane: PoolOverride | None = None
    general: PoolOverride | None = None
    database: PoolOverride | None = None


class CanarySpec(Spec):
    tag: str = Field(pattern=IMAGE_TAG, description="Candidate image tag; never `latest`.")
    weight: int = Field(ge=0, le=50, description="Share of this city's traffic sent to the candidate, %.")


class CityServiceSpec(Spec):
    """A service's release state in one city, written by `fleet release/promote/rollback`."""

    tag: str | None = Field(
        default=None,
        pattern=IMAGE_TAG,
        description="Stable tag in this city when it differs from fleet.yaml.",
    )
    previous_tag: str | None = Field(
        default=None, pattern=IMAGE_TAG, description="Stable tag before the last promotion; rollback target."
    )
    canary: CanarySpec | None = Field(default=None, description="A candidate version on a slice of traffic.")


class ObjectStorageSpec(Spec):
    """The city's S3-compatible object storage, which holds that city's copy of the backups."""

    endpoint: str = Field(pattern=r"^https://\S+$", description="S3 endpoint URL (HTTPS).")
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description="Bucket of the backups.")
    region: str = Field(default="id-jkt-1", description="S3 region name the endpoint expects.")
    # ^ the storage vendor names its single Indonesian region so; every city's endpoint accepts it


class CityDatabaseSpec(Spec):
    """The city's part of the data layer."""

    members: int | None = Field(
        default=None,
        ge=1,
        description="Patroni members that may lead, in this city. Unset: the database pool's nodes minus "
        "the reporting members (one member per node).",
    )
    object_storage: ObjectStorageSpec = Field(description="Where this city's backups go.")


class CitySpec(Spec):
    """`envs/<city>.yaml`: only what differs in that city."""

    network: NetworkSpec
    database: CityDatabaseSpec
    node_pools: CityPools = CityPools()
    services: dict[str, CityServiceSpec] = Field(
        default={}, description="Per-service release state in this city, keyed by service name."
    )
