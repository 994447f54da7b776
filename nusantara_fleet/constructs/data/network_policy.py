"""NetworkPolicies of the data namespace: deny by default, then admit exactly the database traffic.

PostgreSQL and Patroni's REST API take connections from the fleet's pod networks (the apps here,
members and standbys in the other cities, the failsafe calls between members); etcd takes clients
and peers from the same networks. Nothing else reaches the namespace.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import ETCD_NAME

DEFAULT_DENY = "data-default-deny"


def _policy(fleet: Fleet, city: City, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": data_metadata(fleet=fleet, city=city, kind="NetworkPolicy", name=name),
        "spec": spec,
    }


def _from_fleet(fleet: Fleet, ports: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "from": [{"ipBlock": {"cidr": cidr}} for cidr in fleet.data.pod_cidrs],
            "ports": [{"port": port, "protocol": "TCP"} for port in ports],
        }
    ]


class DataDefaultDeny(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        super().__init__(scope, _policy(fleet, city, DEFAULT_DENY, {"podSelector": {}, "policyTypes": ["Ingress"]}))


class PostgresIngress(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        spec = {
            "ingress": _from_fleet(fleet, [db.postgres_port, db.patroni_api_port]),
            "podSelector": {"matchLabels": {naming.DATABASE_CLUSTER_LABEL: fleet.data.city(city.name).scope}},
            "policyTypes": ["Ingress"],
        }
        super().__init__(scope, _policy(fleet, city, "postgres", spec))


class EtcdIngress(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        spec = {
            "ingress": _from_fleet(fleet, [db.etcd_client_port, db.etcd_peer_port]),
            "podSelector": {"matchLabels": naming.selector_labels(name=ETCD_NAME, city=city)},
            "policyTypes": ["Ingress"],
        }
        super().__init__(scope, _policy(fleet, city, ETCD_NAME, spec))
