"""Global DNS objects: a k8gb `Gslb` per public host in every city, and the parent zones' static records.

Each Gslb points at its host's edge route: k8gb reads the route's hostnames as the names it answers for,
its backends' ready endpoints as the city's health, and the edge's load balancer address as the answer.
The CNAMEs from the public names into the delegated zones are static records of zones k8gb does not
own; dist/fleet carries them as a zone-file snippet per parent zone (ConfigMap `dns-records`) for the
zones' operator to apply once.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.traffic.dns import Gslb

COMPONENT: naming.Component = "traffic"


class GslbObject(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, gslb: Gslb) -> None:
        strategy: dict[str, Any] = {"dnsTtlSeconds": gslb.dns_ttl_seconds, "type": gslb.strategy}
        if gslb.primary_geo_tag is not None:
            strategy["primaryGeoTag"] = gslb.primary_geo_tag
        super().__init__(
            scope,
            {
                "apiVersion": "k8gb.io/v1beta1",
                "kind": "Gslb",
                "metadata": {
                    "labels": city.labels(name=gslb.name, component=COMPONENT, version=naming.GENERATOR_VERSION),
                    "name": gslb.name,
                    "namespace": gslb.namespace,
                },
                "spec": {
                    "resourceRef": {"apiVersion": gslb.route_api_version, "kind": gslb.route_kind, "name": gslb.route},
                    "serviceHealthPolicy": gslb.health_policy,
                    "strategy": strategy,
                },
            },
            plan=gslb,
        )


class DnsRecords(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        plan = fleet.traffic.dns
        data = {
            f"{zone}.zone": "".join(f"{cname.zone_line}\n" for cname in plan.cnames if cname.zone == zone)
            for zone in plan.parent_zones
        }
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "labels": naming.fleet_labels(
                        project=fleet.spec.project,
                        name=naming.DNS_RECORDS,
                        component=COMPONENT,
                        version=naming.GENERATOR_VERSION,
                    ),
                    "name": naming.DNS_RECORDS,
                    "namespace": fleet.delivery.namespace,  # beside `fleet-topology`, on the management cluster
                },
                "data": data,
            },
            plan=plan,
        )


def render_city_dns(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    for gslb in fleet.traffic.dns.gslbs:
        GslbObject(chart, city=city, gslb=gslb)


def render_fleet_dns(chart: RenderChart, *, fleet: Fleet) -> None:
    DnsRecords(chart, fleet=fleet)
