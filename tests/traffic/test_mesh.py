"""The mesh as rendered: identity, remote secrets, injection under STRICT mTLS, principals, and one flow table
behind both the NetworkPolicies and the AuthorizationPolicies; each check is shown to fire on a broken copy."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import naming
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import Fleet, load_fleet
from tests.support import ENVS, FLEET, Rendered, collect_variant, edit_yaml
from tests.traffic import mesh_checks as checks

CITIES = {"jakarta", "bandung", "surabaya"}
ROOT = "istio-system"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return collect_variant(tmp_path_factory.mktemp("mesh"))


def _outside(fleet: Fleet, city: str) -> set[str]:
    """Accounts created by charts, not by the tree: the edge proxies, the blackbox exporter and Grafana."""
    edge = fleet.workloads.city(city).edge
    domain = fleet.spec.traffic.mesh.trust_domain
    monitoring = fleet.spec.network_policy.monitoring_namespace
    return {
        naming.mesh_principal(domain, edge.proxy_namespace, edge.proxy_account),
        naming.mesh_principal(domain, monitoring, naming.BLACKBOX_EXPORTER),
        naming.mesh_principal(domain, monitoring, naming.STACK_GRAFANA),
    }


def _find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name)


def test_strict_mtls_means_injection_except_the_reviewed_list(fleet: Fleet, rendered: Rendered) -> None:
    reviewed = set(fleet.traffic.mesh.unmeshed)
    assert reviewed == {"data"}
    for city in CITIES:
        docs = rendered[city]
        assert _find(docs, "PeerAuthentication", "default")["spec"] == {"mtls": {"mode": "STRICT"}}
        assert checks.strict_without_injection(docs, root=ROOT, reviewed=reviewed) == []
    broken = copy.deepcopy(rendered["bandung"])
    del _find(broken, "Namespace", "shop")["metadata"]["labels"][naming.INJECTION_LABEL]
    assert checks.strict_without_injection(broken, root=ROOT, reviewed=reviewed) == [
        "namespace shop has no istio-injection=enabled under mesh-wide STRICT mTLS"
    ]
    data = _find(rendered["bandung"], "Namespace", "data")
    assert naming.INJECTION_LABEL not in data["metadata"]["labels"]


def test_principals_use_the_trust_domain_and_existing_accounts(fleet: Fleet, rendered: Rendered) -> None:
    for city in CITIES:
        docs = rendered[city]
        assert checks.principal_problems(docs, trust_domain="cluster.local", outside=_outside(fleet, city)) == []
    broken = copy.deepcopy(rendered["jakarta"])
    rule = _find(broken, "AuthorizationPolicy", "catalog")["spec"]["rules"][0]
    rule["from"][0]["source"]["principals"] = ["spiffe.example/ns/shop/sa/gateway", "cluster.local/ns/shop/sa/ghost"]
    assert checks.principal_problems(broken, trust_domain="cluster.local", outside=_outside(fleet, "jakarta")) == [
        "catalog: spiffe.example/ns/shop/sa/gateway is not in cluster.local",
        "catalog: cluster.local/ns/shop/sa/ghost is no known ServiceAccount",
    ]


def test_a_trust_domain_change_reaches_every_principal(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data.setdefault("traffic", {}).setdefault("mesh", {})["trust_domain"] = "nusantaramart.co.id"

    out = collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    policy = _find(out["surabaya"], "AuthorizationPolicy", "catalog")
    assert policy["spec"]["rules"][0]["from"][0]["source"]["principals"] == ["nusantaramart.co.id/ns/shop/sa/gateway"]
    istiod = checks.addon_values(out[FLEET], "istiod")["surabaya"]
    assert istiod["meshConfig"]["trustDomain"] == "nusantaramart.co.id"


def test_authorization_admits_exactly_what_the_network_policies_admit(fleet: Fleet, rendered: Rendered) -> None:
    for city in CITIES:
        assert checks.flow_problems(rendered[city], root=ROOT, outside=_outside(fleet, city)) == [], city


@pytest.mark.parametrize(
    ("breakage", "service"),
    [
        ("extra-caller", "catalog"),
        ("port", "order"),
        ("missing-policy", "report"),
        ("network-policy-widened", "payment"),
    ],
)
def test_the_flow_comparison_fires(fleet: Fleet, rendered: Rendered, breakage: str, service: str) -> None:
    docs = copy.deepcopy(rendered["bandung"])
    ap = _find(docs, "AuthorizationPolicy", service)
    np = _find(docs, "NetworkPolicy", service)
    if breakage == "extra-caller":
        ap["spec"]["rules"][0]["from"][0]["source"]["principals"].append("cluster.local/ns/shop/sa/report")
    elif breakage == "port":
        ap["spec"]["rules"][0]["to"][0]["operation"]["ports"] = ["9999"]
    elif breakage == "missing-policy":
        docs.remove(ap)
    else:
        peer = {
            "podSelector": {"matchExpressions": [{"key": naming.SERVICE_LABEL, "operator": "In", "values": ["order"]}]}
        }
        np["spec"]["ingress"].append({"from": [peer], "ports": [{"port": 8080, "protocol": "TCP"}]})
    problems = checks.flow_problems(docs, root=ROOT, outside=_outside(fleet, "bandung"))
    assert [problem.split(":")[0] for problem in problems] == [service]


def test_the_exposed_service_admits_the_edge_proxies_and_the_prober(fleet: Fleet, rendered: Rendered) -> None:
    policy = _find(rendered["jakarta"], "AuthorizationPolicy", "gateway")
    assert policy["spec"] == {
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"principals": ["cluster.local/ns/shop/sa/edge-istio"]}}],
                "to": [{"operation": {"ports": ["8080"]}}],
            },
            {
                "from": [{"source": {"principals": ["cluster.local/ns/monitoring/sa/blackbox-exporter"]}}],
                "to": [{"operation": {"ports": ["8080"]}}],
            },
        ],
        "selector": {"matchLabels": {naming.SERVICE_LABEL: "gateway"}},
    }


def test_one_mesh_id_unique_clusters_and_networks(rendered: Rendered) -> None:
    fleet_docs = rendered[FLEET]
    assert checks.identity_problems(fleet_docs, CITIES) == []
    istiod = checks.addon_values(fleet_docs, "istiod")
    assert istiod["bandung"]["global"] == {
        "istioNamespace": ROOT,
        "meshID": "nusantara",
        "multiCluster": {"clusterName": "bandung"},
        "network": "network-bandung",
    }
    broken = copy.deepcopy(fleet_docs)
    for app in broken:
        if app["kind"] == "Application" and app["metadata"]["name"] == "istiod-surabaya":
            values = app["spec"]["source"]["helm"]["valuesObject"]
            values["global"]["meshID"] = "other"
            values["global"]["network"] = "network-bandung"
        if app["kind"] == "Application" and app["metadata"]["name"] == "istio-eastwestgateway-jakarta":
            app["spec"]["source"]["helm"]["valuesObject"]["service"]["ports"].pop(1)
    assert checks.identity_problems(broken, CITIES) == [
        "meshIDs ['nusantara', 'other']: one mesh needs one ID",
        "networks ['network-bandung', 'network-bandung', 'network-jakarta'] are not unique",
        "jakarta: the east-west gateway's Service has no 15443 (ports [15021, 15012, 15017])",
        "surabaya: the east-west gateway serves another network than istiod's",
    ]


def test_the_eastwest_gateway_takes_the_city_address(rendered: Rendered) -> None:
    gateway = checks.addon_values(rendered[FLEET], "gateway")["surabaya"]
    assert gateway["service"]["loadBalancerIP"] == "10.230.0.10"
    assert gateway["labels"] == {"istio": "eastwestgateway", naming.MESH_NETWORK_LABEL: "network-surabaya"}
    namespace = _find(rendered["surabaya"], "Namespace", ROOT)
    assert namespace["metadata"]["labels"][naming.MESH_NETWORK_LABEL] == "network-surabaya"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_remote_secrets_for_exactly_the_other_cities(rendered: Rendered) -> None:
    for city in CITIES:
        assert checks.remote_secret_problems(rendered[city], city, CITIES) == []
    secret = _find(rendered["jakarta"], "ExternalSecret", "istio-remote-secret-bandung")
    assert secret["spec"]["data"] == [
        {"remoteRef": {"key": "nusantaramart/mesh/remote/bandung", "property": "kubeconfig"}, "secretKey": "bandung"}
    ]
    broken = copy.deepcopy(rendered["jakarta"])
    broken.remove(_find(broken, "ExternalSecret", "istio-remote-secret-surabaya"))
    broken.append(copy.deepcopy(_find(rendered["bandung"], "ExternalSecret", "istio-remote-secret-jakarta")))
    assert checks.remote_secret_problems(broken, "jakarta", CITIES) == [
        "jakarta: remote secrets for ['bandung', 'jakarta'], want exactly ['bandung', 'surabaya']"
    ]


def test_each_city_has_its_own_intermediate_ca(rendered: Rendered) -> None:
    keys = set()
    for city in CITIES:
        ca = _find(rendered[city], "ExternalSecret", "cacerts")
        assert [entry["secretKey"] for entry in ca["spec"]["data"]] == [
            "ca-cert.pem",
            "ca-key.pem",
            "root-cert.pem",
            "cert-chain.pem",
        ]
        keys |= {entry["remoteRef"]["key"] for entry in ca["spec"]["data"]}
    assert keys == {f"nusantaramart/mesh/ca/{city}" for city in CITIES}


def test_mesh_ports_in_the_network_policies(rendered: Rendered) -> None:
    """The caller reaches istiod and the other cities' east-west gateways; a routed service admits the local
    east-west gateway; the cache only reaches istiod."""
    docs = rendered["bandung"]
    gateway = _find(docs, "NetworkPolicy", "gateway")["spec"]
    assert {
        "ports": [{"port": 15443, "protocol": "TCP"}],
        "to": [
            {"ipBlock": {"cidr": "10.210.0.10/32"}},
            {"ipBlock": {"cidr": "10.230.0.10/32"}},
        ],
    } in gateway["egress"]
    istiod = {
        "ports": [{"port": 15012, "protocol": "TCP"}],
        "to": [
            {
                "namespaceSelector": {"matchLabels": {naming.NAMESPACE_NAME_LABEL: ROOT}},
                "podSelector": {"matchLabels": {"istio": "pilot"}},
            }
        ],
    }
    catalog = _find(docs, "NetworkPolicy", "catalog")["spec"]
    assert istiod in catalog["egress"]
    assert not any(rule["ports"][0]["port"] == 15443 for rule in catalog["egress"])
    relay = {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {naming.NAMESPACE_NAME_LABEL: ROOT}},
                "podSelector": {"matchLabels": {"istio": "eastwestgateway"}},
            }
        ],
        "ports": [{"port": 8080, "protocol": "TCP"}],
    }
    assert relay in catalog["ingress"]
    assert _find(docs, "NetworkPolicy", "report-cache")["spec"]["egress"] == [istiod]


def _set_city(city: str, **network: str) -> Any:
    def edit(envs: Path) -> None:
        edit_yaml(envs / f"{city}.yaml", lambda data: data["network"].update(network))

    return edit


def test_eastwest_addresses_are_unique_and_outside_the_networks(envs: Path) -> None:
    _set_city("surabaya", eastwest_address="10.210.0.10")(envs)
    _set_city("bandung", eastwest_address="10.10.3.4")(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    messages = [str(problem) for problem in caught.value.problems]
    assert messages == [
        "envs/bandung.yaml:5: network.eastwest_address: 10.10.3.4 lies in jakarta's pod_cidr 10.10.0.0/16 "
        "(envs/jakarta.yaml); the east-west gateway's address must be outside every pod and service network",
        "envs/surabaya.yaml:5: network.eastwest_address: 10.210.0.10 is also jakarta's east-west gateway address "
        "(envs/jakarta.yaml); the other cities' sidecars reach this city's pods only there, so each city needs "
        "its own",
    ]


def test_the_root_namespace_denies_ingress_but_the_mesh_ports(rendered: Rendered) -> None:
    docs = [
        doc for doc in rendered["jakarta"] if doc["kind"] == "NetworkPolicy" and doc["metadata"]["namespace"] == ROOT
    ]
    by_name = {doc["metadata"]["name"]: doc["spec"] for doc in docs}
    assert by_name["mesh-default-deny"] == {"ingress": [], "podSelector": {}, "policyTypes": ["Ingress"]}
    istiod = by_name["mesh-istiod"]["ingress"]
    # The edge proxies run in the apps namespace, beside their Gateway.
    assert [peer["namespaceSelector"]["matchLabels"][naming.NAMESPACE_NAME_LABEL] for peer in istiod[0]["from"]] == [
        ROOT,
        "monitoring",
        "shop",
    ]
    assert istiod[0]["ports"] == [{"port": 15012, "protocol": "TCP"}]
    assert by_name["mesh-istio-eastwestgateway"]["ingress"] == [
        {"ports": [{"port": 15021, "protocol": "TCP"}, {"port": 15443, "protocol": "TCP"}]}
    ]
    assert sorted(by_name) == ["mesh-default-deny", "mesh-istio-eastwestgateway", "mesh-istiod", "mesh-webhook"]


def test_scrapes_bypass_the_sidecar_on_the_metrics_port_only(rendered: Rendered) -> None:
    for doc in rendered["bandung"]:
        if doc["kind"] == "Deployment":
            annotations = doc["spec"]["template"]["metadata"]["annotations"]
            assert annotations[naming.EXCLUDE_INBOUND_PORTS] == "9090", doc["metadata"]["name"]
