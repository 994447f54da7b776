"""A rendered tree (`dist/`) read as objects keyed by chart, kind, namespace and name."""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nusantara_fleet import safe_yaml
from nusantara_fleet.errors import ConfigError, Problem

SUFFIX = ".k8s.yaml"


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
    path: str = ""  # the file `raw` was read from, for the message when it does not parse

    def body(self) -> dict[str, Any]:
        if self.parsed is not None:
            return self.parsed
        loaded = safe_yaml.load(self.raw or b"", self.path)
        return loaded if isinstance(loaded, dict) else {}

    def same(self, other: Entry) -> bool:
        if self.raw is not None and other.raw is not None:
            return self.raw == other.raw
        return self.body() == other.body()


# (chart, file name) -> object: the file name is `<Kind>.<name>.k8s.yaml`, as `fleet synth` writes it.
Tree = dict[tuple[str, str], Entry]


def read_tree(root: Path) -> Tree:
    """Every `<chart>/<file>` of a rendered tree, unparsed (each file parses when first compared).

    Links are refused, never followed, and so are special files named like rendered ones; what is read is
    bounded by `safe_yaml`'s tree and file limits.
    """
    shown = safe_yaml.label(str(root))
    if root.is_symlink():
        raise ConfigError([Problem(shown, None, "", safe_yaml.LINKED_DIRECTORY)])
    budget = safe_yaml.Budget(shown)
    files: Tree = {}
    charts, problems = safe_yaml.scan(root, shown)
    budget.listed(len(charts) + len(problems))
    for chart, chart_shown, info in charts:
        if not stat.S_ISDIR(info.st_mode) or chart.startswith("."):
            continue
        entries, found = safe_yaml.scan(root / chart, chart_shown)
        budget.listed(len(entries) + len(found))
        problems.extend(found)
        for name, display, entry in entries:
            if not name.endswith(SUFFIX):
                continue
            kind = safe_yaml.kind_of(entry.st_mode)
            if kind is not None:
                problems.append(
                    Problem(display, None, "", f"is {kind} named like a rendered file; only regular files are read")
                )
                continue
            budget.take(entry)
            try:
                files[(chart, name)] = Entry(raw=safe_yaml.read_bytes(root / chart / name, display), path=display)
            except ConfigError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
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
