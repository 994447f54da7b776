"""A small evaluator of Kubernetes NetworkPolicy semantics over rendered objects, to test who may talk to whom.

A connection is allowed when the source may send it (no Egress policy selects the source, or a rule
of one does) and the destination may receive it (the same for Ingress). Pods in another city are
seen by IP only: cluster selectors never reach across clusters, only `ipBlock`s do.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    namespace: str | None  # None: outside this cluster (another city, the internet)
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _peer_matches(peer: dict[str, Any], policy_namespace: str, other: Pod) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False
        address = ipaddress.IPv4Address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.IPv4Network(block["cidr"]) and not any(
            address in ipaddress.IPv4Network(cidr) for cidr in block.get("except", [])
        )
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], {NAMESPACE_NAME: other.namespace}):
            return False
    elif other.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def _port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    return not ports or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def _side_allows(policies: list[dict[str, Any]], pod: Pod, other: Pod, port: int, protocol: str, kind: str) -> bool:
    direction, peers_key = ("egress", "to") if kind == "Egress" else ("ingress", "from")
    selecting = [
        policy
        for policy in policies
        if pod.namespace is not None
        and policy["metadata"]["namespace"] == pod.namespace
        and kind in policy["spec"]["policyTypes"]
        and selects(policy["spec"]["podSelector"], pod.labels)
    ]
    if not selecting:
        return True
    return any(
        _port_matches(rule, port, protocol)
        and (
            not rule.get(peers_key)
            or any(_peer_matches(p, policy["metadata"]["namespace"], other) for p in rule[peers_key])
        )
        for policy in selecting
        for rule in policy["spec"].get(direction, [])
    )


def allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
    return _side_allows(policies, src, dst, port, protocol, "Egress") and _side_allows(
        policies, dst, src, port, protocol, "Ingress"
    )
