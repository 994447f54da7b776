"""The mesh's invariants, judged on rendered objects (one city's documents, or dist/fleet's Applications).

Each check returns the problems it finds, so a test can show it silent on the default fleet and firing on
a copy broken on purpose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from nusantara_fleet import naming

Doc = dict[str, Any]
ISTIO_GATEWAY_CHART = "gateway"
ISTIOD_CHART = "istiod"


def _kind(docs: Iterable[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def strict_without_injection(docs: list[Doc], *, root: str, reviewed: set[str]) -> list[str]:
    """Mesh-wide STRICT mTLS refuses plaintext: every namespace but the reviewed ones must inject sidecars."""
    strict = any(
        pa["metadata"]["namespace"] == root
        and pa["spec"].get("mtls", {}).get("mode") == "STRICT"
        and not pa["spec"].get("selector")
        for pa in _kind(docs, "PeerAuthentication")
    )
    if not strict:
        return []
    return [
        f"namespace {ns['metadata']['name']} has no {naming.INJECTION_LABEL}=enabled under mesh-wide STRICT mTLS"
        for ns in _kind(docs, "Namespace")
        if ns["metadata"]["name"] not in reviewed | {root}
        and ns["metadata"].get("labels", {}).get(naming.INJECTION_LABEL) != naming.INJECTION_ENABLED
    ]


def accounts(docs: list[Doc]) -> dict[str, dict[str, str]]:
    """namespace -> service label -> the ServiceAccount its pods run as, from the Deployments and StatefulSets."""
    found: dict[str, dict[str, str]] = {}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = doc["spec"]["template"]
        service = template["metadata"]["labels"].get(naming.SERVICE_LABEL)
        if service is not None:
            account = template["spec"].get("serviceAccountName", "default")
            found.setdefault(doc["metadata"]["namespace"], {})[service] = account
    return found


def principal_problems(docs: list[Doc], *, trust_domain: str, outside: set[str]) -> list[str]:
    """Every principal is `<trust domain>/ns/<ns>/sa/<sa>` of a ServiceAccount rendered in the city, or one of
    the accounts charts create outside the tree (`outside`: the edge proxies, the blackbox exporter, Grafana)."""
    rendered = {
        naming.mesh_principal(trust_domain, sa["metadata"]["namespace"], sa["metadata"]["name"])
        for sa in _kind(docs, "ServiceAccount")
    }
    problems = []
    for policy in _kind(docs, "AuthorizationPolicy"):
        for rule in policy["spec"].get("rules", []):
            for source in rule.get("from", []):
                for principal in source["source"].get("principals", []):
                    if not principal.startswith(f"{trust_domain}/ns/"):
                        problems.append(f"{policy['metadata']['name']}: {principal} is not in {trust_domain}")
                    elif principal not in rendered | outside:
                        problems.append(f"{policy['metadata']['name']}: {principal} is no known ServiceAccount")
    return problems


def _service_of(selector: dict[str, Any]) -> str | None:
    service = selector.get("matchLabels", {}).get(naming.SERVICE_LABEL)
    return None if service is None else str(service)


def _np_callers(rule: dict[str, Any], namespace: str, sas: dict[str, dict[str, str]]) -> tuple[str, frozenset[str]]:
    """A NetworkPolicy peer as (namespace, accounts): its pods' ServiceAccounts, or `*` for a whole namespace."""
    (peer,) = rule["from"]
    if "namespaceSelector" in peer:
        return peer["namespaceSelector"]["matchLabels"][naming.NAMESPACE_NAME_LABEL], frozenset({"*"})
    (expression,) = peer["podSelector"]["matchExpressions"]
    return namespace, frozenset(sas.get(namespace, {}).get(service, f"?{service}") for service in expression["values"])


def _ap_callers(principals: list[str]) -> tuple[str, frozenset[str]]:
    namespaces = {p.split("/ns/")[1].split("/sa/")[0] for p in principals}
    assert len(namespaces) == 1, principals
    return namespaces.pop(), frozenset(p.split("/sa/")[1] for p in principals)


