"""What the files in `envs/` may say: the input schema, with every default and the reason for it.

`fleet.yaml` is read into `FleetSpec`; each `envs/<city>.yaml` into `CitySpec`. One module per concern
holds that concern's inputs; the cross-file rules run on the resolved model (`model/checks.py`).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from nusantara_fleet.model.spec.capacity import BandwidthSpec, CapacitySpec, HardwareSpec
from nusantara_fleet.model.spec.common import DNS_LABEL, IMAGE_REPOSITORY, CityName, Spec
from nusantara_fleet.model.spec.data import CityDatabaseSpec, DatabaseSpec
from nusantara_fleet.model.spec.delivery import RolloutSpec
from nusantara_fleet.model.spec.network import ExternalPeerSpec, NetworkPolicySpec
from nusantara_fleet.model.spec.observability import ObservabilitySpec, SloSpec
from nusantara_fleet.model.spec.platform import (
    CityPools,
    HostsSpec,
    NamespacesSpec,
    NetworkSpec,
    NodePools,
    ResourceClasses,
    TargetsSpec,
)
from nusantara_fleet.model.spec.prerequisites import PrerequisitesSpec
from nusantara_fleet.model.spec.traffic import TrafficSpec
from nusantara_fleet.model.spec.workloads import (
    CacheSpec,
    CityServiceSpec,
    EdgeMode,
    GatewayApiSpec,
    IngressNginxSpec,
    ServiceSpec,
    WorkloadsSpec,
)


class FleetSpec(Spec):
    """`envs/fleet.yaml`: what is common to every city."""

    project: str = Field(
        default="nusantaramart",
        pattern=DNS_LABEL,
        description="`part-of` label value and the Argo CD project's name. Default: the retailer's name.",
    )
    image_registry: str = Field(
        default="ghcr.io/nusantaramart",
        pattern=IMAGE_REPOSITORY,
        description="Registry and path every service image comes from. Default: the organisation's registry, "
        "the only one the image policy allows for services.",
    )
    primary: CityName = Field(description="The one city whose database takes writes.")
    rollout: RolloutSpec = Field(description="How and in which order the cities receive a release.")
    hosts: HostsSpec = Field(description="The public hostnames.")
    capacity: CapacitySpec = Field(description="The design's traffic target.")
    targets: TargetsSpec = Field(description="The design's recovery objectives.")
    slo: SloSpec = Field(description="The design's service level objectives.")
    observability: ObservabilitySpec = Field(description="How the fleet is watched: the SLA table and the stack.")
    resource_classes: ResourceClasses = Field(default=ResourceClasses(), description="Container sizes per class.")
    node_pools: NodePools = Field(default=NodePools(), description="The node pools every city has.")
    hardware: HardwareSpec = Field(description="The design's hardware table, which `fleet plan` checks pools against.")
    bandwidth: BandwidthSpec = Field(description="The design's bandwidth between the cities' clusters, per cluster.")
    namespaces: NamespacesSpec = Field(default=NamespacesSpec(), description="Namespaces per concern.")
    database: DatabaseSpec = Field(description="The PostgreSQL fleet.")
    services: list[ServiceSpec] = Field(min_length=1, description="Services every city runs.")
    edge: EdgeMode = Field(
        default="gateway-api",
        description="How traffic enters a city: a Gateway API `Gateway` and `HTTPRoute`s served by the mesh's "
        "own Envoy (Istio), or an `Ingress` for ingress-nginx. Default: Gateway API, since the community "
        "ingress-nginx was retired in March 2026 (`fleet synth` warns when it is chosen) and bypasses the mesh "
        "unless told to use Service addresses.",
    )
    edge_service: str = Field(
        default="gateway",
        pattern=DNS_LABEL,
        description="The one service exposed at the edge (from `services`). Default: the design's API gateway, "
        "which fronts every other service.",
    )
    ingress_nginx: IngressNginxSpec = Field(default=IngressNginxSpec(), description="With `edge: ingress-nginx`.")
    gateway_api: GatewayApiSpec = Field(default=GatewayApiSpec(), description="With `edge: gateway-api`.")
    workloads: WorkloadsSpec = Field(default=WorkloadsSpec(), description="How every service runs.")
    report_cache: CacheSpec = Field(default=CacheSpec(), description="The per-city report cache.")
    network_policy: NetworkPolicySpec = Field(default=NetworkPolicySpec(), description="Cluster facts for policies.")
    traffic: TrafficSpec = Field(description="Traffic between the cities: mesh, locality failover, global DNS.")
    prerequisites: PrerequisitesSpec = Field(
        default=PrerequisitesSpec(),
        description="The charts every city needs before the data layer: External Secrets, TopoLVM, external-dns.",
    )
    payment_providers: list[ExternalPeerSpec] = Field(
        default=[],
        description="Payment providers the payment services may call (the only egress outside the fleet). "
        "Default: none; no egress leaves the fleet unless envs/ names the peer, its ranges and its ports.",
    )

    @field_validator("primary", mode="before")
    @classmethod
    def _one_primary(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(
                f"exactly one primary city is allowed, got {len(value)}: {', '.join(map(str, value))}; "
                "name the single city whose database takes writes"
            )
        return value


class CitySpec(Spec):
    """`envs/<city>.yaml`: only what differs in that city."""

    network: NetworkSpec = Field(description="The city's pod and service networks.")
    database: CityDatabaseSpec = Field(description="The city's part of the data layer.")
    node_pools: CityPools = Field(default=CityPools(), description="Pool sizes that differ in this city.")
    services: dict[str, CityServiceSpec] = Field(
        default={}, description="Per-service release state in this city, keyed by service name."
    )


__all__ = ["CitySpec", "FleetSpec"]
