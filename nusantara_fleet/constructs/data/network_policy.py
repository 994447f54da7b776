"""NetworkPolicy of the data namespace: one plan of `model/data/network.py`, its peers and ports as listed."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import NetworkPolicyPlan, Peer, PodSelector, TrafficRule


def _selector(plan: PodSelector) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    if plan.labels:
        selector["matchLabels"] = plan.labels
    if plan.present:
        selector["matchExpressions"] = [{"key": key, "operator": "Exists"} for key in plan.present]
    return selector


def _peer(plan: Peer) -> dict[str, Any]:
    if plan.cidr is not None:
        block: dict[str, Any] = {"cidr": plan.cidr}
        if plan.excluded:
            block["except"] = list(plan.excluded)
        return {"ipBlock": block}
    peer: dict[str, Any] = {}
    if plan.namespace is not None:
        peer["namespaceSelector"] = {"matchLabels": {naming.NAMESPACE_NAME_LABEL: plan.namespace}}
    if plan.pods is not None:
        peer["podSelector"] = _selector(plan.pods)
    elif plan.namespace is None:
        peer["podSelector"] = {}  # every pod of the policy's own namespace
    return peer


def _rules(rules: tuple[TrafficRule, ...], peers_key: str) -> list[dict[str, Any]]:
    return [
        {
            peers_key: [_peer(peer) for peer in rule.peers],
            "ports": [{"port": port, "protocol": protocol} for port in rule.ports for protocol in rule.protocols],
        }
        for rule in rules
    ]


class NetworkPolicy(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: NetworkPolicyPlan) -> None:
        spec: dict[str, Any] = {"podSelector": _selector(plan.pod_selector)}
        types = []
        if plan.ingress is not None:
            spec["ingress"] = _rules(plan.ingress, "from")
            types.append("Ingress")
        if plan.egress is not None:
            spec["egress"] = _rules(plan.egress, "to")
            types.append("Egress")
        spec["policyTypes"] = types
        super().__init__(
            scope,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": data_metadata(city, plan.identity, kind="NetworkPolicy", namespace=namespace),
                "spec": spec,
            },
            plan=plan,
        )