def flow_problems(docs: list[Doc], *, root: str, outside: set[str]) -> list[str]:
    """Each service's AuthorizationPolicy admits exactly the callers and ports its NetworkPolicy admits.

    Only the AuthorizationPolicies of the namespaces holding those NetworkPolicies are compared.
    NetworkPolicy side: every ingress rule, less the local east-west gateway's relay rule (it carries remote
    callers, whose identities the same rules cover) and the ports the sidecar does not intercept (the pod's
    exclusion annotation). A whole-namespace peer matches principals of that namespace's chart-made accounts
    (`outside`); a service peer matches its pods' ServiceAccounts, read from the workloads.
    """
    sas = accounts(docs)
    excluded: dict[str, set[int]] = {}
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            meta = doc["spec"]["template"]["metadata"]
            ports = meta.get("annotations", {}).get(naming.EXCLUDE_INBOUND_PORTS, "")
            service = meta["labels"].get(naming.SERVICE_LABEL)
            excluded.setdefault(str(service), set()).update(int(p) for p in ports.split(",") if p)
    policies = {
        _service_of(np["spec"]["podSelector"]): np
        for np in _kind(docs, "NetworkPolicy")
        if np["metadata"]["namespace"] != root and _service_of(np["spec"]["podSelector"])
    }
    # Only where the services' NetworkPolicies are: the monitoring namespace's policy guards the chart's
    # Prometheus pods, which no service NetworkPolicy selects (tests/observability/test_prometheus_mesh.py).
    compared = {np["metadata"]["namespace"] for np in policies.values()}
    authorizations = {
        _service_of(ap["spec"]["selector"]): ap
        for ap in _kind(docs, "AuthorizationPolicy")
        if ap["metadata"]["namespace"] in compared
    }
    problems = []
    for service in sorted(set(policies) | set(authorizations), key=str):
        np, ap = policies.get(service), authorizations.get(service)
        if np is None or ap is None:
            problems.append(f"{service}: a NetworkPolicy without an AuthorizationPolicy, or the reverse")
            continue
        namespace = np["metadata"]["namespace"]
        want: Counter[tuple[str, frozenset[str], frozenset[int]]] = Counter()
        for rule in np["spec"].get("ingress", []):
            peer = rule["from"][0]
            if peer.get("namespaceSelector", {}).get("matchLabels", {}).get(naming.NAMESPACE_NAME_LABEL) == root:
                continue
            ports = frozenset(p["port"] for p in rule["ports"]) - excluded.get(str(service), set())
            if ports:
                want[(*_np_callers(rule, namespace, sas), ports)] += 1
        got: Counter[tuple[str, frozenset[str], frozenset[int]]] = Counter()
        for rule in ap["spec"].get("rules", []):
            (source,) = rule["from"]
            (operation,) = rule["to"]
            ns, names = _ap_callers(source["source"]["principals"])
            if names <= {sa.split("/sa/")[1] for sa in outside if f"/ns/{ns}/" in sa}:
                names = frozenset({"*"})
            got[(ns, names, frozenset(int(p) for p in operation["operation"]["ports"]))] += 1
        if want != got:
            problems.append(f"{service}: NetworkPolicy admits {dict(want)}, AuthorizationPolicy {dict(got)}")
    return problems


def addon_values(fleet_docs: list[Doc], chart: str) -> dict[str, dict[str, Any]]:
    """city -> the values of that chart's Application."""
    return {
        app["spec"]["destination"]["name"]: app["spec"]["source"]["helm"]["valuesObject"]
        for app in _kind(fleet_docs, "Application")
        if app["spec"].get("source", {}).get("chart") == chart
        and app["spec"]["source"]["repoURL"].startswith("https://istio-release")
    }


def identity_problems(fleet_docs: list[Doc], cities: set[str]) -> list[str]:
    """One meshID; a clusterName and a network per city, each unique; an east-west gateway per city with 15443."""
    istiod = addon_values(fleet_docs, ISTIOD_CHART)
    problems = []
    if set(istiod) != cities:
        problems.append(f"istiod installed in {sorted(istiod)}, not in every city {sorted(cities)}")
    mesh_ids = {values["global"]["meshID"] for values in istiod.values()}
    if len(mesh_ids) != 1:
        problems.append(f"meshIDs {sorted(mesh_ids)}: one mesh needs one ID")
    for key in ("clusterName", "network"):
        names = [
            values["global"]["multiCluster"]["clusterName"] if key == "clusterName" else values["global"]["network"]
            for values in istiod.values()
        ]
        if len(set(names)) != len(names):
            problems.append(f"{key}s {sorted(names)} are not unique")
    gateways = addon_values(fleet_docs, ISTIO_GATEWAY_CHART)
    for city in sorted(cities):
        ports = [port["port"] for port in gateways.get(city, {}).get("service", {}).get("ports", [])]
        if 15443 not in ports:
            problems.append(f"{city}: the east-west gateway's Service has no 15443 (ports {ports})")
        if gateways.get(city, {}).get("networkGateway") != istiod.get(city, {}).get("global", {}).get("network"):
            problems.append(f"{city}: the east-west gateway serves another network than istiod's")
    return problems


def remote_secret_problems(docs: list[Doc], city: str, cities: set[str]) -> list[str]:
    """A remote secret for exactly every other city, labelled and annotated for istiod."""
    found = {}
    for es in _kind(docs, "ExternalSecret"):
        meta = es["spec"]["target"].get("template", {}).get("metadata", {})
        if meta.get("labels", {}).get(naming.MULTICLUSTER_SECRET_LABEL) == "true":
            found[meta["annotations"][naming.MESH_CLUSTER_ANNOTATION]] = es
    problems = []
    if set(found) != cities - {city}:
        problems.append(f"{city}: remote secrets for {sorted(found)}, want exactly {sorted(cities - {city})}")
    for other, es in found.items():
        keys = [entry["secretKey"] for entry in es["spec"]["data"]]
        if keys != [other] or es["spec"]["target"]["name"] != naming.remote_secret(other):
            problems.append(f"{city}: the remote secret of {other} is {es['spec']['target']['name']} with keys {keys}")
    return problems
