"""Every city's Grafana reaches every city's Prometheus, judged on the rendered fleet: for each datasource of each
city's Grafana, the Service its URL names exists in that city, selects the Prometheus pods of exactly the city the
datasource is for (there and in the owning city, whose endpoints the mesh merges in), both ends get a sidecar,
the owner's AuthorizationPolicy admits the caller's Grafana, and the NetworkPolicies of both cities let every hop
through. Each check is shown to fire on a copy broken on purpose."""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from nusantara_fleet import naming
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.validate.reachability import Network, Pod, selects
from tests.support import ENVS, FLEET, Rendered, collect_variant, edit_yaml

CITIES = ("bandung", "jakarta", "surabaya")
Doc = dict[str, Any]
# The labels the Prometheus Operator sets on the pods of a Prometheus resource (prometheus-operator's
# pkg/prometheus/server/statefulset.go), whatever the chart's values say; the resource is `<release>-prometheus`.
OPERATOR_APP = "prometheus"
# The Grafana subchart's pod labels: `app.kubernetes.io/name: grafana` and the release.
GRAFANA_APP = "grafana"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return collect_variant(tmp_path_factory.mktemp("prometheus-mesh"))


def _application(docs: list[Doc], chart: str, city: str) -> Doc:
    return next(
        doc
        for doc in docs
        if doc["kind"] == "Application"
        and doc["spec"]["source"].get("chart") == chart
        and doc["spec"]["destination"]["name"] == city
    )


def _values(app: Doc) -> dict[str, Any]:
    values: dict[str, Any] = app["spec"]["source"]["helm"]["valuesObject"]
    return values


class City:
    """One city's end of the path, read from its stack Application, its gateway's and its tree."""

    def __init__(self, rendered: Rendered, name: str) -> None:
        stack = _application(rendered[FLEET], naming.KUBE_PROMETHEUS_STACK, name)
        release = stack["spec"]["source"]["helm"]["releaseName"]
        values = _values(stack)
        self.name = name
        self.namespace = stack["spec"]["destination"]["namespace"]
        self.grafana = values["grafana"]
        self.prometheus = values["prometheus"]["prometheusSpec"].get("podMetadata", {})
        self.services = [doc for doc in values.get("extraManifests", []) if doc["kind"] == "Service"]
        self.prometheus_labels = {
            **self.prometheus.get("labels", {}),
            naming.NAME_LABEL: OPERATOR_APP,
            naming.PROMETHEUS_OPERATOR_NAME_LABEL: f"{release}-prometheus",
        }
        self.grafana_labels = {
            **self.grafana.get("podLabels", {}),
            naming.NAME_LABEL: GRAFANA_APP,
            naming.INSTANCE_LABEL: release,
        }
        self.grafana_account = self.grafana.get("serviceAccount", {}).get("name", f"{release}-grafana")
        gateway = _application(rendered[FLEET], naming.ISTIO_GATEWAY_CHART, name)
        self.eastwest_labels = dict(_values(gateway)["labels"])
        self.eastwest_namespace = gateway["spec"]["destination"]["namespace"]
        self.eastwest_address = str(_values(gateway)["service"]["loadBalancerIP"])
        self.eastwest_port = next(p["port"] for p in _values(gateway)["service"]["ports"] if p["name"] == "tls")
        self.trust_domain = _values(_application(rendered[FLEET], naming.ISTIOD, name))["meshConfig"]["trustDomain"]
        docs = rendered[name]
        self.authorizations = [doc for doc in docs if doc["kind"] == "AuthorizationPolicy"]
        self.dashboard = next(
            doc
            for doc in docs
            if doc["kind"] == "ConfigMap"
            and doc["metadata"]["name"] == naming.dashboard_configmap(naming.DASHBOARD_FLEET)
        )
        self.policies = [doc for doc in docs if doc["kind"] == "NetworkPolicy"]
        self.pods = {
            "grafana": Pod(self.namespace, self.grafana_labels),
            "prometheus": Pod(self.namespace, self.prometheus_labels),
            "eastwest": Pod(self.eastwest_namespace, self.eastwest_labels),
        }
        self.network = Network(self.policies, list(self.pods.values()))

    def service(self, name: str, namespace: str) -> Doc | None:
        return next(
            (s for s in self.services if (s["metadata"]["name"], s["metadata"].get("namespace")) == (name, namespace)),
            None,
        )

    def inbound(self) -> set[str]:
        return set(
            filter(None, self.prometheus.get("annotations", {}).get(naming.INCLUDE_INBOUND_PORTS, "").split(","))
        )


