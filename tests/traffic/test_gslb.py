"""Global DNS as rendered: every public host has a Gslb in every city, inside a zone k8gb is given, with
the strategy the model chooses; each check is run on the default render and shown to fire on a broken copy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.charts import build_app
from nusantara_fleet.model import Fleet, load_fleet
from tests.support import ENVS, FLEET, Rendered, collect_variant, set_edge, set_primary

GSLB = ("k8gb.io/v1beta1", "Gslb")
STRATEGIES = {"failover", "roundRobin"}  # k8gb compares the exact strings; `Failover` passes the CRD schema
EXPECTED = {
    "api": ("failover", ["api.nusantaramart.co.id", "api.gslb.nusantaramart.co.id"]),
    "web": ("roundRobin", ["ecommerce.knitto.co.id", "ecommerce.gslb.knitto.co.id"]),
}


@pytest.fixture(scope="module")
def default() -> tuple[Fleet, Rendered]:
    fleet = load_fleet(ENVS)
    _, charts = build_app(fleet, Path("unused"), collect=True)
    return fleet, {chart.chart_id: chart.bodies for chart in charts}


def _of(bodies: list[dict[str, Any]], api_version: str, kind: str) -> list[dict[str, Any]]:
    return [b for b in bodies if b["apiVersion"] == api_version and b["kind"] == kind]


def _cities(rendered: Rendered) -> list[str]:
    return sorted(chart for chart in rendered if chart != FLEET)


def _k8gb_values(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """The k8gb add-on's values per city, from its Argo CD Applications in dist/fleet."""
    return {
        app["spec"]["destination"]["name"]: app["spec"]["source"]["helm"]["valuesObject"]
        for app in _of(rendered[FLEET], "argoproj.io/v1alpha1", "Application")
        if app["spec"]["source"].get("chart") == "k8gb"
    }


