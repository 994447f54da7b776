"""A rendered tree (`dist/`) read as objects keyed by chart, kind, namespace and name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUFFIX = ".k8s.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Where an object lives: its chart (a city or `fleet`) and its identity there."""

    chart: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Entry:
    """One object of a tree: the bytes of a rendered file (parsed only when needed), or a collected body."""

    raw: bytes | None = None
    parsed: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        if self.parsed is not None:
            return self.parsed
        loaded = yaml.load(self.raw or b"", Loader=_LOADER)
        return loaded if isinstance(loaded, dict) else {}

    def same(self, other: Entry) -> bool:
        if self.raw is not None and other.raw is not None:
            return self.raw == other.raw
        return self.body() == other.body()


# (chart, file name) -> object: the file name is `<Kind>.<name>.k8s.yaml`, as `fleet synth` writes it.
Tree = dict[tuple[str, str], Entry]


def read_tree(root: Path) -> Tree:
    """Every `<chart>/<file>` of a rendered tree, unparsed."""
    files: Tree = {}
    for chart in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(chart.glob(f"*{SUFFIX}")):
            files[(chart.name, path.name)] = Entry(raw=path.read_bytes())
    return files


def collected_tree(charts: Iterable[tuple[str, list[dict[str, Any]]]]) -> Tree:
    """Bodies collected from the charts, keyed as their files would be."""
    return {
        (chart, f"{body['kind']}.{body['metadata']['name']}{SUFFIX}"): Entry(parsed=body)
        for chart, bodies in charts
        for body in bodies
    }


def key_of(chart: str, body: dict[str, Any]) -> ObjectKey:
    metadata = body.get("metadata") or {}
    return ObjectKey(
        chart, str(body.get("kind", "")), str(metadata.get("namespace", "")), str(metadata.get("name", ""))
    )
