"""Who may talk to whom under Kubernetes NetworkPolicy semantics, evaluated over rendered objects.

A connection is allowed when the source may send it (no Egress policy selects the source, or a rule
of one does) and the destination may receive it (the same for Ingress). Pods in another city are
seen by IP only: cluster selectors never reach across clusters, only `ipBlock`s do.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nusantara_fleet import naming

NAMESPACE_NAME = naming.NAMESPACE_NAME_LABEL


@dataclass(frozen=True)
class Pod:
    namespace: str | None  # None: outside this cluster (another city, the internet)
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None


@dataclass(frozen=True)
class Selector:
    """A label selector read once: `matchLabels` pairs and `matchExpressions` (key, operator, values);
    `valid` is False for a selector of the wrong shape, which selects nothing."""

    valid: bool
    labels: tuple[tuple[str, Any], ...] = ()
    expressions: tuple[tuple[str, Any, tuple[Any, ...]], ...] = ()

    @classmethod
    def of(cls, selector: Any) -> Selector:
        if not isinstance(selector, dict):
            return cls(False)
        match_labels, expressions = selector.get("matchLabels") or {}, selector.get("matchExpressions") or []
        if not isinstance(match_labels, dict) or not isinstance(expressions, list):
            return cls(False)
        if not all(isinstance(expression, dict) for expression in expressions):
            return cls(False)
        return cls(
            True,
            tuple(match_labels.items()),
            tuple(
                (str(item.get("key")), item.get("operator"), tuple(item.get("values") or ())) for item in expressions
            ),
        )

    def candidates(self, index: dict[tuple[str, str], set[int]]) -> set[int] | None:
        """The pods (ids in `index`, by label pair) that can match at all, from the requirements that need a
        label to hold a value (`matchLabels`, `In`); None when there are none to narrow by. `matches` still
        decides: this only saves asking it about pods that cannot pass."""
        narrowed: set[int] | None = None
        for key, value in self.labels:
            found = index.get((key, value), set()) if isinstance(value, str) else set()
            narrowed = set(found) if narrowed is None else narrowed & found
        for key, operator, values in self.expressions:
            if operator == "In":
                found = set().union(*(index.get((key, value), set()) for value in values if isinstance(value, str)))
                narrowed = found if narrowed is None else narrowed & found
        return narrowed

    def matches(self, labels: dict[str, str], may_be_set: frozenset[str] = frozenset()) -> bool:
        """A requirement on a key of `may_be_set` that `labels` lacks counts as met: that label is set on
        the pod at run time."""
        if not self.valid:
            return False
        for key, value in self.labels:
            if labels.get(key) != value and not (key in may_be_set and key not in labels):
                return False
        for key, operator, values in self.expressions:
            present = key in labels
            if not present and key in may_be_set:
                continue
            if operator == "In" and not (present and labels[key] in values):
                return False
            if operator == "NotIn" and present and labels[key] in values:
                return False
            if operator == "Exists" and not present:
                return False
            if operator == "DoesNotExist" and present:
                return False
        return True


def selects(selector: Any, labels: dict[str, str], may_be_set: frozenset[str] = frozenset()) -> bool:
    """Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels` (see `Selector`)."""
    return Selector.of(selector).matches(labels, may_be_set)


# An address range as (IP version, first, last), integers: compared without building address objects.
Span = tuple[int, int, int]


def _span(cidr: Any) -> Span | None:
    return _span_of(str(cidr))


@lru_cache(maxsize=65536)
def _span_of(cidr: str) -> Span | None:
    """Kept per text: every city's policies name the same few dozen CIDRs, once per rule."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return network.version, int(network.network_address), int(network.broadcast_address)


@lru_cache(maxsize=65536)
def _address(ip: str) -> tuple[int, int]:
    address = ipaddress.ip_address(ip)
    return address.version, int(address)


@dataclass(frozen=True)
class _Block:
    """An `ipBlock`: its CIDR less its `except` CIDRs (an unreadable CIDR matches nothing)."""

    span: Span | None
    excepted: tuple[Span, ...]

    @classmethod
    def of(cls, block: Any) -> _Block:
        if not isinstance(block, dict):
            return cls(None, ())
        excepted = block.get("except") or []
        spans = [_span(cidr) for cidr in (excepted if isinstance(excepted, list) else [])]
        return cls(_span(block.get("cidr")), tuple(span for span in spans if span is not None))

    def holds(self, ip: str) -> bool:
        if self.span is None:
            return False
        version, value = _address(ip)
        inside = self.span[0] == version and self.span[1] <= value <= self.span[2]
        return inside and not any(v == version and first <= value <= last for v, first, last in self.excepted)


@dataclass(frozen=True)
class _Peer:
    """One `from`/`to` entry: an `ipBlock`, or pods chosen by namespace (None: the policy's own) and labels."""

    block: _Block | None
    namespaces: Selector | None
    pods: Selector

    @classmethod
    def of(cls, peer: Any) -> _Peer:
        if not isinstance(peer, dict):
            return cls(None, None, Selector(False))
        if "ipBlock" in peer:
            return cls(_Block.of(peer["ipBlock"]), None, Selector(False))
        namespaces = Selector.of(peer["namespaceSelector"]) if "namespaceSelector" in peer else None
        return cls(None, namespaces, Selector.of(peer.get("podSelector") or {}))

    def matches(self, policy_namespace: str, other: Pod) -> bool:
        if self.block is not None:
            return other.ip is not None and self.block.holds(other.ip)
        if other.namespace is None:
            return False
        if self.namespaces is not None:
            if not self.namespaces.matches({NAMESPACE_NAME: other.namespace}):
                return False
        elif other.namespace != policy_namespace:
            return False
        return self.pods.matches(other.labels)


def _ports(rule: dict[str, Any]) -> tuple[frozenset[tuple[str, int]], tuple[tuple[str, int, int], ...]] | None:
    """A rule's ports as (protocol, port) pairs and (protocol, first, last) ranges; None: every port.
    A port entry without `port` opens every port of its protocol (the range 1-65535)."""
    ports = rule.get("ports")
    if not ports:
        return None
    exact: set[tuple[str, int]] = set()
    ranges: list[tuple[str, int, int]] = []
    for item in ports if isinstance(ports, list) else []:
        if not isinstance(item, dict):
            continue
        protocol, start, end = str(item.get("protocol") or "TCP"), item.get("port"), item.get("endPort")
        if start is None:
            ranges.append((protocol, 1, 65535))
        elif isinstance(start, int) and isinstance(end, int):
            ranges.append((protocol, start, end))
        elif isinstance(start, int):
            exact.add((protocol, start))
    return frozenset(exact), tuple(ranges)


def _namespace(policy: dict[str, Any]) -> str:
    metadata = policy.get("metadata")
    return str(metadata.get("namespace", "")) if isinstance(metadata, dict) else ""


def _types(spec: dict[str, Any]) -> list[str]:
    declared = spec.get("policyTypes")
    if isinstance(declared, list):
        return [str(item) for item in declared]
    # Kubernetes' default: Ingress always, Egress when the policy has egress rules.
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _rules(value: Any) -> list[dict[str, Any]]:
    return [rule for rule in value if isinstance(rule, dict)] if isinstance(value, list) else []


# A rule's ports: (protocol, port) pairs and (protocol, first, last) ranges.
Ports = tuple[frozenset[tuple[str, int]], tuple[tuple[str, int, int], ...]]


@dataclass(frozen=True)
class _Rule:
    """One ingress or egress rule of a policy: `peers` None lets every peer through, `ports` None every port."""

    namespace: str
    ports: Ports | None
    peers: tuple[_Peer, ...] | None


@dataclass(frozen=True)
class PortSet:
    """The ports one side lets through to one peer: every port, or the union of some rules' ports."""

    every: bool
    exact: frozenset[tuple[str, int]] = frozenset()
    ranges: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def union(cls, parts: list[Ports | None]) -> PortSet:
        if any(part is None for part in parts):
            return cls(True)
        present = [part for part in parts if part is not None]
        return cls(
            False,
            frozenset(pair for exact, _ in present for pair in exact),
            tuple(item for _, ranges in present for item in ranges),
        )

    def any(self) -> bool:
        return self.every or bool(self.exact) or bool(self.ranges)

    def admits(self, port: int, protocol: str) -> bool:
        return (
            self.every
            or (protocol, port) in self.exact
            or any(p == protocol and first <= port <= last for p, first, last in self.ranges)
        )


EVERY_PORT, NO_PORT = PortSet(True), PortSet(False)


class Network:
    """The policies of one cluster, compiled once: which policies isolate a pod, and for each rule which
    pods its peers match, are worked out once and kept (the pods asked about are held, so their identities
    stay theirs). For the cluster's own `pods`, given up front, each rule's peers are matched against all of
    them at once through a label index."""

    def __init__(self, policies: list[dict[str, Any]], pods: Sequence[Pod] = ()) -> None:
        self._policies: list[tuple[str, Selector, list[str], dict[str, list[_Rule]]]] = []
        for policy in policies:
            spec = policy.get("spec")
            if not isinstance(spec, dict):
                continue
            namespace = _namespace(policy)
            rules = {
                kind: [
                    _Rule(
                        namespace,
                        _ports(rule),
                        tuple(map(_Peer.of, peers)) if isinstance(peers := rule.get(key), list) and peers else None,
                    )
                    for rule in _rules(spec.get(direction))
                ]
                for kind, direction, key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to"))
            }
            self._policies.append((namespace, Selector.of(spec.get("podSelector")), _types(spec), rules))
        self._pods: dict[int, Pod] = {}
        self._isolating: dict[tuple[int, str], list[_Rule] | None] = {}
        self._matches: dict[tuple[int, int], bool] = {}
        self._open: dict[tuple[int, int, str], PortSet] = {}
        self._universe = {id(pod): pod for pod in pods}
        self._by_label: dict[tuple[str, str], set[int]] = {}
        self._by_namespace: dict[str, set[int]] = {}
        for key, pod in self._universe.items():
            if pod.namespace is not None:
                self._by_namespace.setdefault(pod.namespace, set()).add(key)
            for pair in pod.labels.items():
                self._by_label.setdefault(pair, set()).add(key)
        # (IP version, address, id) of each of `pods` with an address, in order: an `ipBlock` names a range.
        self._by_address = sorted((*_address(pod.ip), key) for key, pod in self._universe.items() if pod.ip)
        self._matched: dict[int, frozenset[int]] = {}  # id(rule) -> the pods of `pods` its peers match

    def _isolation(self, pod: Pod, kind: str) -> list[_Rule] | None:
        """The rules of every `kind` policy that selects `pod`; None when none does (all is allowed)."""
        key = (id(pod), kind)
        if key not in self._isolating:
            self._pods[id(pod)] = pod
            selecting = [
                rules[kind]
                for namespace, selector, types, rules in self._policies
                if pod.namespace is not None
                and namespace == pod.namespace
                and kind in types
                and selector.matches(pod.labels)
            ]
            self._isolating[key] = [rule for rules in selecting for rule in rules] if selecting else None
        return self._isolating[key]

    def _match_all(self, rule: _Rule) -> frozenset[int]:
        assert rule.peers is not None
        found: set[int] = set()
        for peer in rule.peers:
            if peer.block is not None:
                candidates: set[int] = self._in_range(peer.block.span)
            elif peer.namespaces is None:
                candidates = self._by_namespace.get(rule.namespace, set())
            else:
                chosen = peer.namespaces
                candidates = set().union(
                    *(ids for ns, ids in self._by_namespace.items() if chosen.matches({NAMESPACE_NAME: ns}))
                )
            narrowed = peer.pods.candidates(self._by_label) if peer.block is None else None
            if narrowed is not None:
                candidates = candidates & narrowed
            found.update(key for key in candidates if peer.matches(rule.namespace, self._universe[key]))
        return frozenset(found)

    def _in_range(self, span: Span | None) -> set[int]:
        """The pods of `pods` whose address lies in `span` (`matches` still applies the `except`s)."""
        if span is None:
            return set()
        version, first, last = span
        start = bisect_left(self._by_address, (version, first))
        stop = bisect_left(self._by_address, (version, last + 1))
        return {key for _, _, key in self._by_address[start:stop]}

    def _peer(self, rule: _Rule, other: Pod) -> bool:
        if id(other) in self._universe:
            matched = self._matched.get(id(rule))
            if matched is None:
                matched = self._matched[id(rule)] = self._match_all(rule)
            return id(other) in matched
        key = (id(rule), id(other))
        if key not in self._matches:
            self._pods[id(other)] = other
            assert rule.peers is not None
            self._matches[key] = any(peer.matches(rule.namespace, other) for peer in rule.peers)
        return self._matches[key]

    def open_ports(self, pod: Pod, other: Pod, kind: str) -> PortSet:
        """The ports `pod`'s own `kind` policies let it exchange with `other` (kept per pair)."""
        key = (id(pod), id(other), kind)
        if key not in self._open:
            rules = self._isolation(pod, kind)
            self._pods[id(other)] = other
            matching = (
                [] if rules is None else [rule.ports for rule in rules if rule.peers is None or self._peer(rule, other)]
            )
            self._open[key] = EVERY_PORT if rules is None else PortSet.union(matching) if matching else NO_PORT
        return self._open[key]

    def _side(self, pod: Pod, other: Pod, port: int, protocol: str, kind: str) -> bool:
        return self.open_ports(pod, other, kind).admits(port, protocol)

    def sends(self, src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
        """Whether the source's own policies let it send (all that applies when `dst` is outside the cluster)."""
        return self._side(src, dst, port, protocol, "Egress")

    def allows(self, src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
        return self._side(src, dst, port, protocol, "Egress") and self._side(dst, src, port, protocol, "Ingress")


def allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, port: int, protocol: str = "TCP") -> bool:
    return Network(policies).allows(src, dst, port, protocol)
