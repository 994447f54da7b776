"""The network policies let through exactly what the services need, checked by evaluating them."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import Fleet
from nusantara_fleet.validate.reachability import Pod, allowed, selects
from tests.support import DIST, all_docs, city_docs

APPS, DATA = "shop", "data"
SERVICE = "fleet.nusantaramart.co.id/service"


def _policies(out: Path, city: str) -> list[dict[str, Any]]:
    return [doc for doc in city_docs(out, city).values() if doc["kind"] == "NetworkPolicy"]


CITY_CIDRS = {"bandung": "10.20.0.0/16", "surabaya": "10.30.0.0/16", "jakarta": "10.10.0.0/16"}


def _host_in(cidr: str, index: int = 10) -> str:
    return str(ipaddress.IPv4Network(cidr)[index])


def _pod(out: Path, city: str, name: str) -> Pod:
    """A pod of the named Deployment or StatefulSet of the apps namespace, with its template's labels."""
    docs = city_docs(out, city)
    workload = docs.get(("Deployment", name)) or docs[("StatefulSet", name)]
    return Pod(APPS, workload["spec"]["template"]["metadata"]["labels"], _host_in(CITY_CIDRS[city], 20))


def _database_pod(out: Path, city: str) -> Pod:
    """A PostgreSQL pod of the city's data namespace, as the data layer renders it (so its policies apply too)."""
    for (kind, _), doc in sorted(city_docs(out, city).items()):
        if kind == "StatefulSet" and doc["metadata"]["namespace"] == DATA and "postgres" in doc["metadata"]["name"]:
            return Pod(DATA, doc["spec"]["template"]["metadata"]["labels"], _host_in(CITY_CIDRS[city], 30))
    return Pod(DATA, {"app.kubernetes.io/name": "postgres"}, _host_in(CITY_CIDRS[city], 30))


@pytest.fixture(scope="module")
def default() -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    return DIST, {city: _policies(DIST, city) for city in ("bandung", "surabaya", "jakarta")}


def test_every_app_namespace_starts_from_deny_all(default: tuple[Path, dict[str, list[dict[str, Any]]]]) -> None:
    for city, policies in default[1].items():
        deny = next(p for p in policies if p["metadata"]["name"] == "default-deny")
        assert deny["spec"] == {"egress": [], "ingress": [], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert deny["metadata"]["namespace"] == APPS, city


def _object_storage_rule(doc: dict[str, Any], rule: dict[str, Any], peer: dict[str, Any]) -> bool:
    """The one wide rule: Patroni's egress to its city's object storage, on HTTPS only, never into the fleet."""
    fleet = set(CITY_CIDRS.values()) | {"10.110.0.0/16", "10.120.0.0/16", "10.130.0.0/16"}
    return (
        doc["metadata"]["name"] == "postgres-egress"
        and rule in doc["spec"].get("egress", [])
        and rule["ports"] == [{"port": 443, "protocol": "TCP"}]
        and set(peer["ipBlock"].get("except", [])) == fleet
    )


def _public_edge_rule(doc: dict[str, Any], rule: dict[str, Any]) -> bool:
    """The one rule without peers: the Gateway's proxies take HTTP and HTTPS from any client (the edge)."""
    return (
        doc["metadata"]["name"] == "edge-proxies"
        and rule in doc["spec"].get("ingress", [])
        and rule == {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]}
    )


# The mesh's load-balancer-facing and API-server-facing ports (model/traffic/mesh.py `RootIngress`): their
# sources (other cities through a load balancer, the API server) have no address the fleet knows.
MESH_OPEN_PORTS = {"istio-system": {15017, 15021, 15443}}


def _mesh_open(doc: dict[str, Any], rule: dict[str, Any]) -> bool:
    ports = {port["port"] for port in rule.get("ports", [])}
    return bool(ports) and ports <= MESH_OPEN_PORTS.get(doc["metadata"]["namespace"], set())


