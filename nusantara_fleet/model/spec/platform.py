"""Inputs every concern reads: the design's figures, node pools, namespaces, hosts and each city's networks."""

from __future__ import annotations

from ipaddress import IPv4Address
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
    node_class: ResourceClass = Field(description="Hardware class of its nodes, sized in `hardware.per_node`.")


class NodePools(Spec):
    """The pools the fleet places pods on; the control plane's own nodes are the cluster's business."""

    general: PoolSpec = Field(
        default=PoolSpec(nodes=5, dedicated=False, node_class="medium"),
        description="Services, their cache and batch jobs, on API and back-end nodes. Default: five nodes hold "
        "every pod at its memory limit with twice a city's share of the design capacity, what a city taking "
        "over a lost city's users carries (`fleet plan`); a city that never takes over may set fewer.",
    )
    database: PoolSpec = Field(
        default=PoolSpec(nodes=2, dedicated=True, node_class="heavy"),
        description="PostgreSQL and etcd on database nodes. Default: I/O-intensive PostgreSQL on local NVMe, one "
        "member per node, two per city as the design's branch cities have.",
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


class TargetsSpec(Spec):
    """The design's recovery objectives: Patroni's timings are derived from them."""

    rto_seconds: int = Field(ge=1, description="Recovery time objective, seconds (the design: 180).")
    rpo_seconds: int = Field(ge=1, description="Recovery point objective, seconds (the design: 10).")


class NetworkSpec(Spec):
    pod_cidr: str = Field(pattern=IPV4_CIDR, description="Pod network of the city; unique in the fleet.")
    service_cidr: str = Field(pattern=IPV4_CIDR, description="Service network of the city; unique in the fleet.")
    edge_address: IPv4Address = Field(
        description="Public IPv4 address of the city's edge load balancer; global DNS answers with it."
    )
    eastwest_address: IPv4Address = Field(
        description="IPv4 address of the city's mesh east-west gateway load balancer, which the other cities' "
        "sidecars reach for this city's endpoints."
    )

    _cidr = field_validator("pod_cidr", "service_cidr")(check_cidr)


class PoolOverride(Spec):
    nodes: int = Field(ge=1, description="Nodes in this pool in this city.")


class CityPools(Spec):
    general: PoolOverride | None = Field(default=None, description="Unset: the fleet's general pool size.")
    database: PoolOverride | None = Field(default=None, description="Unset: the fleet's database pool size.")
