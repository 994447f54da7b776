"""What the mesh asks of every meshed pod's NetworkPolicy, and Istio's fixed ports.

A leaf both the workloads (their NetworkPolicies) and the traffic plans (the mesh itself) read, so the
ports a policy opens and the ports the east-west gateway listens on are the same numbers.

Ports are Istio 1.30's (https://istio.io/latest/docs/ops/deployment/application-requirements/): they are
compiled into istiod, the sidecar and the gateway chart, not settings of this fleet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.spec import FleetSpec

ISTIOD_XDS_PORT = 15012  # istiod's xDS and certificate signing (TLS): every sidecar's only control-plane port
ISTIOD_WEBHOOK_PORT = 15017  # istiod's injection and validation webhooks
CROSS_NETWORK_PORT = 15443  # the east-west gateway's mTLS passthrough (AUTO_PASSTHROUGH, SNI routed)
GATEWAY_STATUS_PORT = 15021  # the gateway's health endpoint, which load balancers check


@dataclass(frozen=True)
class MeshTransport:
    """What a meshed pod's NetworkPolicy opens for the mesh itself, in one city."""

    namespace: str  # Istio's root namespace, where istiod and the east-west gateway run
    istiod_labels: Mapping[str, str]
    istiod_port: int
    eastwest_labels: Mapping[str, str]  # the local east-west gateway's pods: remote callers arrive from them
    remote_gateways: tuple[str, ...]  # /32 of every other city's east-west gateway, in city order
    remote_port: int


def mesh_transport(spec: FleetSpec, cities: tuple[City, ...], city: City) -> MeshTransport:
    """Sidecars reach another city's endpoints only at that city's east-west gateway (multi-network)."""
    return MeshTransport(
        namespace=spec.traffic.mesh.namespace,
        istiod_labels={naming.ISTIO_LABEL: naming.ISTIOD_LABEL_VALUE},
        istiod_port=ISTIOD_XDS_PORT,
        eastwest_labels={naming.ISTIO_LABEL: naming.EASTWEST_LABEL_VALUE},
        # Sorted: a reordered rollout (a failover commit moves the gated city) must not rewrite the policies.
        remote_gateways=tuple(
            sorted(f"{other.network.eastwest_address}/32" for other in cities if other.name != city.name)
        ),
        remote_port=CROSS_NETWORK_PORT,
    )