def _selects(service: Doc, labels: dict[str, str]) -> bool:
    selector = service["spec"].get("selector")
    return bool(selector) and selects({"matchLabels": selector}, labels)


def _injected(labels: dict[str, str]) -> bool:
    return labels.get(naming.SIDECAR_INJECT_LABEL) == "true"


def _dashboard_uids(board: Doc) -> set[str]:
    dashboard = json.loads(next(iter(board["data"].values())))
    found = set()
    for panel in dashboard["panels"]:
        for item in (panel, *panel.get("targets", [])):
            if isinstance(item.get("datasource"), dict) and "uid" in item["datasource"]:
                found.add(str(item["datasource"]["uid"]))
    # Grafana's built-in pseudo datasources (`-- Mixed --`: each target names its own) are provisioned by no one.
    return {uid for uid in found if not uid.startswith("-- ")}


def _admits(owner: City, principal: str, port: int) -> bool:
    """An ALLOW rule of a policy selecting the owner's Prometheus pods admits `principal` on `port`."""
    for policy in owner.authorizations:
        spec = policy["spec"]
        if policy["metadata"]["namespace"] != owner.namespace or spec.get("action", "ALLOW") != "ALLOW":
            continue
        if not selects(spec.get("selector", {}), owner.prometheus_labels):
            continue
        for rule in spec.get("rules", []):
            sources = [entry["source"].get("principals", []) for entry in rule.get("from", [])]
            ports = [p for to in rule.get("to", []) for p in to["operation"].get("ports", [])]
            if any(principal in principals for principals in sources) and str(port) in ports:
                return True
    return False


def _hops(caller: City, owner: City, port: int, caller_address: str) -> list[str]:
    """The NetworkPolicies along the path: local, Grafana to Prometheus; remote, Grafana to the owner's east-west
    gateway, the gateway (which relays the connection, so it is the TCP source) to Prometheus."""
    grafana, prometheus = caller.pods["grafana"], owner.pods["prometheus"]
    if caller is owner:
        ok = caller.network.allows(grafana, prometheus, port)
        return [] if ok else [f"{caller.name}: the NetworkPolicies block Grafana -> Prometheus on {port}"]
    problems = []
    eastwest = owner.pods["eastwest"]
    if not caller.network.sends(grafana, Pod(None, ip=owner.eastwest_address), owner.eastwest_port):
        problems.append(
            f"{caller.name}: Grafana may not send to {owner.name}'s east-west gateway "
            f"{owner.eastwest_address}:{owner.eastwest_port}"
        )
    if not owner.network.allows(Pod(None, ip=caller_address), eastwest, owner.eastwest_port):
        problems.append(f"{owner.name}: the east-west gateway does not admit {caller.name} on {owner.eastwest_port}")
    if not owner.network.allows(eastwest, prometheus, port):
        problems.append(f"{owner.name}: the east-west gateway may not reach Prometheus on {port}")
    return problems


def path_problems(rendered: Rendered, addresses: dict[str, str]) -> list[str]:
    """Every problem on the path from each city's Grafana to each Prometheus its datasources name.
    `addresses`: an address of each city's pod network, where its Grafana's connections come from."""
    cities = {name: City(rendered, name) for name in CITIES}
    problems = []
    for caller in cities.values():
        if not _injected(caller.grafana_labels):
            problems.append(f"{caller.name}: Grafana has no sidecar, so it cannot reach another network")
        sources = caller.grafana.get("additionalDataSources", [])
        provisioned = {source["uid"] for source in sources}
        for uid in sorted(_dashboard_uids(caller.dashboard) - provisioned):
            problems.append(f"{caller.name}: the fleet dashboard reads {uid}, which its Grafana does not provision")
        principal = naming.mesh_principal(caller.trust_domain, caller.namespace, caller.grafana_account)
        for source in sources:
            # The default datasource is the city's own; the others are named after their city.
            named = caller.name if source["isDefault"] else source["uid"].removeprefix("prometheus-")
            url = urlsplit(source["url"])
            host = str(url.hostname)
            name, _, namespace = host.partition(".")
            shown = f"{caller.name}: {source['uid']} ({source['url']})"
            service = caller.service(name, namespace)
            if service is None:
                problems.append(f"{shown}: no Service {name} in {namespace} there, so the name does not resolve")
                continue
            port = next((p for p in service["spec"]["ports"] if p["port"] == url.port), None)
            if port is None:
                problems.append(f"{shown}: the Service has no port {url.port}")
                continue
            selected = sorted(c.name for c in cities.values() if _selects(service, c.prometheus_labels))
            if selected != [named]:
                problems.append(f"{shown}: the Service selects the Prometheus pods of {selected}, not of [{named!r}]")
                continue
            owner = cities[named]
            remote = owner.service(name, namespace)
            if remote is None or not _selects(remote, owner.prometheus_labels):
                problems.append(f"{shown}: {named}'s own Service {name} does not select its Prometheus pods")
                continue
            target = int(port["targetPort"])
            if not _injected(owner.prometheus_labels) or str(target) not in owner.inbound():
                problems.append(f"{shown}: {named}'s Prometheus has no sidecar taking {target}")
            if not _admits(owner, principal, target):
                problems.append(f"{shown}: {named}'s AuthorizationPolicies do not admit {principal} on {target}")
            problems.extend(f"{shown}: {hop}" for hop in _hops(caller, owner, target, addresses[caller.name]))
    return problems


