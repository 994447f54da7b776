"""Risk flags: the changes a reviewer must not miss, found on the rendered objects of both sides."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.diff.objects import ObjectKey
from nusantara_fleet.model.capacity.plan import CapacityPlan, Line

WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job", "CronJob")


@dataclass(frozen=True, order=True)
class Risk:
    chart: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.chart}: {self.subject}: {self.message}"


def _get(body: dict[str, Any] | None, *path: str) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _version_key(tag: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-+_]", tag))


def image_tag(image: str) -> str | None:
    image = image.split("@", 1)[0]
    _, sep, tag = image.rpartition(":")
    return tag if sep and "/" not in tag else None


def _pod_spec(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("kind") == "CronJob":
        spec = _get(body, "spec", "jobTemplate", "spec", "template", "spec")
    else:
        spec = _get(body, "spec", "template", "spec")
    return spec if isinstance(spec, dict) else {}


def container_images(body: dict[str, Any]) -> dict[str, str]:
    spec = _pod_spec(body)
    return {
        str(c.get("name")): str(c.get("image"))
        for field in ("initContainers", "containers")
        for c in spec.get(field) or []
        if isinstance(c, dict) and c.get("image")
    }


def _images_backwards(old: dict[str, Any], new: dict[str, Any]) -> Iterable[str]:
    before, after = container_images(old), container_images(new)
    for name in sorted(set(before) & set(after)):
        old_tag, new_tag = image_tag(before[name]), image_tag(after[name])
        if old_tag and new_tag and _version_key(new_tag) < _version_key(old_tag):
            yield f"image of container {name} moved backwards: {old_tag} -> {new_tag}"


def _claims(body: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    if body.get("kind") == "PersistentVolumeClaim":
        spec = body.get("spec") or {}
        return {"": (_get(spec, "resources", "requests", "storage"), spec.get("storageClassName"))}
    return {
        str(_get(t, "metadata", "name")): (
            _get(t, "spec", "resources", "requests", "storage"),
            _get(t, "spec", "storageClassName"),
        )
        for t in _get(body, "spec", "volumeClaimTemplates") or []
    }


def _storage_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterable[str]:
    before, after = _claims(old), _claims(new)
    for name in sorted(set(before) | set(after)):
        label = f"volume claim {name}" if name else "claim"
        if name not in after:
            yield f"{label} removed: its data is no longer provisioned"
        elif name in before and before[name] != after[name]:
            (size_a, class_a), (size_b, class_b) = before[name], after[name]
            if size_a != size_b:
                yield f"storage of {label} changed: {size_a} -> {size_b}"
            if class_a != class_b:
                yield f"storage class of {label} changed: {class_a} -> {class_b}"


def _number(value: Any) -> float | None:
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return float(value[:-1])
    return None


def _pdb_reduced(old: dict[str, Any], new: dict[str, Any]) -> Iterable[str]:
    min_a, min_b = _number(_get(old, "spec", "minAvailable")), _number(_get(new, "spec", "minAvailable"))
    if min_a is not None and (min_b is None or min_b < min_a):
        before, after = _get(old, "spec", "minAvailable"), _get(new, "spec", "minAvailable")
        yield f"PodDisruptionBudget reduced: minAvailable {before} -> {after}"
    max_a, max_b = _number(_get(old, "spec", "maxUnavailable")), _number(_get(new, "spec", "maxUnavailable"))
    if max_b is not None and (max_a is None or max_b > max_a) and min_b is None:
        before, after = _get(old, "spec", "maxUnavailable"), _get(new, "spec", "maxUnavailable")
        yield f"PodDisruptionBudget reduced: maxUnavailable {before} -> {after}"


def _replicas_reduced(old: dict[str, Any], new: dict[str, Any]) -> Iterable[str]:
    if old.get("kind") == "HorizontalPodAutoscaler":
        field, default = "minReplicas", 1
    else:
        field, default = "replicas", 1
    before, after = _get(old, "spec", field), _get(new, "spec", field)
    before = default if before is None else before
    after = default if after is None else after
    if isinstance(before, int) and isinstance(after, int) and after < before:
        yield f"{field} reduced: {before} -> {after}"


def _peers_wider(old: list[Any] | None, new: list[Any] | None) -> bool:
    """A rule without peers admits everyone; more peers or a shorter CIDR prefix admit more."""
    if old is not None and new is None:
        return True
    if old is None or new is None:
        return False
    if len(new) > len(old):
        return True
    for a, b in zip(old, new, strict=False):
        cidr_a, cidr_b = _get(a, "ipBlock", "cidr"), _get(b, "ipBlock", "cidr")
        if cidr_a and cidr_b:
            net_a, net_b = ipaddress.ip_network(cidr_a, strict=False), ipaddress.ip_network(cidr_b, strict=False)
            if net_b.prefixlen < net_a.prefixlen:
                return True
        elif a != b and not (set(a or {}) <= set(b or {})):
            return True
    return False


def _network_widened(old: dict[str, Any], new: dict[str, Any]) -> Iterable[str]:
    types_a = set(_get(old, "spec", "policyTypes") or [])
    types_b = set(_get(new, "spec", "policyTypes") or [])
    for lost in sorted(types_a - types_b):
        yield f"NetworkPolicy widened: no longer restricts {lost}"
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        rules_a = _get(old, "spec", direction) or []
        rules_b = _get(new, "spec", direction) or []
        if len(rules_b) > len(rules_a):
            yield f"NetworkPolicy widened: {len(rules_b) - len(rules_a)} more {direction} rule(s)"
        for index, (a, b) in enumerate(zip(rules_a, rules_b, strict=False)):
            if _peers_wider(a.get(peers), b.get(peers)):
                yield f"NetworkPolicy widened: {direction}[{index}].{peers} admits more peers"
            ports_a, ports_b = a.get("ports"), b.get("ports")
            if (ports_a is not None and ports_b is None) or (ports_a and ports_b and len(ports_b) > len(ports_a)):
                yield f"NetworkPolicy widened: {direction}[{index}].ports admits more ports"


def object_risks(key: ObjectKey, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Risk]:
    """Risks of one object added, removed or changed."""
    messages: list[str] = []
    if old is not None and new is None:
        if key.kind in ("PersistentVolumeClaim", "StatefulSet"):
            messages.append(f"{key.kind} deleted: its volumes and data go with it")
        elif key.kind == "PodDisruptionBudget":
            messages.append("PodDisruptionBudget deleted: voluntary disruptions are no longer limited")
        elif key.kind == "NetworkPolicy":
            messages.append("NetworkPolicy deleted: the traffic it restricted is now allowed")
    if old is not None and new is not None:
        if key.kind in ("StatefulSet", "PersistentVolumeClaim"):
            messages.extend(_storage_changes(old, new))
        if key.kind in ("Deployment", "StatefulSet", "ReplicaSet", "HorizontalPodAutoscaler"):
            messages.extend(_replicas_reduced(old, new))
        if key.kind == "PodDisruptionBudget":
            messages.extend(_pdb_reduced(old, new))
        if key.kind == "NetworkPolicy":
            messages.extend(_network_widened(old, new))
        if key.kind in WORKLOADS:
            messages.extend(_images_backwards(old, new))
    return [Risk(key.chart, str(key), message) for message in messages]


@dataclass(frozen=True)
class Topology:
    """What the fleet chart says about rollout and roles: read from the Argo CD objects."""

    order: tuple[str, ...]
    primary: str | None
    gated: frozenset[str]
    windowed: frozenset[str]
    progressive: bool  # an ApplicationSet's RollingSync orders the cities on every commit

    @property
    def gates(self) -> frozenset[str]:
        """Cities held for a human on both counts: no automated sync, and a deny window allowing manual syncs."""
        return self.gated & self.windowed


def topology(fleet_objects: Iterable[dict[str, Any]]) -> Topology:
    steps: dict[str, int] = {}
    primary = None
    gated: set[str] = set()
    windowed: set[str] = set()
    progressive = False
    for body in fleet_objects:
        labels = _get(body, "metadata", "labels") or {}
        kind = body.get("kind")
        secret_labels = _get(body, "spec", "target", "template", "metadata", "labels") or labels
        if kind in ("Secret", "ExternalSecret") and secret_labels.get(naming.ARGOCD_SECRET_TYPE_LABEL) == "cluster":
            city = labels.get(naming.CITY_LABEL)
            if city:
                steps[city] = int(labels.get(naming.ROLLOUT_STEP_LABEL, 0))
                if labels.get(naming.ROLE_LABEL) == "primary":
                    primary = city
        elif kind == "Application" and naming.CITY_LABEL in labels:
            # The gate is on the city's apps; its data layer is synced by hand too, but only at bootstrap.
            if labels.get(naming.LAYER_LABEL) != "data" and _get(body, "spec", "syncPolicy", "automated") is None:
                gated.add(labels[naming.CITY_LABEL])
        elif kind == "ApplicationSet":
            progressive = progressive or _get(body, "spec", "strategy", "type") == "RollingSync"
            for generator in _get(body, "spec", "generators") or []:
                for element in _get(generator, "list", "elements") or []:
                    if element.get("gated") == "true":
                        gated.add(str(element.get("city")))
        elif kind == "ConfigMap" and _get(body, "metadata", "name") == naming.FLEET_TOPOLOGY and primary is None:
            primary = _get(body, "data", "primary")  # a tree rendered before the cluster Secrets carried roles
        elif kind == "AppProject":
            for window in _get(body, "spec", "syncWindows") or []:
                if window.get("kind") == "deny" and window.get("manualSync"):
                    windowed.update(window.get("clusters") or [])
    order = tuple(sorted(steps, key=lambda city: (steps[city], city)))
    return Topology(order, primary, frozenset(gated), frozenset(windowed), progressive)


def together_risks(after: Topology, changed_charts: Iterable[str]) -> list[Risk]:
    """Cities that one commit changes at once, when nothing orders them.

    With app of apps each city's Application tracks the branch itself: the root's waves order the
    Applications, not a commit that changes several cities' manifests, so those cities sync together.
    """
    together = [city for city in after.order if city in set(changed_charts) and city not in after.gates]
    if after.progressive or len(together) < 2:
        return []
    return [
        Risk(
            "fleet",
            "rollout order",
            f"{', '.join(together)} change in one commit and sync together, not wave by wave; ship it city by "
            "city (`fleet release`, the release workflow) or use `rollout.strategy: application-set`",
        )
    ]


def fleet_risks(before: Topology, after: Topology) -> list[Risk]:
    risks = []
    if before.primary is not None and after.primary is not None and before.primary != after.primary:
        risks.append(
            Risk(
                "fleet",
                "primary city",
                f"primary city changed: {before.primary} -> {after.primary} (writes move; the database fails over)",
            )
        )
    risks.extend(_release_flow_moved(before, after))
    for city in sorted(before.gates - after.gates):
        lost = []
        if city not in after.gated:
            lost.append("it now syncs automatically")
        if city not in after.windowed:
            lost.append("no deny window holds it")
        moved = f"; the gate is now on {', '.join(sorted(after.gates))}" if after.gates else ""
        risks.append(Risk("fleet", f"gate on {city}", f"manual gate removed: {' and '.join(lost)}{moved}"))
    return risks


def _release_flow_moved(before: Topology, after: Topology) -> list[Risk]:
    """The release workflow follows envs/: a moved gate or canary city changes where the next release goes."""
    if not (before.order and after.order and before.gates and after.gates):
        return []
    moved = []
    if before.gates != after.gates:
        old, new = ", ".join(sorted(before.gates)), ", ".join(sorted(after.gates))
        moved.append(f"the gate moves from {old} to {new}, which now rolls out last, behind the approval")
    if before.order[0] != after.order[0]:
        moved.append(f"the canary city moves from {before.order[0]} to {after.order[0]}")
    if not moved:
        return []
    flow = " -> ".join(after.order)
    return [Risk("fleet", "release flow", f"{'; '.join(moved)}; the next release runs {flow} (`fleet rollout`)")]


def _short_keys(plan: CapacityPlan) -> dict[tuple[str, str, str, str | None], Line]:
    """Each scenario of each line that does not fit (lines group scenarios differently on the two sides)."""
    return {
        (line.where, line.subject, line.check, scenario): line for line in plan.short for scenario in line.scenarios
    }


def capacity_risks(before: CapacityPlan | None, after: CapacityPlan | None) -> list[Risk]:
    """Capacity lines the change makes fall short, one risk per city; only when both sides come from envs/."""
    if before is None or after is None:
        return []
    was_short = _short_keys(before)
    short: dict[str, list[Line]] = {}
    for key, line in _short_keys(after).items():
        if key not in was_short and line not in short.get(line.where, []):
            short.setdefault(line.where, []).append(line)
    risks = []
    for where, lines in short.items():
        more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
        risks.append(Risk(where, "capacity plan", f"no longer fits: {lines[0].summary()}{more}; see `fleet plan`"))
    return risks
