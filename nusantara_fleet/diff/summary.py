"""What a change releases, city by city: image moves, canaries and their weights, primary and gate moves.

Read from the rendered objects of both sides, like the risks, so it says the same for two committed `dist/`
trees as for two renders of envs/. Each line is plain text with names in backticks, for both reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nusantara_fleet import naming
from nusantara_fleet.diff.objects import ObjectKey
from nusantara_fleet.diff.risks import WORKLOADS, Topology, container_images, image_tag

if TYPE_CHECKING:
    from nusantara_fleet.diff.compare import ChartChanges

CANARY_TRACK = "canary"  # the value of naming.TRACK_LABEL on a canary's pods
NGINX_CANARY = f"{naming.NGINX_ANNOTATION_PREFIX}/canary"
NGINX_CANARY_WEIGHT = f"{naming.NGINX_ANNOTATION_PREFIX}/canary-weight"

Weights = tuple[tuple[str, tuple[int, ...]], ...]  # backend Service -> the weights routes give it, sorted


@dataclass(frozen=True)
class ImageMove:
    container: str
    old: str | None  # None: the container is new
    new: str | None  # None: the container is gone


@dataclass(frozen=True)
class Shipped:
    """What one changed object releases: its image moves, whose canary it is, the weights it routes."""

    images: tuple[ImageMove, ...] = ()
    canary_of: str | None = None
    image: str | None = None  # a canary workload's image (the new one, else the old), for its summary line
    weights_before: Weights = ()
    weights_after: Weights = ()


def _get(body: Any, *path: str) -> Any:
    for part in path:
        body = body.get(part) if isinstance(body, dict) else None
    return body


def _pod_labels(body: dict[str, Any]) -> dict[str, Any]:
    template = _get(body, "spec", "jobTemplate", "spec", "template") or _get(body, "spec", "template")
    labels = _get(template, "metadata", "labels")
    return labels if isinstance(labels, dict) else {}


def _upstreams(value: Any) -> Iterator[tuple[str, int]]:
    """(service, weight) of every upstream in a route table: the gateway's, a JSON document in a ConfigMap."""
    if isinstance(value, dict):
        for upstream in value.get("upstreams") or []:
            if isinstance(upstream, dict) and isinstance(upstream.get("weight"), int):
                yield str(upstream.get("service")), upstream["weight"]
        for item in value.values():
            yield from _upstreams(item)
    elif isinstance(value, list):
        for item in value:
            yield from _upstreams(item)