@pytest.fixture(scope="module")
def addresses(fleet: Fleet) -> dict[str, str]:
    return {city.name: str(ipaddress.ip_network(city.network.pod_cidr)[10]) for city in fleet.cities}


def test_every_grafana_reaches_every_prometheus(rendered: Rendered, addresses: dict[str, str]) -> None:
    assert path_problems(rendered, addresses) == []
    # 3 cities x (the default + one per city) datasources, each checked end to end
    assert sum(len(City(rendered, c).grafana["additionalDataSources"]) for c in CITIES) == 12


def _stack_values(docs: Rendered, city: str) -> dict[str, Any]:
    return _values(_application(docs[FLEET], naming.KUBE_PROMETHEUS_STACK, city))


def _drop_city_label(docs: Rendered) -> None:
    del _stack_values(docs, "jakarta")["prometheus"]["prometheusSpec"]["podMetadata"]["labels"][naming.CITY_LABEL]


def _drop_selector_city(docs: Rendered) -> None:
    for service in _stack_values(docs, "bandung")["extraManifests"]:
        if service["metadata"]["name"] == "prometheus-surabaya":
            del service["spec"]["selector"][naming.CITY_LABEL]


def _drop_datasource(docs: Rendered) -> None:
    grafana = _stack_values(docs, "bandung")["grafana"]
    grafana["additionalDataSources"] = [
        s for s in grafana["additionalDataSources"] if s["uid"] != "prometheus-surabaya"
    ]


def _drop_service(docs: Rendered) -> None:
    values = _stack_values(docs, "surabaya")
    values["extraManifests"] = [s for s in values["extraManifests"] if s["metadata"]["name"] != "prometheus-jakarta"]


def _restrict_gateway_egress(docs: Rendered) -> None:
    """The east-west gateway's egress limited to istiod, as a policy that forgot the relayed ports would."""
    docs["jakarta"].append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "eastwest-egress", "namespace": "istio-system"},
            "spec": {
                "podSelector": {"matchLabels": {"istio": "eastwestgateway"}},
                "policyTypes": ["Egress"],
                "egress": [{"ports": [{"port": 15012, "protocol": "TCP"}]}],
            },
        }
    )


def _deny_monitoring(docs: Rendered) -> None:
    docs["surabaya"].append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "monitoring"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []},
        }
    )


def _deny_grafana_egress(docs: Rendered) -> None:
    docs["bandung"].append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "grafana-egress", "namespace": "monitoring"},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "grafana"}}, "policyTypes": ["Egress"]},
        }
    )


def _drop_gateway_ingress(docs: Rendered) -> None:
    docs["jakarta"] = [
        d
        for d in docs["jakarta"]
        if not (d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "mesh-istio-eastwestgateway")
    ]


def _drop_owner_service(docs: Rendered) -> None:
    values = _stack_values(docs, "jakarta")
    values["extraManifests"] = [s for s in values["extraManifests"] if s["metadata"]["name"] != "prometheus-jakarta"]


def _uninject_grafana(docs: Rendered) -> None:
    del _stack_values(docs, "surabaya")["grafana"]["podLabels"][naming.SIDECAR_INJECT_LABEL]


def _uninject_prometheus(docs: Rendered) -> None:
    del _stack_values(docs, "bandung")["prometheus"]["prometheusSpec"]["podMetadata"]["annotations"][
        naming.INCLUDE_INBOUND_PORTS
    ]