def _ref(body: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": body["apiVersion"], "kind": body["kind"], "name": body["metadata"]["name"]}


def _route_hosts(bodies: list[dict[str, Any]], ref: dict[str, Any], namespace: str) -> list[str] | None:
    """The hostnames of the edge route a Gslb's `resourceRef` names (HTTPRoute or Ingress), None if missing."""
    for body in bodies:
        meta = body["metadata"]
        if (body["apiVersion"], body["kind"], meta["name"], meta.get("namespace")) != (
            ref["apiVersion"],
            ref["kind"],
            ref["name"],
            namespace,
        ):
            continue
        if body["kind"] == "Ingress":
            return [rule["host"] for rule in body["spec"]["rules"]]
        return list(body["spec"]["hostnames"])
    return None


def _cnames(rendered: Rendered) -> dict[str, str]:
    """The static parent-zone CNAMEs from dist/fleet's `dns-records`: public name -> name in the delegated zone."""
    cnames = {}
    for body in rendered[FLEET]:
        if body["kind"] == "ConfigMap" and body["metadata"]["name"] == "dns-records":
            for snippet in body["data"].values():
                for line in snippet.splitlines():
                    name, _, _, kind, target = line.split()
                    if kind == "CNAME":
                        cnames[name.rstrip(".")] = target.rstrip(".")
    return cnames


def _edge_route_hosts(bodies: list[dict[str, Any]]) -> set[str]:
    """The hosts of the edge's per-host routes (not the canary Ingresses merged into them, not the redirect)."""
    return {
        host
        for body in bodies
        if body["kind"] in {"HTTPRoute", "Ingress"}
        and not body["metadata"]["name"].endswith(("-canary", "-https-redirect"))
        for host in (_route_hosts(bodies, _ref(body), body["metadata"]["namespace"]) or [])
    }


def gslb_problems(rendered: Rendered, primary: str) -> list[str]:
    """Every rule global DNS needs from dist/, as one list of findings (empty: all hold)."""
    problems: list[str] = []
    cities = _cities(rendered)
    values = _k8gb_values(rendered)
    cnames = _cnames(rendered)

    def identity(gslbs: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
        return sorted((g["metadata"]["name"], g["metadata"]["namespace"], g["spec"]) for g in gslbs)

    first = identity(_of(rendered[cities[0]], *GSLB))
    for city in cities:
        gslbs = _of(rendered[city], *GSLB)
        if identity(gslbs) != first:
            problems.append(f"{city}: its Gslbs differ from {cities[0]}'s")
        zones = [zone["loadBalancedZone"] for zone in values.get(city, {}).get("k8gb", {}).get("dnsZones", [])]
        routed: set[str] = set()
        for gslb in sorted(gslbs, key=lambda g: str(g["metadata"]["name"])):
            name, spec = gslb["metadata"]["name"], gslb["spec"]
            hosts = _route_hosts(rendered[city], spec["resourceRef"], gslb["metadata"]["namespace"])
            if hosts is None:
                problems.append(f"{city}: Gslb {name} refers to a route that is not rendered")
                continue
            routed.update(hosts)
            for host in hosts:
                served = cnames.get(host, host)  # a public name is served as its CNAME's target
                if not any(served.endswith(f".{zone}") for zone in zones):
                    problems.append(f"{city}: Gslb {name} host {served} is in no loadBalancedZone of k8gb's values")
                elif served not in hosts:
                    problems.append(f"{city}: Gslb {name}'s route lists {host} but not {served}, its name for k8gb")
            strategy = spec["strategy"]
            if strategy["type"] not in STRATEGIES:
                problems.append(f"{city}: Gslb {name} strategy {strategy['type']!r} is not one k8gb knows")
            if strategy["type"] == "failover" and strategy.get("primaryGeoTag") != primary:
                problems.append(f"{city}: Gslb {name} fails over from {strategy.get('primaryGeoTag')}, not {primary}")
            if strategy["type"] != "failover" and "primaryGeoTag" in strategy:
                problems.append(f"{city}: Gslb {name} has a primaryGeoTag without failover")
            if "dnsTtlSeconds" not in strategy:
                problems.append(f"{city}: Gslb {name} leaves dnsTtlSeconds to k8gb")
        edge = _edge_route_hosts(rendered[city])
        if routed != edge:
            problems.append(f"{city}: Gslb hosts {sorted(routed)} differ from the edge's {sorted(edge)}")
        tags = values.get(city, {}).get("k8gb", {})
        others = sorted(c for c in cities if c != city)
        ext = sorted(str(tags.get("extGslbClustersGeoTags", "")).split(","))
        if tags.get("clusterGeoTag") != city or ext != others:
            problems.append(f"{city}: k8gb geotags {tags.get('clusterGeoTag')}/{tags.get('extGslbClustersGeoTags')}")
    return problems


def test_the_default_render_meets_every_gslb_rule(default: tuple[Fleet, Rendered]) -> None:
    fleet, rendered = default
    assert gslb_problems(rendered, fleet.primary.name) == []


def test_each_public_host_has_its_strategy_and_both_names(default: tuple[Fleet, Rendered]) -> None:
    fleet, rendered = default
    for city in fleet.cities:
        gslbs = {g["metadata"]["name"]: g for g in _of(rendered[city.name], *GSLB)}
        assert sorted(gslbs) == sorted(EXPECTED)
        for name, (strategy, hosts) in EXPECTED.items():
            spec = gslbs[name]["spec"]
            route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "name": name}
            assert spec["resourceRef"] == route
            assert spec["serviceHealthPolicy"] == "Any"
            assert spec["strategy"]["type"] == strategy
            assert spec["strategy"]["dnsTtlSeconds"] == 30
            assert _route_hosts(rendered[city.name], spec["resourceRef"], "shop") == hosts
        assert gslbs["api"]["spec"]["strategy"]["primaryGeoTag"] == "jakarta"


def test_k8gb_is_installed_per_city_with_the_zones_and_the_other_cities(default: tuple[Fleet, Rendered]) -> None:
    _, rendered = default
    values = _k8gb_values(rendered)
    assert sorted(values) == ["bandung", "jakarta", "surabaya"]
    bandung = values["bandung"]
    assert bandung["k8gb"] == {
        "clusterGeoTag": "bandung",
        "extGslbClustersGeoTags": "surabaya,jakarta",
        "dnsZones": [
            {"dnsZoneNegTTL": 30, "loadBalancedZone": "gslb.knitto.co.id", "parentZone": "knitto.co.id"},
            {"dnsZoneNegTTL": 30, "loadBalancedZone": "gslb.nusantaramart.co.id", "parentZone": "nusantaramart.co.id"},
        ],
        "edgeDNSServers": ["192.0.2.53"],
        "installLegacyCrds": False,
        "reconcileRequeueSeconds": 10,
    }
    assert bandung["coredns"] == {"serviceType": "LoadBalancer"}
    extdns = bandung["extdns"]
    assert extdns["provider"] == {"name": "rfc2136"}
    assert (extdns["txtOwnerId"], extdns["txtPrefix"]) == ("k8gb-bandung", "k8gb-bandung-")
    # The TSIG key only by reference: a Secret name and key, no secret material anywhere in the values.
    assert extdns["env"] == [
        {
            "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
            "valueFrom": {"secretKeyRef": {"key": "secret", "name": "k8gb-rfc2136-tsig"}},
        }
    ]
    assert not any(arg.startswith("--rfc2136-tsig-secret=") for arg in extdns["extraArgs"])
    apps = _of(rendered[FLEET], "argoproj.io/v1alpha1", "Application")
    app = next(a for a in apps if a["metadata"]["name"] == "k8gb-jakarta")
    assert app["spec"]["source"]["repoURL"] == "https://www.k8gb.io"
    assert app["spec"]["source"]["targetRevision"] == "v0.20.0"
    assert app["spec"]["destination"] == {"name": "jakarta", "namespace": "k8gb"}


def test_the_parent_zones_get_static_cnames_into_the_delegated_zones(default: tuple[Fleet, Rendered]) -> None:
    _, rendered = default
    (records,) = [b for b in rendered[FLEET] if b["kind"] == "ConfigMap" and b["metadata"]["name"] == "dns-records"]
    assert records["data"] == {
        "knitto.co.id.zone": "ecommerce.knitto.co.id. 3600 IN CNAME ecommerce.gslb.knitto.co.id.\n",
        "nusantaramart.co.id.zone": "api.nusantaramart.co.id. 3600 IN CNAME api.gslb.nusantaramart.co.id.\n",
    }


def test_the_api_host_follows_the_primary_city(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path, partial(set_primary, city="bandung"))
    assert gslb_problems(rendered, "bandung") == []
    for city in _cities(rendered):
        (api,) = [g for g in _of(rendered[city], *GSLB) if g["metadata"]["name"] == "api"]
        assert api["spec"]["strategy"] == {"dnsTtlSeconds": 30, "primaryGeoTag": "bandung", "type": "failover"}
    assert gslb_problems(rendered, "jakarta") != []


def test_ingress_nginx_gslbs_refer_to_the_per_host_ingresses(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path, partial(set_edge, mode="ingress-nginx"))
    assert gslb_problems(rendered, "jakarta") == []
    (web,) = [g for g in _of(rendered["surabaya"], *GSLB) if g["metadata"]["name"] == "web"]
    assert web["spec"]["resourceRef"] == {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "web"}


def _gslb(rendered: Rendered, city: str, name: str) -> dict[str, Any]:
    return next(g for g in _of(rendered[city], *GSLB) if g["metadata"]["name"] == name)


def _drop_gslb(rendered: Rendered) -> None:
    rendered["surabaya"].remove(_gslb(rendered, "surabaya", "web"))


def _capitalise_type(rendered: Rendered) -> None:
    for city in _cities(rendered):
        _gslb(rendered, city, "web")["spec"]["strategy"]["type"] = "RoundRobin"


def _wrong_primary(rendered: Rendered) -> None:
    for city in _cities(rendered):
        _gslb(rendered, city, "api")["spec"]["strategy"]["primaryGeoTag"] = "surabaya"


def _zone_missing(rendered: Rendered) -> None:
    _k8gb_values(rendered)["jakarta"]["k8gb"]["dnsZones"].pop()


def _own_tag_in_others(rendered: Rendered) -> None:
    _k8gb_values(rendered)["bandung"]["k8gb"]["extGslbClustersGeoTags"] = "bandung,jakarta,surabaya"


def _route_loses_zone_name(rendered: Rendered) -> None:
    route = next(b for b in rendered["jakarta"] if b["kind"] == "HTTPRoute" and b["metadata"]["name"] == "api")
    route["spec"]["hostnames"] = route["spec"]["hostnames"][:1]


def _one_city_differs(rendered: Rendered) -> None:
    _gslb(rendered, "bandung", "web")["spec"]["serviceHealthPolicy"] = "All"


def _ttl_left_to_k8gb(rendered: Rendered) -> None:
    for city in _cities(rendered):
        del _gslb(rendered, city, "api")["spec"]["strategy"]["dnsTtlSeconds"]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_drop_gslb, "surabaya: its Gslbs differ from bandung's"),
        (_capitalise_type, "bandung: Gslb web strategy 'RoundRobin' is not one k8gb knows"),
        (_wrong_primary, "jakarta: Gslb api fails over from surabaya, not jakarta"),
        (_zone_missing, "jakarta: Gslb api host api.gslb.nusantaramart.co.id is in no loadBalancedZone"),
        (_own_tag_in_others, "bandung: k8gb geotags bandung/bandung,jakarta,surabaya"),
        (_route_loses_zone_name, "jakarta: Gslb api's route lists api.nusantaramart.co.id but not api.gslb"),
        (_one_city_differs, "jakarta: its Gslbs differ from bandung's"),
        (_ttl_left_to_k8gb, "surabaya: Gslb api leaves dnsTtlSeconds to k8gb"),
    ],
    ids=["gslb-missing", "type-case", "primary", "zone", "geotags", "route-host", "city-differs", "ttl"],
)
def test_each_rule_fires_on_a_broken_render(
    default: tuple[Fleet, Rendered], damage: Callable[[Rendered], None], expected: str
) -> None:
    fleet, rendered = default
    broken = copy.deepcopy(rendered)
    damage(broken)
    problems = gslb_problems(broken, fleet.primary.name)
    assert any(problem.startswith(expected) for problem in problems), problems
