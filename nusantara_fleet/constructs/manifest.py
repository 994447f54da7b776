"""The base of every rendered object: a Kubernetes document built in Python and synthesized by cdk8s."""

from __future__ import annotations

from typing import Any

import jsii
from cdk8s import ApiObject, ApiObjectMetadata, Chart
from constructs import Construct


def sorted_json(value: Any) -> Any:
    """Sort mapping keys at every depth so the same model always gives the same bytes."""
    if isinstance(value, dict):
        return {key: sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(item) for item in value]
    return value


class RenderChart(Chart):
    """A chart that records what it renders, so two objects can never share an output file."""

    def __init__(self, scope: Construct, chart_id: str) -> None:
        super().__init__(scope, chart_id, disable_resource_name_hashes=True)
        self.chart_id = chart_id
        self.kinds: dict[tuple[str, str], str] = {}

    def record(self, kind: str, name: str, namespace: str) -> None:
        key = (kind, name)
        if key in self.kinds:
            raise ValueError(
                f"dist/{self.chart_id}/{kind}.{name}.k8s.yaml would be written twice "
                f"(namespaces {self.kinds[key]!r} and {namespace!r}); give one of them another name"
            )
        self.kinds[key] = namespace


class Manifest(ApiObject):
    """An ApiObject whose whole body is given at construction.

    cdk8s names the output file from kind and name and writes the body; building the body in
    Python and handing it over in one piece keeps the jsii round trips at one per object.
    """

    def __init__(self, scope: Construct, body: dict[str, Any]) -> None:
        metadata = body["metadata"]
        if not isinstance(scope, RenderChart):
            raise TypeError(f"{type(self).__name__} must be created directly in a city or fleet chart")
        scope.record(body["kind"], metadata["name"], metadata.get("namespace", ""))
        super().__init__(
            scope,
            f"{body['kind']}-{metadata.get('namespace', '')}-{metadata['name']}",
            api_version=body["apiVersion"],
            kind=body["kind"],
            metadata=ApiObjectMetadata(name=metadata["name"], namespace=metadata.get("namespace")),
        )
        self._body = sorted_json(body)

    @jsii.member(jsii_name="toJson")
    def to_json(self) -> Any:
        return self._body