def _wrong_principal(docs: Rendered) -> None:
    policy = next(
        d for d in docs["surabaya"] if d["kind"] == "AuthorizationPolicy" and d["metadata"]["name"] == "prometheus"
    )
    policy["spec"]["rules"][0]["from"][0]["source"]["principals"] = ["cluster.local/ns/monitoring/sa/grafana"]


DS = {city: f"prometheus-{city} (http://prometheus-{city}.monitoring:9090/)" for city in CITIES}
DEFAULT = {city: f"prometheus (http://prometheus-{city}.monitoring:9090/)" for city in CITIES}
GRAFANA = "cluster.local/ns/monitoring/sa/kube-prometheus-stack-grafana"
UNRESOLVED = "no Service prometheus-jakarta in monitoring there, so the name does not resolve"


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        pytest.param(
            _drop_city_label,
            [f"{c}: {DS['jakarta']}: the Service selects the Prometheus pods of [], not of ['jakarta']" for c in CITIES]
            + [
                "jakarta: " + DEFAULT["jakarta"] + ": the Service selects the Prometheus pods of [], not of ['jakarta']"
            ],
            id="prometheus-pods-without-city-label",
        ),
        pytest.param(
            _drop_selector_city,
            [
                f"bandung: {DS['surabaya']}: the Service selects the Prometheus pods of "
                "['bandung', 'jakarta', 'surabaya'], not of ['surabaya']"
            ],
            id="service-selects-every-city",
        ),
        pytest.param(
            _drop_datasource,
            ["bandung: the fleet dashboard reads prometheus-surabaya, which its Grafana does not provision"],
            id="datasource-removed",
        ),
        pytest.param(
            _drop_service,
            [f"surabaya: {DS['jakarta']}: {UNRESOLVED}"],
            id="service-missing-in-the-calling-city",
        ),
        pytest.param(
            _restrict_gateway_egress,
            [
                f"{c}: {DS['jakarta']}: jakarta: the east-west gateway may not reach Prometheus on 9090"
                for c in ("bandung", "surabaya")
            ],
            id="gateway-egress-without-prometheus",
        ),
        pytest.param(
            _deny_monitoring,
            [
                f"surabaya: {DEFAULT['surabaya']}: surabaya: the NetworkPolicies block Grafana -> Prometheus on 9090",
                f"surabaya: {DS['surabaya']}: surabaya: the NetworkPolicies block Grafana -> Prometheus on 9090",
            ]
            + [
                f"{c}: {DS['surabaya']}: surabaya: the east-west gateway may not reach Prometheus on 9090"
                for c in ("bandung", "jakarta")
            ],
            id="monitoring-denies-ingress",
        ),
        pytest.param(
            _deny_grafana_egress,
            [
                f"bandung: {DEFAULT['bandung']}: bandung: the NetworkPolicies block Grafana -> Prometheus on 9090",
                f"bandung: {DS['bandung']}: bandung: the NetworkPolicies block Grafana -> Prometheus on 9090",
                f"bandung: {DS['jakarta']}: bandung: Grafana may not send to jakarta's east-west gateway "
                "10.210.0.10:15443",
                f"bandung: {DS['surabaya']}: bandung: Grafana may not send to surabaya's east-west gateway "
                "10.230.0.10:15443",
            ],
            id="grafana-egress-denied",
        ),
        pytest.param(
            _drop_gateway_ingress,
            [
                f"{c}: {DS['jakarta']}: jakarta: the east-west gateway does not admit {c} on 15443"
                for c in ("bandung", "surabaya")
            ],
            id="gateway-ingress-removed",
        ),
        pytest.param(
            _drop_owner_service,
            [
                f"jakarta: {DEFAULT['jakarta']}: {UNRESOLVED}",
                f"jakarta: {DS['jakarta']}: {UNRESOLVED}",
            ]
            + [
                f"{c}: {DS['jakarta']}: jakarta's own Service prometheus-jakarta does not select its Prometheus pods"
                for c in ("bandung", "surabaya")
            ],
            id="service-missing-in-the-owning-city",
        ),
        pytest.param(
            _uninject_grafana,
            ["surabaya: Grafana has no sidecar, so it cannot reach another network"],
            id="grafana-without-sidecar",
        ),
        pytest.param(
            _uninject_prometheus,
            [f"{c}: {DS['bandung']}: bandung's Prometheus has no sidecar taking 9090" for c in CITIES]
            + [f"bandung: {DEFAULT['bandung']}: bandung's Prometheus has no sidecar taking 9090"],
            id="prometheus-sidecar-misses-9090",
        ),
        pytest.param(
            _wrong_principal,
            [f"{c}: {DS['surabaya']}: surabaya's AuthorizationPolicies do not admit {GRAFANA} on 9090" for c in CITIES]
            + [f"surabaya: {DEFAULT['surabaya']}: surabaya's AuthorizationPolicies do not admit {GRAFANA} on 9090"],
            id="authorization-admits-another-account",
        ),
    ],
)
def test_the_path_check_fires(
    rendered: Rendered, addresses: dict[str, str], breakage: Callable[[Rendered], None], expected: list[str]
) -> None:
    broken = copy.deepcopy(rendered)
    breakage(broken)
    assert sorted(path_problems(broken, addresses)) == sorted(expected)


