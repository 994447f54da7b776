"""Inputs every concern reads: the design's figures, node pools, namespaces, hosts and each city's networks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from nusantara_fleet.model.spec.common import (
    CPU_QUANTITY,
    DNS_LABEL,
    HOSTNAME,
    IPV4_CIDR,
    MEMORY_QUANTITY,
    Spec,
    check_cidr,
)

ResourceClass = Literal["heavy", "medium", "light"]


class Quantity(Spec):
    cpu: str = Field(pattern=CPU_QUANTITY, description="CPU quantity, e.g. `500m` or `2`.")
    memory: str = Field(pattern=MEMORY_QUANTITY, description="Memory quantity, e.g. `512Mi`.")


class ContainerResources(Spec):
    """Requests and limits a container of one resource class gets."""

    requests: Quantity
    limits: Quantity


class ResourceClasses(Spec):
    """Container sizing per class; limits stay well inside one node of the class's hardware."""

    heavy: ContainerResources = Field(
        default=ContainerResources(requests=Quantity(cpu="8", memory="16Gi"), limits=Quantity(cpu="16", memory="32Gi")),
        description="Database members. Default: a quarter of a 64 vCPU / 64 GB node, half of it at peak.",
    )
    medium: ContainerResources = Field(
        default=ContainerResources(
            requests=Quantity(cpu="500m", memory="512Mi"), limits=Quantity(cpu="1", memory="1Gi")
        ),
        description="API and back-end pods. Default: two replicas plus a canary fit an 8 vCPU / 8 GB node with "
        "room for a drain.",
    )
    light: ContainerResources = Field(
        default=ContainerResources(
            requests=Quantity(cpu="250m", memory="256Mi"), limits=Quantity(cpu="500m", memory="512Mi")
        ),
        description="Reporting, caches, etcd and batch jobs. Default: they read precomputed data or hold kilobytes.",
    )


class PoolSpec(Spec):
    """A node pool as the fleet defines it for every city."""

    nodes: int = Field(ge=1, description="Nodes in the pool (a city file may override).")
    dedicated: bool = Field(description="Tainted so that only pods placed here on purpose run on it.")


class NodePools(Spec):
    """The pools the fleet places pods on; the control plane's own nodes are the cluster's business."""

    general: PoolSpec = Field(
        default=PoolSpec(nodes=2, dedicated=False),
        description="Services, their cache and batch jobs. Default: two nodes let the two replicas of every "
        "service sit apart.",
    )
    database: PoolSpec = Field(
        default=PoolSpec(nodes=2, dedicated=True),
        description="PostgreSQL and etcd. Default: I/O-intensive PostgreSQL on local NVMe, one member per node.",
    )


class NamespacesSpec(Spec):
    apps: str = Field(
        default="shop", pattern=DNS_LABEL, description="Namespace of the services. Default: the shop's name."
    )
    data: str = Field(
        default="data", pattern=DNS_LABEL, description="Namespace of the databases. Default: what it holds."
    )


class HostsSpec(Spec):
    web: str = Field(pattern=HOSTNAME, description="Public web hostname.")
    api: str = Field(pattern=HOSTNAME, description="Public API hostname.")
    tls_secret: str = Field(
        default="edge-tls",
        pattern=DNS_LABEL,
        description="Secret (in the apps namespace) with the hosts' TLS certificate. Default: one certificate "
        "covering both hosts, issued outside the fleet's manifests.",
    )


class CapacitySpec(Spec):
    """The design's traffic target: the HPAs' upper bounds are the upper end of the headroom band."""

    peak_rps: int = Field(ge=1, description="Observed peak, requests per second (the design: 3000).")
    headroom_min_pct: int = Field(ge=0, le=200, description="Lowest headroom over peak, % (the design: 30).")
    headroom_max_pct: int = Field(ge=0, le=200, description="Highest headroom over peak, % (the design: 50).")


class TargetsSpec(Spec):
    """The design's recovery objectives: Patroni's timings are derived from them."""

    rto_seconds: int = Field(ge=1, description="Recovery time objective, seconds (the design: 180).")
    rpo_seconds: int = Field(ge=1, description="Recovery point objective, seconds (the design: 10).")


class NetworkSpec(Spec):
    pod_cidr: str = Field(pattern=IPV4_CIDR, description="Pod network of the city; unique in the fleet.")
    service_cidr: str = Field(pattern=IPV4_CIDR, description="Service network of the city; unique in the fleet.")

    _cidr = field_validator("pod_cidr", "service_cidr")(check_cidr)


class PoolOverride(Spec):
    nodes: int = Field(ge=1, description="Nodes in this pool in this city.")


class CityPools(Spec):
    general: PoolOverride | None = Field(default=None, description="Unset: the fleet's general pool size.")
    database: PoolOverride | None = Field(default=None, description="Unset: the fleet's database pool size.")
