"""What the files in `envs/` may say: the input schema, with every default and the reason for it.

`fleet.yaml` is read into `FleetSpec`; each `envs/<city>.yaml` into `CitySpec`. Cross-file rules
(one primary, rollout order, non-overlapping networks) live in `fleet.py`, which resolves these
specs into the per-city model the constructs render.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ResourceClass = Literal["heavy", "medium", "light"]
DiskKind = Literal["hdd", "ssd", "nvme"]
Access = Literal["read", "write"]
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

DNS_LABEL = r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$"
# A release tag as OCI allows it, minus the moving `latest` (never deployable: it pins nothing).
IMAGE_TAG = r"^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
IPV4_CIDR = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"
HOSTNAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
SHA256_DIGEST = r"^sha256:[a-f0-9]{64}$"

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


class RolloutSpec(Spec):
    order: list[CityName] = Field(min_length=1, description="Cities in rollout order; every city exactly once.")
    gated_city: CityName | None = Field(
        default=None,
        description="City that waits for a manual sync. Unset: the primary city (the gate follows it).",
    )


class HostsSpec(Spec):
    web: str = Field(pattern=HOSTNAME, description="Public web hostname.")
    api: str = Field(pattern=HOSTNAME, description="Public API hostname.")


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


class DatabaseSpec(Spec):
    """How the PostgreSQL fleet is reached; the data layer builds on this."""

    postgres_port: int = Field(default=5432, ge=1, le=65535, description="PostgreSQL port.")  # the standard
    patroni_api_port: int = Field(
        default=8008, ge=1, le=65535, description="Patroni REST API port."
    )  # Patroni's default
    cross_city_domain: str = Field(
        default="db.nusantaramart.internal",
        pattern=HOSTNAME,
        description="DNS zone in which `<service>.<city>.<zone>` names a city's database from any city.",
    )


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


class CitySpec(Spec):
    """`envs/<city>.yaml`: only what differs in that city."""

    network: NetworkSpec
    node_pools: CityPools = CityPools()
    services: dict[str, CityServiceSpec] = Field(
        default={}, description="Per-service release state in this city, keyed by service name."
    )
