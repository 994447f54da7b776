"""Global DNS with k8gb: one `Gslb` per public host in every city, the delegated zones, k8gb's install per city.

    resolver ─▶ parent zone (static): api.nusantaramart.co.id CNAME api.gslb.nusantaramart.co.id
             ─▶ gslb.nusantaramart.co.id NS: every city's k8gb CoreDNS (the glue each city's external-dns writes)
             ─▶ any city's CoreDNS answers with the edge addresses of the healthy cities, per the host's strategy

A city is healthy for a host while the Services behind the host's edge route have ready endpoints; each
city's k8gb asks the others for theirs every `reconcile_requeue_seconds`, so the answers change within
that plus the answers' TTL once a city is gone.

Strategies (k8gb has two that need no extra data):
- API host, `failover` with the primary city as `primaryGeoTag`: writes commit in the primary city, so the
  API follows it; when it is down every other healthy city is answered (k8gb's secondaries are unordered).
- web host, `roundRobin`: every healthy city is answered. k8gb's `geoip` would pick the nearest city, but
  it needs a GeoIP database of Indonesian client prefixes and of the three edge addresses inside CoreDNS,
  which the fleet does not have; resolvers then pick among the answers (most take the first, and CoreDNS
  rotates them), so a user reaches some healthy city, not necessarily the nearest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.traffic.inputs import Inputs
from nusantara_fleet.model.workloads.resolve import edge_hosts
from nusantara_fleet.model.zones import DelegatedZone, delegated_zone

FAILOVER = "failover"
ROUND_ROBIN = "roundRobin"
RFC2136_SECRET_ENV = "EXTERNAL_DNS_RFC2136_TSIG_SECRET"  # external-dns reads its `--rfc2136-tsig-secret` here


@dataclass(frozen=True)
class Gslb:
    """One public host's Gslb: the same object in every city."""

    name: str
    namespace: str
    route_api_version: str
    route_kind: str
    route: str  # the edge route (HTTPRoute or Ingress) whose hostnames and backends k8gb reads
    hosts: tuple[str, ...]  # that route's hostnames
    strategy: str
    primary_geo_tag: str | None
    dns_ttl_seconds: int
    health_policy: str


@dataclass(frozen=True)
class Cname:
    """A static record of a parent zone: the public host as an alias of its name in the delegated zone."""

    zone: str
    name: str
    target: str
    ttl_seconds: int

    @property
    def zone_line(self) -> str:
        return f"{self.name}. {self.ttl_seconds} IN CNAME {self.target}."


@dataclass(frozen=True)
class DnsPlan:
    zones: tuple[DelegatedZone, ...]  # one per public host
    gslbs: tuple[Gslb, ...]  # rendered in every city
    cnames: tuple[Cname, ...]
    addons: tuple[Addon, ...] = ()

    @property
    def parent_zones(self) -> tuple[str, ...]:
        return tuple(sorted({zone.parent_zone for zone in self.zones}))


def _values(inputs: Inputs, city: str, zones: tuple[DelegatedZone, ...]) -> dict[str, Any]:
    """The k8gb chart's values for one city (keys as in chart/k8gb/values.yaml at the pinned version)."""
    dns = inputs.spec.traffic.dns
    rfc = dns.rfc2136
    others = [other.name for other in inputs.cities if other.name != city]
    unique = sorted({(zone.parent_zone, zone.load_balanced_zone) for zone in zones})
    parents = sorted({parent for parent, _ in unique})
    owner = naming.k8gb_dns_owner(city)
    return {
        "k8gb": {
            "clusterGeoTag": city,
            # Static tags: the other cities, so no city depends on reading them back from the edge DNS.
            "extGslbClustersGeoTags": ",".join(others),
            "dnsZones": [
                {"parentZone": parent, "loadBalancedZone": zone, "dnsZoneNegTTL": dns.negative_ttl_seconds}
                for parent, zone in unique
            ],
            "edgeDNSServers": [str(server) for server in dns.edge_dns_servers],
            "reconcileRequeueSeconds": dns.reconcile_requeue_seconds,
            # Only the k8gb.io API the fleet's Gslbs use; the legacy k8gb.absa.oss group is never served.
            "installLegacyCrds": False,
        },
        # The cities' CoreDNS answer the internet on 53/UDP from a load balancer address of their own.
        "coredns": {"serviceType": "LoadBalancer"},
        "extdns": {
            "enabled": True,
            "provider": {"name": "rfc2136"},
            "domainFilters": parents,
            "txtOwnerId": owner,
            "txtPrefix": f"{owner}-",
            # The TSIG key by reference: the Secret comes from the secret store, never from dist/.
            "env": [
                {
                    "name": RFC2136_SECRET_ENV,
                    "valueFrom": {"secretKeyRef": {"name": rfc.tsig_secret, "key": rfc.tsig_secret_key}},
                }
            ],
            "extraArgs": [
                f"--rfc2136-host={rfc.host}",
                f"--rfc2136-port={rfc.port}",
                *(f"--rfc2136-zone={parent}" for parent in parents),
                f"--rfc2136-tsig-keyname={rfc.tsig_key_name}",
                f"--rfc2136-tsig-secret-alg={rfc.tsig_secret_alg}",
                "--rfc2136-tsig-axfr",
            ],
        },
    }


@traced
def _gslbs(inputs: Inputs) -> tuple[Gslb, ...]:
    """One per edge route; every city's edge has the same routes, so they are read from the first city."""
    spec = inputs.spec
    dns = spec.traffic.dns
    edge = inputs.workloads.city(inputs.cities[0]).edge
    strategies = {naming.EDGE_ROUTE_API: FAILOVER, naming.EDGE_ROUTE_WEB: ROUND_ROBIN}
    return tuple(
        Gslb(
            name=route.name,
            namespace=spec.namespaces.apps,
            route_api_version=edge.route_api_version,
            route_kind=edge.route_kind,
            route=route.name,
            hosts=route.hostnames,
            strategy=strategies[route.name],
            primary_geo_tag=spec.primary if strategies[route.name] == FAILOVER else None,
            dns_ttl_seconds=dns.dns_ttl_seconds,
            health_policy=dns.health_policy,
        )
        for route in edge.routes
    )


@traced
def _addon(inputs: Inputs, city: str, zones: tuple[DelegatedZone, ...]) -> Addon:
    dns = inputs.spec.traffic.dns
    return Addon(
        name=naming.K8GB,
        stage="charts",
        city=city,
        namespace=dns.namespace,
        repo_url=naming.K8GB_CHARTS,
        chart=naming.K8GB,
        version=dns.chart_version,
        values=_values(inputs, city, zones),
    )


@traced
def resolve_dns(inputs: Inputs) -> DnsPlan:
    spec = inputs.spec
    dns = spec.traffic.dns
    zones = tuple(delegated_zone(host, dns.zone_label) for _, host in edge_hosts(spec))
    cnames = tuple(
        Cname(zone=zone.parent_zone, name=zone.host, target=zone.gslb_host, ttl_seconds=dns.cname_ttl_seconds)
        for zone in zones
    )
    return DnsPlan(
        zones=zones,
        gslbs=_gslbs(inputs),
        cnames=cnames,
        addons=tuple(_addon(inputs, city.name, zones) for city in inputs.cities),
    )
