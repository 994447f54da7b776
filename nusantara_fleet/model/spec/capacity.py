"""What `envs/` may say about capacity: the design's traffic target, its hardware table and the links
between the cities' clusters. `model/capacity/` turns them into HPA bounds and the plan `fleet plan` prints."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from nusantara_fleet.model.spec.common import CPU_QUANTITY, MEMORY_QUANTITY, Spec, cpu_millicores, memory_mib


class HardwareSize(Spec):
    """vCPUs, memory and disk: of one node, or the total the design plans for one cluster."""

    vcpu: int = Field(ge=1, description="vCPUs.")
    memory_gib: int = Field(
        ge=1, description="Memory, GiB: the design's GB, read as binary units, the way memory is sized."
    )
    disk_gb: int = Field(ge=1, description="Local disk, GB: decimal units, the way disks are sold.")


class HardwareTable(Spec):
    """One size per resource class; `node_pools.<pool>.node_class` says which class a pool's nodes are."""

    heavy: HardwareSize = Field(description="The database class.")
    medium: HardwareSize = Field(description="The API and back-end class.")
    light: HardwareSize = Field(description="The reporting class.")


class NodeReserve(Spec):
    """What every node keeps for itself: a pool's allocatable is its nodes minus this, each."""

    cpu: str = Field(
        default="500m",
        pattern=CPU_QUANTITY,
        description="CPU kept off pods. Default: the kubelet and container runtime (kube-reserved), the OS "
        "(system-reserved) and the per-node DaemonSets (CNI, kube-proxy, node exporter, log shipper) take "
        "about half a core.",
    )
    memory: str = Field(
        default="2Gi",
        pattern=MEMORY_QUANTITY,
        description="Memory kept off pods. Default: the same parts plus the kubelet's eviction threshold; GKE "
        "alone reserves 1.8 GiB of an 8 GiB node, before any DaemonSet.",
    )
    disk_gb: int = Field(
        default=20,
        ge=0,
        description="Local disk kept off volume claims, GB. Default: the OS, container images and logs on a "
        "20 GB root filesystem, the usual minimum of a Kubernetes node image.",
    )


class BandwidthSpec(Spec):
    """The design's bandwidth between the cities' clusters, per cluster."""

    database_mbps: int = Field(
        ge=1, description="Database replication plus backup and WAL traffic, Mbps (the design: 50)."
    )
    application_mbps: int = Field(ge=1, description="The services' own traffic, Mbps (the design: 10).")


class HardwareSpec(Spec):
    """The design's hardware: what a node of each class has, and what the design plans per cluster."""

    per_node: HardwareTable = Field(
        description="One node of each class (the design: heavy 64 vCPU / 64 GB / 500 GB, medium 8 / 8 / 50, "
        "light 4 / 4 / 50)."
    )
    per_cluster: HardwareTable = Field(
        description="The design's total of each class per cluster (heavy 128 vCPU / 128 GB / 1 TB, medium "
        "64 / 64 / 400 GB, light 8 / 8 / 100 GB); `fleet plan` reports where the pools differ."
    )
    node_reserve: NodeReserve = Field(default=NodeReserve(), description="What every node keeps for itself.")

    @field_validator("node_reserve")
    @classmethod
    def _leaves_room(cls, reserve: NodeReserve, info: ValidationInfo) -> NodeReserve:
        per_node: HardwareTable | None = info.data.get("per_node")
        for name in ("heavy", "medium", "light"):
            node: HardwareSize | None = getattr(per_node, name, None)
            if node is not None and (
                cpu_millicores(reserve.cpu) >= node.vcpu * 1000
                or memory_mib(reserve.memory) >= node.memory_gib * 1024
                or reserve.disk_gb >= node.disk_gb
            ):
                raise ValueError(
                    f"{reserve.cpu} CPU, {reserve.memory} and {reserve.disk_gb} GB leave nothing of a {name} node "
                    f"({node.vcpu} vCPU, {node.memory_gib} GiB, {node.disk_gb} GB); lower the reserve"
                )
        return reserve


class CapacitySpec(Spec):
    """The design's traffic target. The HPA bounds carry its upper end with any one city lost (its users go
    to the primary city; the primary's go to the next city of `database.failover.preference`), and
    `fleet plan` checks every city's pools, disks and links against the same figures."""

    peak_rps: int = Field(ge=1, description="Observed peak, requests per second (the design: 3000).")
    headroom_min_pct: int = Field(ge=0, le=200, description="Lowest headroom over peak, % (the design: 30).")
    headroom_max_pct: int = Field(ge=0, le=200, description="Highest headroom over peak, % (the design: 50).")

    @field_validator("headroom_max_pct")
    @classmethod
    def _band(cls, value: int, info: ValidationInfo) -> int:
        lowest = info.data.get("headroom_min_pct")
        if lowest is not None and lowest > value:
            raise ValueError(
                f"{value} is below headroom_min_pct {lowest}; the band runs from the lower headroom to the higher"
            )
        return value