def test_prometheus_sidecar_takes_9090_only_and_nothing_outbound(rendered: Rendered) -> None:
    """Its scrapes, probes and alert pushes leave unproxied, as before the sidecar; Grafana's own port stays plain
    for its ServiceMonitor."""
    for city in CITIES:
        values = _stack_values(rendered, city)
        assert values["prometheus"]["prometheusSpec"]["podMetadata"] == {
            "annotations": {
                "traffic.sidecar.istio.io/includeInboundPorts": "9090",
                "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
            },
            "labels": {naming.CITY_LABEL: city, "sidecar.istio.io/inject": "true"},
        }
        assert values["grafana"]["podAnnotations"] == {"traffic.sidecar.istio.io/includeInboundPorts": ""}


def test_istiod_proxies_no_dns_so_each_city_renders_every_service(rendered: Rendered) -> None:
    """Without DNS proxying a name resolves only where its Service exists: hence all three Services in each city,
    and the path check's `no Service ... there`."""
    for city in CITIES:
        istiod = _values(_application(rendered[FLEET], naming.ISTIOD, city))
        metadata = istiod["meshConfig"]["defaultConfig"].get("proxyMetadata", {})
        assert "ISTIO_META_DNS_CAPTURE" not in metadata
        names = [s["metadata"]["name"] for s in _stack_values(rendered, city)["extraManifests"]]
        assert names == [f"prometheus-{c}" for c in CITIES]


def test_the_authorization_policy_admits_grafana_and_plaintext_callers_and_no_other_meshed_one(
    rendered: Rendered,
) -> None:
    selector = {
        "app.kubernetes.io/name": "prometheus",
        "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
    }
    for city in CITIES:
        (policy,) = [
            d for d in rendered[city] if d["kind"] == "AuthorizationPolicy" and d["metadata"]["name"] == "prometheus"
        ]
        assert policy["metadata"]["namespace"] == "monitoring"
        to = [{"operation": {"ports": ["9090"]}}]
        assert policy["spec"] == {
            "action": "ALLOW",
            # `notPrincipals: ["*"]` matches only a request without a peer identity: a meshed caller other
            # than Grafana matches neither rule and is refused.
            "rules": [
                {"from": [{"source": {"principals": [GRAFANA]}}], "to": to},
                {"from": [{"source": {"notPrincipals": ["*"]}}], "to": to},
            ],
            "selector": {"matchLabels": selector},
        }


def test_only_9090_of_the_prometheus_pods_takes_plaintext(rendered: Rendered) -> None:
    """What reached Prometheus in plaintext before its sidecar (the release workflow's canary queries) still
    does; every other port of those pods, and every other pod, stays STRICT."""
    for city in CITIES:
        permissive = [d for d in rendered[city] if d["kind"] == "PeerAuthentication" and "portLevelMtls" in d["spec"]]
        assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in permissive] == [
            ("monitoring", "prometheus")
        ]
        (spec,) = [d["spec"] for d in permissive]
        assert spec["mtls"] == {"mode": "STRICT"}
        assert spec["portLevelMtls"] == {"9090": {"mode": "PERMISSIVE"}}
        assert spec["selector"]["matchLabels"] == {
            "app.kubernetes.io/name": "prometheus",
            "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
        }


def test_a_trust_domain_change_reaches_the_prometheus_policy(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data.setdefault("traffic", {}).setdefault("mesh", {})["trust_domain"] = "nusantaramart.co.id"

    out = collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    (policy,) = [
        d for d in out["bandung"] if d["kind"] == "AuthorizationPolicy" and d["metadata"]["name"] == "prometheus"
    ]
    assert policy["spec"]["rules"][0]["from"][0]["source"]["principals"] == [
        "nusantaramart.co.id/ns/monitoring/sa/kube-prometheus-stack-grafana"
    ]
