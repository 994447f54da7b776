"""Services of the data layer: the city's write (leader only), read (local replicas) and reporting
endpoints, the members' headless Service, and etcd's.

Names other cities must reach (the write Service, etcd) are headless and published as
`<service>.<city>.<zone>` by external-dns: they resolve to pod IPs, which are routable fleet-wide.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import (
    ETCD_NAME,
    FOLLOWER_LABEL_VALUE,
    LEADER_LABEL_VALUE,
    MEMBER_NAME,
    MEMBERS_SERVICE,
    READ_SERVICE,
    REPORTING_NAME,
    REPORTING_SERVICE,
    WRITE_SERVICE,
)

EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
EXTERNAL_DNS_TTL = "external-dns.alpha.kubernetes.io/ttl"


def _service(
    scope: RenderChart,
    *,
    fleet: Fleet,
    city: City,
    name: str,
    selector: dict[str, str],
    ports: list[tuple[str, int]],
    headless: bool,
    publish_not_ready: bool = False,
    cross_city: bool = False,
) -> dict[str, Any]:
    metadata = data_metadata(fleet=fleet, city=city, kind="Service", name=name)
    if cross_city:
        metadata["annotations"][EXTERNAL_DNS_HOSTNAME] = fleet.data.host(city.name, name)
        metadata["annotations"][EXTERNAL_DNS_TTL] = str(fleet.spec.database.failover.dns_ttl_seconds)
    spec: dict[str, Any] = {
        "ports": [
            {"name": port_name, "port": port, "protocol": "TCP", "targetPort": port} for port_name, port in ports
        ],
        "selector": selector,
        "type": "ClusterIP",
    }
    if headless:
        spec["clusterIP"] = "None"
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


class WriteService(Manifest):
    """The leader, if it is in this city; other cities reach it by its cross-city name."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        selector = {
            **naming.selector_labels(name=MEMBER_NAME, city=city),
            naming.PATRONI_ROLE_LABEL: LEADER_LABEL_VALUE,
        }
        db = fleet.spec.database
        ports = [("postgresql", db.postgres_port), ("patroni", db.patroni_api_port)]
        super().__init__(
            scope,
            _service(
                scope,
                fleet=fleet,
                city=city,
                name=WRITE_SERVICE,
                selector=selector,
                ports=ports,
                headless=True,
                cross_city=True,
            ),
        )


class ReadService(Manifest):
    """The city's replicas that may lead (reporting members serve only the report service)."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        selector = {
            **naming.selector_labels(name=MEMBER_NAME, city=city),
            naming.PATRONI_ROLE_LABEL: FOLLOWER_LABEL_VALUE,
        }
        ports = [("postgresql", fleet.spec.database.postgres_port)]
        super().__init__(
            scope,
            _service(scope, fleet=fleet, city=city, name=READ_SERVICE, selector=selector, ports=ports, headless=False),
        )


class ReportingService(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        selector = naming.selector_labels(name=REPORTING_NAME, city=city)
        ports = [("postgresql", fleet.spec.database.postgres_port)]
        super().__init__(
            scope,
            _service(
                scope, fleet=fleet, city=city, name=REPORTING_SERVICE, selector=selector, ports=ports, headless=False
            ),
        )


class MembersService(Manifest):
    """Governing Service of both StatefulSets: stable pod DNS, ready or not."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        selector = {naming.DATABASE_CLUSTER_LABEL: fleet.data.city(city.name).scope}
        db = fleet.spec.database
        ports = [("postgresql", db.postgres_port), ("patroni", db.patroni_api_port)]
        super().__init__(
            scope,
            _service(
                scope,
                fleet=fleet,
                city=city,
                name=MEMBERS_SERVICE,
                selector=selector,
                ports=ports,
                headless=True,
                publish_not_ready=True,
            ),
        )


class EtcdService(Manifest):
    """The city's etcd member, published before it is ready: peers must find each other to form quorum."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        selector = naming.selector_labels(name=ETCD_NAME, city=city)
        db = fleet.spec.database
        ports = [("client", db.etcd_client_port), ("peer", db.etcd_peer_port)]
        super().__init__(
            scope,
            _service(
                scope,
                fleet=fleet,
                city=city,
                name=ETCD_NAME,
                selector=selector,
                ports=ports,
                headless=True,
                publish_not_ready=True,
                cross_city=True,
            ),
        )