def _routed(body: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """(backend Service, weight) pairs wherever the fleet splits traffic: the edge and the route table."""
    kind = body.get("kind")
    annotations = _get(body, "metadata", "annotations") or {}
    if kind == "Ingress" and annotations.get(NGINX_CANARY) == "true":
        weight = str(annotations.get(NGINX_CANARY_WEIGHT, ""))
        for rule in _get(body, "spec", "rules") or []:
            for path in _get(rule, "http", "paths") or []:
                backend = _get(path, "backend", "service", "name")
                if backend and weight.isdigit():
                    yield str(backend), int(weight)
    elif kind == "HTTPRoute":
        for rule in _get(body, "spec", "rules") or []:
            for ref in _get(rule, "backendRefs") or []:
                if isinstance(ref, dict) and isinstance(ref.get("weight"), int):
                    yield str(ref.get("name")), ref["weight"]
    elif kind == "ConfigMap":
        for value in (body.get("data") or {}).values():
            if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
                try:
                    yield from _upstreams(json.loads(value))
                except ValueError:
                    continue  # a document that only looks like JSON routes nothing


def _weights(body: dict[str, Any] | None) -> Weights:
    found: dict[str, set[int]] = {}
    for backend, weight in _routed(body or {}):
        found.setdefault(backend, set()).add(weight)
    return tuple(sorted((backend, tuple(sorted(weights))) for backend, weights in found.items()))


def shipped(key: ObjectKey, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Shipped:
    """What one added, removed or changed object releases."""
    canary_of = image = None
    moves: list[ImageMove] = []
    if key.kind in WORKLOADS:
        labels = _pod_labels(new or old or {})
        if labels.get(naming.TRACK_LABEL) == CANARY_TRACK:
            canary_of = str(labels.get(naming.SERVICE_LABEL, key.name))
            image = next(iter(container_images(new or old or {}).values()), None)
        if old is not None and new is not None:
            before, after = container_images(old), container_images(new)
            moves = [
                ImageMove(name, before.get(name), after.get(name))
                for name in sorted(set(before) | set(after))
                if before.get(name) != after.get(name)
            ]
    return Shipped(tuple(moves), canary_of, image, _weights(old), _weights(new))


def _repository(image: str) -> str:
    name = image.split("@", 1)[0]
    return name[: -len(tag) - 1] if (tag := image_tag(name)) else name


def _move(old: str, new: str) -> str:
    """`repo:1.0` → `1.1` when only the tag or digest moves, else both images in full."""
    if _repository(old) == _repository(new):
        return f"`{old}` → `{new[len(_repository(new)) + 1 :]}`"
    return f"`{old}` → `{new}`"


def _percent(weights: tuple[int, ...]) -> str:
    return "/".join(str(weight) for weight in weights) + " %"


def _version(image: str | None) -> str:
    return f"`{image_tag(image) or image}`" if image else "(no image)"


def _canary_lines(chart: ChartChanges, promoted: set[str]) -> Iterator[str]:
    weights_before: dict[str, tuple[int, ...]] = {}
    weights_after: dict[str, tuple[int, ...]] = {}
    for change in chart.changes:
        weights_before.update(change.shipped.weights_before)
        weights_after.update(change.shipped.weights_after)
    services: dict[str, tuple[str, Shipped | None]] = {}
    for change in chart.changes:
        if change.shipped.canary_of is not None:
            services[change.shipped.canary_of] = (change.status, change.shipped)
    for backend in sorted(set(weights_before) | set(weights_after)):
        service = backend.removesuffix(naming.CANARY_SUFFIX)
        if backend != service and service not in services:
            services[service] = ("changed", None)  # only its weight moved
    for service in sorted(services):
        status, facts = services[service]
        backend = naming.canary_name(service)
        before, after = weights_before.get(backend), weights_after.get(backend)
        if status == "added" and facts is not None:
            at = f" at {_percent(after)}" if after else ""
            yield f"canary `{service}` {_version(facts.image)}{at} (new)"
        elif status == "removed" and facts is not None:
            outcome = "promoted to stable" if service in promoted else "withdrawn"
            yield f"canary `{service}` {_version(facts.image)} {outcome}"
        else:
            if facts is not None:
                for move in facts.images:
                    yield f"canary `{service}` {_version(move.old)} → {_version(move.new)}"
            if before != after and before and after:
                yield f"canary `{service}` weight {_percent(before)} → {_percent(after)}"


def _image_lines(chart: ChartChanges) -> tuple[list[str], set[str]]:
    """Stable image moves grouped by container and images, and the services whose stable image moved."""
    grouped: dict[tuple[str, str | None, str | None], list[str]] = {}
    moved: set[str] = set()
    for change in chart.changes:
        if change.shipped.canary_of is not None:
            continue
        for move in change.shipped.images:
            grouped.setdefault((move.container, move.old, move.new), []).append(str(change.key))
            if move.new:
                moved.add(move.new)
    lines = []
    for (container, old, new), subjects in sorted(grouped.items(), key=lambda item: item[0][0]):
        where = ", ".join(subjects)
        if old and new:
            lines.append(f"`{container}` {_move(old, new)} ({where})")
        else:
            lines.append(f"`{container}` {'added: `' + new + '`' if new else 'removed: `' + str(old) + '`'} ({where})")
    return lines, moved


def _workload_lines(chart: ChartChanges) -> Iterator[str]:
    for status, word in (("added", "new"), ("removed", "removed")):
        subjects = [
            str(c.key)
            for c in chart.changes
            if c.status == status and c.key.kind in WORKLOADS and c.shipped.canary_of is None
        ]
        if subjects:
            yield f"{word} workloads: {', '.join(subjects)}"


def _role_lines(city: str, before: Topology, after: Topology) -> Iterator[str]:
    if before.primary != after.primary:
        if city == after.primary:
            yield f"becomes the primary city: writes move here from `{before.primary}`"
        elif city == before.primary:
            yield f"no longer the primary city: writes move to `{after.primary}`"
    if city in after.gates and city not in before.gates:
        yield "now waits at the manual gate"
    elif city in before.gates and city not in after.gates:
        yield "no longer waits at the manual gate"
    if city in before.order and city in after.order and before.order.index(city) != after.order.index(city):
        yield f"rollout wave {before.order.index(city)} → {after.order.index(city)}"
    elif city in after.order and city not in before.order and before.order:
        yield f"joins the rollout at wave {after.order.index(city)}"
    elif city in before.order and city not in after.order:
        yield "leaves the rollout"


def _fleet_lines(before: Topology, after: Topology) -> Iterator[str]:
    if before.primary != after.primary and before.primary and after.primary:
        yield f"primary city `{before.primary}` → `{after.primary}`"
    if before.gates != after.gates:
        yield f"manual gate {_cities(before.gates)} → {_cities(after.gates)}"
    if before.order != after.order and before.order and after.order:
        yield f"rollout order {_cities(before.order)} → {_cities(after.order)}"
    if before.progressive != after.progressive:
        strategies = ("app of apps", "application set (RollingSync)")
        yield f"rollout strategy {strategies[before.progressive]} → {strategies[after.progressive]}"


def _cities(cities: Iterable[str]) -> str:
    return ", ".join(f"`{city}`" for city in cities) or "none"


def release_lines(chart: ChartChanges, before: Topology, after: Topology) -> tuple[str, ...]:
    """Everything the change releases in one chart, moves of role and order first."""
    if chart.chart == naming.FLEET_FOLDER:
        roles = list(_fleet_lines(before, after))
    else:
        roles = list(_role_lines(chart.chart, before, after))
    images, moved = _image_lines(chart)
    promoted = {
        service
        for change in chart.changes
        if change.status == "removed" and (service := change.shipped.canary_of) and change.shipped.image in moved
    }
    return (*roles, *_canary_lines(chart, promoted), *images, *_workload_lines(chart))
