"""`fleet explain`: where a rendered object comes from — the construct that emitted it, the model plan it
rendered, and the `envs/` fields (file:line) or model defaults (with their reasons) that decided it.

Everything is recorded while rendering: the chart records each object's construct and plan, the model
records which input fields each plan read (`model/provenance.py`). Nothing is found by searching text.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from nusantara_fleet import naming
from nusantara_fleet.charts import build_app
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.provenance import Read
from nusantara_fleet.model.source import Loc, Source, format_loc

SOURCE = "fleet explain"
FILE_NAME = re.compile(r"^(?P<kind>[A-Za-z]+)\.(?P<name>[a-z0-9][a-z0-9.-]*)" + re.escape(naming.MANIFEST_SUFFIX) + "$")
VALUE_LIMIT = 60  # characters of a value shown per line; the file has the rest


@dataclass(frozen=True)
class Target:
    chart: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{naming.DIST_DIR}/{self.chart}/{naming.manifest_file(self.kind, self.name)}"


@dataclass(frozen=True)
class Field:
    """One input field a plan read: where it is written, or that it is the model's default and why."""

    path: str
    value: str
    written_at: str | None  # `envs/fleet.yaml:31`, or None for a default
    reason: str


@dataclass(frozen=True)
class Explanation:
    target: Target
    construct: str
    plan: str
    fields: tuple[Field, ...]

    def text(self) -> str:
        lines = [str(self.target), f"  construct: {self.construct}", f"  plan:      {self.plan}"]
        written = [f for f in self.fields if f.written_at is not None]
        defaults = [f for f in self.fields if f.written_at is None]
        if written:
            lines.append("  decided by envs/:")
            width = max(len(str(f.written_at)) for f in written)
            lines += [f"    {f.written_at:<{width}}  {f.path} = {f.value}" for f in written]
        if defaults:
            lines.append("  model defaults (not written in envs/):")
            lines += [f"    {f.path} = {f.value}" + (f"  ({f.reason})" if f.reason else "") for f in defaults]
        if not self.fields:
            lines.append("  decided by: the model's constants only (no input field)")
        return "\n".join(lines) + "\n"


def parse_target(value: str) -> Target:
    """A rendered file (`dist/jakarta/StatefulSet.etcd.k8s.yaml`) or `CHART/KIND/NAME` (`jakarta/StatefulSet/etcd`)."""
    parts = Path(value).parts
    match = FILE_NAME.match(parts[-1]) if parts else None
    if match is not None and len(parts) >= 2:
        return Target(chart=parts[-2], kind=match["kind"], name=match["name"])
    if len(parts) == 3 and not value.endswith((".yaml", ".yml")):
        return Target(chart=parts[0], kind=parts[1], name=parts[2])
    raise ConfigError(
        [
            Problem(
                SOURCE,
                None,
                "PATH",
                f"{value[:80]!r} is neither a rendered file such as dist/jakarta/StatefulSet.etcd.k8s.yaml nor "
                "CITY/KIND/NAME such as jakarta/StatefulSet/etcd",
            )
        ]
    )


def _walk(node: object, loc: Loc, source: Source) -> Iterator[tuple[int, tuple[Source, Loc, BaseModel]]]:
    if isinstance(node, BaseModel):
        yield id(node), (source, loc, node)
        for name in type(node).model_fields:
            yield from _walk(object.__getattribute__(node, name), (*loc, name), source)
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from _walk(item, (*loc, index), source)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from _walk(item, (*loc, key), source)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_LIMIT else f"{text[: VALUE_LIMIT - 1]}…"


def _is_leaf(value: Any) -> bool:
    if isinstance(value, BaseModel):
        return False
    if isinstance(value, list | tuple):
        return all(_is_leaf(item) for item in value)
    if isinstance(value, dict):
        return all(_is_leaf(item) for item in value.values())
    return True


def _all_leaves(model: BaseModel) -> set[Read]:
    found: set[Read] = set()
    for name in type(model).model_fields:
        value = object.__getattribute__(model, name)
        if isinstance(value, BaseModel):
            found |= _all_leaves(value)
        elif _is_leaf(value):
            found.add((id(model), name))
    return found


def fields_of(fleet: Fleet, reads: frozenset[Read]) -> tuple[Field, ...]:
    """The leaf input fields among `reads`, each located in its envs file or named as a default."""
    index = dict(_walk(fleet.spec, (), fleet.sources.fleet))
    for city in fleet.cities:
        index.update(_walk(city.spec, (), fleet.sources.cities[city.name]))
    # Reading a sub-model on the way to one of its fields is navigation; reading it whole (a plan keeps
    # it, such as a resource class) is a read of every field in it.
    owners = {owner for owner, _ in reads}
    leaves = set()
    for owner, name in reads:
        if owner not in index:
            continue
        value = object.__getattribute__(index[owner][2], name)
        if _is_leaf(value):
            leaves.add((owner, name))
        elif isinstance(value, BaseModel) and id(value) not in owners:
            leaves |= _all_leaves(value)
    found: dict[tuple[str, str], Field] = {}
    for owner, name in leaves:
        if owner not in index:
            continue
        source, loc, model = index[owner]
        value = object.__getattribute__(model, name)
        where = (*loc, name)
        written = where in source.lines
        info = type(model).model_fields[name]
        found[(source.path, format_loc(where))] = Field(
            path=format_loc(where),
            value=_short(value),
            written_at=f"{source.path}:{source.lines[where]}" if written else None,
            reason="" if written else (info.description or ""),
        )
    return tuple(found[key] for key in sorted(found, key=lambda k: (k[0] != fleet.sources.fleet.path, k)))


def explain(fleet: Fleet, target: Target) -> Explanation:
    """`fleet` must be loaded with `record=True`."""
    charts = [city.name for city in fleet.cities] + [naming.FLEET_FOLDER]
    if target.chart not in charts:
        raise ConfigError([Problem(SOURCE, None, "PATH", f"no chart {target.chart!r}; charts: {', '.join(charts)}")])
    with tempfile.TemporaryDirectory() as unused:
        _, rendered = build_app(fleet, Path(unused), collect=True, only=[target.chart])
    origin = rendered[0].origins.get((target.kind, target.name))
    if origin is None:
        raise ConfigError(
            [
                Problem(
                    SOURCE,
                    None,
                    "PATH",
                    f"{target} is not rendered from this envs/ (a stale or hand-made file?); `fleet synth` "
                    "rewrites dist/ from envs/",
                )
            ]
        )
    construct = f"{origin.construct.__module__}.{origin.construct.__qualname__}"
    described = _describe(origin.plan) or "none: the construct renders fleet-wide constants"
    return Explanation(
        target=target, construct=construct, plan=described, fields=fields_of(fleet, _reads(fleet, origin.plan))
    )


def _describe(plan: object) -> str:
    if plan is None:
        return ""
    if isinstance(plan, tuple):
        return " + ".join(dict.fromkeys(_describe(part) for part in plan))
    return f"{type(plan).__module__}.{type(plan).__qualname__}"


def _reads(fleet: Fleet, plan: object) -> frozenset[Read]:
    """A plan's recorded reads; a tuple of plans reads what each part read; an input model, all its fields."""
    if plan is None:
        return frozenset()
    if isinstance(plan, tuple):
        return frozenset().union(*(_reads(fleet, part) for part in plan))
    if isinstance(plan, BaseModel):
        return frozenset((id(plan), name) for name in type(plan).model_fields)
    return fleet.provenance.get(id(plan), frozenset())