def test_no_policy_opens_the_internet() -> None:
    public = 0
    for path, doc in all_docs(DIST):
        if doc["kind"] != "NetworkPolicy":
            continue
        for rule in doc["spec"].get("egress", []) + doc["spec"].get("ingress", []):
            for peer in rule.get("to", []) + rule.get("from", []):
                if "ipBlock" in peer and not _object_storage_rule(doc, rule, peer):
                    assert ipaddress.IPv4Network(peer["ipBlock"]["cidr"]).prefixlen >= 8, path
            if _public_edge_rule(doc, rule):
                public += 1
                continue
            if not _mesh_open(doc, rule):
                assert rule.get("to", rule.get("from")), f"{path}: a rule without peers allows everyone"
    assert public == 3, "one public edge rule per city"


# (source, destination, port, expected) inside one city, default fleet (Gateway API on Istio): `edge` is a pod
# of the Gateway's proxies, which Istio runs in the apps namespace; `internet` is any client outside the fleet.
IN_CITY = [
    ("internet", "edge", 443, True),
    ("internet", "edge", 80, True),
    ("internet", "edge", 15021, False),
    ("internet", "gateway", 8080, False),
    ("edge", "gateway", 8080, True),
    ("edge", "order", 8080, False),
    ("edge", "gateway", 9090, False),
    ("shop-other", "gateway", 8080, False),
    ("ingress-nginx", "gateway", 8080, False),
    ("gateway", "order", 8080, True),
    ("gateway", "report", 8080, True),
    ("order", "gateway", 8080, False),
    ("order", "payment", 8080, False),
    ("report", "report-cache", 6379, True),
    ("order", "report-cache", 6379, False),
    ("gateway", "report-cache", 6379, False),
    ("monitoring", "order", 9090, True),
    ("monitoring", "order", 8080, True),  # the blackbox exporter's health probe
    ("monitoring", "report-cache", 6379, False),
    ("order", "database", 5432, True),
    ("order", "database", 8008, False),
    ("catalog", "database", 5432, True),
    ("gateway", "database", 5432, False),
    ("report-cache", "database", 5432, False),
]


def _endpoint(out: Path, city: str, name: str) -> Pod:
    if name == "database":
        return _database_pod(out, city)
    if name == "edge":
        return Pod(APPS, {"gateway.networking.k8s.io/gateway-name": "edge"}, _host_in(CITY_CIDRS[city], 40))
    if name == "shop-other":  # a pod of the apps namespace that is not one of the Gateway's proxies
        return Pod(APPS, {"gateway.networking.k8s.io/gateway-name": "other"}, _host_in(CITY_CIDRS[city], 41))
    if name == "internet":
        return Pod(None, ip="198.18.0.1")
    if name in {"ingress-nginx", "monitoring"}:
        return Pod(name, {"app.kubernetes.io/name": name})
    return _pod(out, city, name)


@pytest.mark.parametrize("city", ["bandung", "jakarta"])
@pytest.mark.parametrize(("src", "dst", "port", "expected"), IN_CITY, ids=[f"{s}->{d}:{p}" for s, d, p, _ in IN_CITY])
def test_who_may_talk_to_whom_in_a_city(
    default: tuple[Path, dict[str, list[dict[str, Any]]]], city: str, src: str, dst: str, port: int, expected: bool
) -> None:
    out, policies = default
    assert allowed(policies[city], _endpoint(out, city, src), _endpoint(out, city, dst), port) is expected


def test_every_pod_may_resolve_names_and_only_at_the_cluster_dns(
    default: tuple[Path, dict[str, list[dict[str, Any]]]],
) -> None:
    out, policies = default
    dns = Pod("kube-system", {"k8s-app": "kube-dns"})
    impostor = Pod("kube-system", {"k8s-app": "something-else"})
    for name in ("gateway", "order", "report", "report-cache"):
        pod = _pod(out, "surabaya", name)
        assert allowed(policies["surabaya"], pod, dns, 53, "UDP")
        assert allowed(policies["surabaya"], pod, dns, 53, "TCP")
        assert not allowed(policies["surabaya"], pod, impostor, 53, "UDP")


