"""The edge: only the gateway is exposed, over TLS on the model's hosts, split by weight with its canary."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.model import Fleet, load_fleet
from tests.support import DIST, ENVS, city_docs, copy_envs, render_variant, set_edge

HOSTS = ["api.nusantaramart.co.id", "ecommerce.knitto.co.id"]
# Each route: its public host and the host's name in the delegated zone global DNS serves.
ROUTES = {
    "api": ["api.nusantaramart.co.id", "api.gslb.nusantaramart.co.id"],
    "web": ["ecommerce.knitto.co.id", "ecommerce.gslb.knitto.co.id"],
}


def _edge_backends(doc: dict[str, Any]) -> set[str]:
    if doc["kind"] == "Ingress":
        return {path["backend"]["service"]["name"] for rule in doc["spec"]["rules"] for path in rule["http"]["paths"]}
    return {ref["name"] for rule in doc["spec"].get("rules", []) for ref in rule.get("backendRefs", [])}


def test_ingress_mode_exposes_only_the_gateway_over_tls(ingress_canary: tuple[Fleet, Path]) -> None:
    _, out = ingress_canary
    docs = city_docs(out, "surabaya")
    ingresses = {name: doc for (kind, name), doc in docs.items() if kind == "Ingress"}
    assert sorted(ingresses) == ["api", "web"]
    for name, hostnames in ROUTES.items():
        doc = ingresses[name]
        assert doc["spec"]["ingressClassName"] == "nginx"
        assert _edge_backends(doc) == {"gateway"}
        assert [rule["host"] for rule in doc["spec"]["rules"]] == hostnames
        assert doc["spec"]["tls"] == [{"hosts": hostnames[:1], "secretName": "edge-tls"}]
    # Gateway API objects only: the mesh's Istio `Gateway` (networking.istio.io) is no edge.
    assert not any(
        doc["kind"] in {"Gateway", "HTTPRoute"} and doc["apiVersion"].startswith("gateway.networking.k8s.io/")
        for doc in docs.values()
    )


def test_ingress_mode_sends_to_the_service_address_under_its_mesh_name(ingress_canary: tuple[Fleet, Path]) -> None:
    _, out = ingress_canary
    docs = city_docs(out, "bandung")
    assert docs[("Ingress", "api")]["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/service-upstream": "true",
        "nginx.ingress.kubernetes.io/upstream-vhost": "gateway.shop.svc.cluster.local",
    }
    canary = docs[("Ingress", "web-canary")]["metadata"]["annotations"]
    assert canary["nginx.ingress.kubernetes.io/upstream-vhost"] == "gateway-canary.shop.svc.cluster.local"
    assert canary["nginx.ingress.kubernetes.io/service-upstream"] == "true"


def test_ingress_canary_takes_its_weight_through_nginx_annotations(ingress_canary: tuple[Fleet, Path]) -> None:
    _, out = ingress_canary
    docs = city_docs(out, "bandung")
    for route in ROUTES:
        canary = docs[("Ingress", f"{route}-canary")]
        annotations = canary["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/canary"] == "true"
        assert annotations["nginx.ingress.kubernetes.io/canary-weight"] == "20"
        stable = docs[("Ingress", route)]
        assert [r["host"] for r in canary["spec"]["rules"]] == [r["host"] for r in stable["spec"]["rules"]]
        assert _edge_backends(canary) == {"gateway-canary"}
    assert ("Ingress", "api-canary") not in city_docs(out, "surabaya")


def test_gateway_api_is_the_default_edge_on_istio_with_the_city_address() -> None:
    fleet = load_fleet(ENVS)
    for city in fleet.cities:
        docs = city_docs(DIST, city.name)
        assert not any(kind == "Ingress" for kind, _ in docs)
        gateway = docs[("Gateway", "edge")]
        assert gateway["metadata"]["namespace"] == "shop"
        assert gateway["spec"]["gatewayClassName"] == "istio"
        assert gateway["spec"]["addresses"] == [{"type": "IPAddress", "value": str(city.network.edge_address)}]
        https = [listener for listener in gateway["spec"]["listeners"] if listener["protocol"] == "HTTPS"]
        assert [listener["hostname"] for listener in https] == HOSTS
        assert all(listener["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "edge-tls"}] for listener in https)
        for name, hostnames in ROUTES.items():
            route = docs[("HTTPRoute", name)]
            assert route["spec"]["hostnames"] == hostnames
            listener = next(listener["name"] for listener in https if listener["hostname"] == hostnames[0])
            assert route["spec"]["parentRefs"] == [{"name": "edge", "sectionName": listener}]
            assert _edge_backends(route) == {"gateway"}
            assert [ref["weight"] for ref in route["spec"]["rules"][0]["backendRefs"]] == [100]


def test_the_edge_plan_names_istios_proxies() -> None:
    edge = load_fleet(ENVS).workloads.city("jakarta").edge
    assert (edge.proxy_namespace, edge.proxy_account) == ("shop", "edge-istio")


def test_gateway_api_canary_gets_a_weighted_backend_ref(gateway_canary: tuple[Fleet, Path]) -> None:
    _, out = gateway_canary
    for name in ROUTES:
        route = city_docs(out, "bandung")[("HTTPRoute", name)]
        refs = {ref["name"]: ref["weight"] for ref in route["spec"]["rules"][0]["backendRefs"]}
        assert refs == {"gateway": 80, "gateway-canary": 20}


def test_plain_http_only_redirects(gateway_canary: tuple[Fleet, Path]) -> None:
    _, out = gateway_canary
    redirect = city_docs(out, "jakarta")[("HTTPRoute", "gateway-https-redirect")]
    (rule,) = redirect["spec"]["rules"]
    assert "backendRefs" not in rule
    assert rule["filters"] == [{"requestRedirect": {"scheme": "https", "statusCode": 301}, "type": "RequestRedirect"}]
    assert redirect["spec"]["hostnames"] == HOSTS


def test_canaries_behind_the_gateway_split_in_its_route_table(ingress_canary: tuple[Fleet, Path]) -> None:
    fleet, _ = ingress_canary
    gateway = next(app for app in fleet.workloads.city("bandung").apps if app.name == "gateway")
    routes = json.loads(gateway.config["ROUTES"])
    order = [route for route in routes if route["service"] == "order"]
    assert order and all(
        route["upstreams"]
        == [
            {"service": "order", "url": "http://order.shop.svc.cluster.local:8080", "weight": 90},
            {"service": "order-canary", "url": "http://order-canary.shop.svc.cluster.local:8080", "weight": 10},
        ]
        for route in order
    )


@pytest.mark.parametrize("mode", ["ingress-nginx", "gateway-api"])
def test_no_canary_renders_nothing_extra(mode: str, tmp_path: Path) -> None:
    _, out = render_variant(tmp_path, partial(set_edge, mode=mode))
    assert not [path for path in out.rglob("*canary*")]


def test_synth_warns_about_ingress_nginx_and_not_about_gateway_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--envs", str(ENVS), "--out", str(tmp_path / "a")]) == 0
    assert "retired" not in capsys.readouterr().err
    assert "edge" not in [w.field for w in load_fleet(ENVS).warnings]
    envs = copy_envs(tmp_path / "envs")
    set_edge(envs, "ingress-nginx")
    assert main(["synth", "--envs", str(envs), "--out", str(tmp_path / "b")]) == 0
    warned = capsys.readouterr().err
    assert "warning: envs/fleet.yaml:" in warned and "retired in March 2026" in warned
