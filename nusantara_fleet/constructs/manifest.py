"""The base of every rendered object: a Kubernetes document built in Python and synthesized by cdk8s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii
from cdk8s import ApiObject, Chart
from constructs import Construct


def sorted_json(value: Any) -> Any:
    """Sort mapping keys at every depth so the same model always gives the same bytes."""
    if isinstance(value, dict):
        return {key: sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(item) for item in value]
    return value


@dataclass(frozen=True)
class Origin:
    """Who emitted an object: the construct class and the model plan it rendered (`fleet explain`)."""

    construct: type
    plan: object | None


class RenderChart(Chart):
    """A chart that records what it renders, so two objects can never share an output file."""

    def __init__(self, scope: Construct, chart_id: str, *, collect: bool = False) -> None:
        super().__init__(scope, chart_id, disable_resource_name_hashes=True)
        self.chart_id = chart_id
        self.kinds: dict[tuple[str, str], str] = {}
        # Collecting keeps each body in Python instead of handing it to cdk8s: what `fleet diff` compares,
        # without a jsii round trip or a file per object.
        self.collect = collect
        self.bodies: list[dict[str, Any]] = []
        self.origins: dict[tuple[str, str], Origin] = {}

    def record(self, kind: str, name: str, namespace: str) -> None:
        key = (kind, name)
        if key in self.kinds:
            raise ValueError(
                f"dist/{self.chart_id}/{kind}.{name}.k8s.yaml would be written twice "
                f"(namespaces {self.kinds[key]!r} and {namespace!r}); give one of them another name"
            )
        self.kinds[key] = namespace

    def emit(self, body: dict[str, Any], origin: Origin) -> None:
        """Add one object: collected as is, or as the one cdk8s ApiObject that writes its file."""
        metadata = body["metadata"]
        self.record(body["kind"], metadata["name"], metadata.get("namespace", ""))
        self.origins[(body["kind"], metadata["name"])] = origin
        if self.collect:
            self.bodies.append(body)  # compared as data: key order is the writer's concern, not sorted here
        else:
            _Document(self, body)


class _Document(ApiObject):
    """An ApiObject whose whole body is given at construction.

    cdk8s names the output file from kind and name and writes the body; building the body in
    Python and handing it over in one piece keeps the jsii round trips at one per object.
    """

    def __init__(self, scope: RenderChart, body: dict[str, Any]) -> None:
        metadata = body["metadata"]
        identity = {key: metadata[key] for key in ("name", "namespace") if key in metadata}
        # What the generated ApiObject.__init__ does, minus its per-argument runtime type checks: the
        # body is already typed by the model, and those checks cost more than the call itself.
        jsii.create(
            self.__class__,
            self,
            [
                scope,
                f"{body['kind']}-{metadata.get('namespace', '')}-{metadata['name']}",
                {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": identity},
            ],
        )
        self._body = sorted_json(body)

    @jsii.member(jsii_name="toJson")
    def to_json(self) -> Any:
        return self._body


class Manifest:
    """Base of every rendered object: a subclass builds the whole body and hands it to its chart."""

    def __init__(self, scope: Construct, body: dict[str, Any], *, plan: object | None = None) -> None:
        """`plan`: the model object the body was rendered from, recorded for `fleet explain`."""
        if not isinstance(scope, RenderChart):
            raise TypeError(f"{type(self).__name__} must be created directly in a city or fleet chart")
        scope.emit(body, Origin(construct=type(self), plan=plan))