def test_database_services_reach_every_other_city_on_postgresql_only(
    default: tuple[Path, dict[str, list[dict[str, Any]]]],
) -> None:
    """Writers reach the leader wherever it is, readers fall back to other cities' members; the gateway never."""
    from nusantara_fleet.model import load_fleet
    from tests.support import ENVS

    out, policies = default
    fleet = load_fleet(ENVS)
    for city in fleet.cities:
        for other in fleet.cities:
            if other.name == city.name:
                continue
            remote_db = Pod(None, ip=_host_in(other.network.pod_cidr))
            for service in ("order", "catalog"):
                source = _pod(out, city.name, service)
                assert allowed(policies[city.name], source, remote_db, 5432), (city, other, service)
                assert not allowed(policies[city.name], source, remote_db, 8080)
            assert not allowed(policies[city.name], _pod(out, city.name, "gateway"), remote_db, 5432)


def test_payment_reaches_its_providers_on_their_ports_only(
    default: tuple[Path, dict[str, list[dict[str, Any]]]],
) -> None:
    out, policies = default
    card = Pod(None, ip="203.0.113.20")
    wallet = Pod(None, ip="198.51.100.200")
    elsewhere = Pod(None, ip="192.0.2.1")
    payment, order = _pod(out, "jakarta", "payment"), _pod(out, "jakarta", "order")
    assert allowed(policies["jakarta"], payment, card, 443)
    assert not allowed(policies["jakarta"], payment, card, 80)
    assert allowed(policies["jakarta"], payment, wallet, 8443)
    assert not allowed(policies["jakarta"], payment, elsewhere, 443)
    assert not allowed(policies["jakarta"], order, card, 443)


def test_ingress_mode_opens_the_gateway_to_the_controller_namespace_instead(
    ingress_canary: tuple[Fleet, Path],
) -> None:
    _, out = ingress_canary
    policies = _policies(out, "bandung")
    gateway, canary = _pod(out, "bandung", "gateway"), _pod(out, "bandung", "gateway-canary")
    nginx = Pod("ingress-nginx", {})
    proxies = Pod(APPS, {"gateway.networking.k8s.io/gateway-name": "edge"}, _host_in(CITY_CIDRS["bandung"], 40))
    assert allowed(policies, nginx, gateway, 8080)
    assert allowed(policies, nginx, canary, 8080), "the canary takes its share of edge traffic"
    assert not allowed(policies, proxies, gateway, 8080)
    assert not any(policy["metadata"]["name"] == "edge-proxies" for policy in policies)
    assert allowed(policies, canary, _pod(out, "bandung", "order-canary"), 8080)


def test_the_gateways_proxies_reach_the_canary_too(gateway_canary: tuple[Fleet, Path]) -> None:
    _, out = gateway_canary
    policies = _policies(out, "bandung")
    proxies = Pod(APPS, {"gateway.networking.k8s.io/gateway-name": "edge"}, _host_in(CITY_CIDRS["bandung"], 40))
    assert allowed(policies, proxies, _pod(out, "bandung", "gateway-canary"), 8080)
    assert not allowed(policies, proxies, _pod(out, "bandung", "order-canary"), 8080)


def test_every_app_pod_is_covered_by_its_own_policy(default: tuple[Path, dict[str, list[dict[str, Any]]]]) -> None:
    out, policies = default
    for (kind, name), doc in city_docs(out, "jakarta").items():
        if kind not in {"Deployment", "StatefulSet"} or doc["metadata"]["namespace"] != APPS:
            continue
        labels = doc["spec"]["template"]["metadata"]["labels"]
        own = [p for p in policies["jakarta"] if p["spec"]["podSelector"].get("matchLabels") == {SERVICE: name}]
        assert len(own) == 1 and selects(own[0]["spec"]["podSelector"], labels), name
