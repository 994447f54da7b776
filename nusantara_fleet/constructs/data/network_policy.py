"""NetworkPolicies of the data namespace: deny by default, then admit exactly the database traffic.

PostgreSQL and Patroni's REST API take connections from this namespace (members, jobs), the apps'
namespace (which of the apps may connect is their egress policies' call) and the other cities' pod
networks (members and standbys there, failsafe calls); etcd from this namespace and the other
cities. Nothing else reaches the namespace.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import ETCD_NAME

DEFAULT_DENY = "data-default-deny"
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace


def _policy(fleet: Fleet, city: City, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": data_metadata(fleet=fleet, city=city, kind="NetworkPolicy", name=name),
        "spec": spec,
    }


def _peers(fleet: Fleet, city: City, *, apps: bool) -> list[dict[str, Any]]:
    """Pods of this namespace (and of the apps' when `apps`), plus the other cities' pod networks.

    In-city peers are named by selector: CNIs such as Cilium do not match in-cluster pod IPs against
    `ipBlock`; traffic from another city's cluster arrives from its pod network and is matched by IP.
    """
    peers: list[dict[str, Any]] = [{"podSelector": {}}]
    if apps:
        peers.append({"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: fleet.spec.namespaces.apps}}})
    peers += [{"ipBlock": {"cidr": other.network.pod_cidr}} for other in fleet.cities if other != city]
    return peers


def _ports(ports: list[int]) -> list[dict[str, Any]]:
    return [{"port": port, "protocol": "TCP"} for port in ports]


class DataDefaultDeny(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        super().__init__(scope, _policy(fleet, city, DEFAULT_DENY, {"podSelector": {}, "policyTypes": ["Ingress"]}))


class PostgresIngress(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        spec = {
            "ingress": [
                {"from": _peers(fleet, city, apps=True), "ports": _ports([db.postgres_port, db.patroni_api_port])}
            ],
            "podSelector": {"matchLabels": {naming.DATABASE_CLUSTER_LABEL: fleet.data.city(city.name).scope}},
            "policyTypes": ["Ingress"],
        }
        super().__init__(scope, _policy(fleet, city, "postgres", spec))


class EtcdIngress(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        spec = {
            "ingress": [
                {"from": _peers(fleet, city, apps=False), "ports": _ports([db.etcd_client_port, db.etcd_peer_port])}
            ],
            "podSelector": {"matchLabels": naming.selector_labels(name=ETCD_NAME, city=city)},
            "policyTypes": ["Ingress"],
        }
        super().__init__(scope, _policy(fleet, city, ETCD_NAME, spec))
