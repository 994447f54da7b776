"""Object-by-object comparison of two rendered trees."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from nusantara_fleet.diff.fields import changed_paths, cosmetic_keys, restarts_pods
from nusantara_fleet.diff.objects import ObjectKey, Tree, key_of, read_tree
from nusantara_fleet.diff.risks import Risk, Topology, fleet_risks, object_risks, together_risks, topology
from nusantara_fleet.diff.summary import Shipped, shipped
from nusantara_fleet.diff.transitions import transition_risks
from nusantara_fleet.naming import FLEET_FOLDER

if TYPE_CHECKING:
    from nusantara_fleet.diff.verdicts import Verdict

Status = Literal["added", "removed", "changed"]
CONTEXT_LINES = 3  # enough to place a change in a manifest without drowning the PR comment
SIDES = ("base", "head")  # the unified diffs' file names; the reports' headers say what each side is


@dataclass(frozen=True)
class ObjectChange:
    key: ObjectKey
    status: Status
    paths: tuple[str, ...]
    diff: str
    shipped: Shipped = field(default_factory=Shipped)

    @property
    def cosmetic(self) -> tuple[str, ...] | None:
        """The label and checksum keys that are all this change is, or None (see `fields.cosmetic_keys`)."""
        return cosmetic_keys(self.key.kind, self.paths) if self.status == "changed" else None

    @property
    def restarts_pods(self) -> bool:
        return self.status == "changed" and restarts_pods(self.key.kind, self.paths)


@dataclass(frozen=True)
class ChartChanges:
    chart: str
    changes: tuple[ObjectChange, ...]

    def count(self, status: Status) -> int:
        return sum(1 for change in self.changes if change.status == status)


@dataclass(frozen=True)
class FleetDiff:
    charts: tuple[ChartChanges, ...]
    risks: tuple[Risk, ...]
    before: Topology
    after: Topology
    labels: tuple[str, str] = field(default=SIDES)
    notes: tuple[str, ...] = ()
    verdicts: tuple[Verdict, ...] = ()  # the head side's capacity and scenario verdicts, per city

    transitions: tuple[Risk, ...] = ()  # what the change does to running pods and memberships (`transitions.py`)

    @property
    def empty(self) -> bool:
        return not any(chart.changes for chart in self.charts) and not self.risks and not self.transitions


class _ReadableDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line strings (embedded configs, scripts) as `|` blocks, so a diff shows their changed lines."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _str)


def _dump(body: dict[str, Any] | None) -> list[str]:
    if body is None:
        return []
    text = yaml.dump(body, Dumper=_ReadableDumper, sort_keys=True, width=4096)
    return text.splitlines(keepends=True)


def _unified(key: ObjectKey, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    name = f"{key.chart}/{key.kind}.{key.name}"
    lines = difflib.unified_diff(_dump(old), _dump(new), f"{SIDES[0]}/{name}", f"{SIDES[1]}/{name}", n=CONTEXT_LINES)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _bodies(files: Tree, chart: str) -> list[dict[str, Any]]:
    return [entry.body() for (name, _), entry in files.items() if name == chart]


def compare_trees(base: Path, head: Path, labels: tuple[str, str] = SIDES) -> FleetDiff:
    """Compare two rendered directories (`dist/` layout)."""
    return compare(read_tree(base), read_tree(head), labels)


def compare(old_files: Tree, new_files: Tree, labels: tuple[str, str] = SIDES) -> FleetDiff:
    """Compare two trees object by object; files are parsed only where their bytes differ."""
    before = topology(_bodies(old_files, FLEET_FOLDER))
    after = topology(_bodies(new_files, FLEET_FOLDER))
    per_chart: dict[str, list[ObjectChange]] = {}
    risks: list[Risk] = list(fleet_risks(before, after))
    for file_key in sorted(set(old_files) | set(new_files)):
        old_file, new_file = old_files.get(file_key), new_files.get(file_key)
        if old_file is not None and new_file is not None and old_file.same(new_file):
            continue
        chart = file_key[0]
        old = old_file.body() if old_file is not None else None
        new = new_file.body() if new_file is not None else None
        key = key_of(chart, new if new is not None else old or {})
        status: Status = "added" if old is None else "removed" if new is None else "changed"
        paths = tuple(changed_paths(old, new)) if status == "changed" else ()
        if status == "changed" and not paths:
            continue  # same object, different bytes (formatting only)
        change = ObjectChange(key, status, paths, _unified(key, old, new), shipped(key, old, new))
        per_chart.setdefault(chart, []).append(change)
        risks.extend(object_risks(key, old, new))
    risks.extend(together_risks(after, per_chart))
    order = {city: index for index, city in enumerate(after.order or before.order)}
    charts = sorted(per_chart, key=lambda c: (c == FLEET_FOLDER, order.get(c, len(order)), c))
    return FleetDiff(
        charts=tuple(ChartChanges(c, tuple(sorted(per_chart[c], key=lambda ch: ch.key))) for c in charts),
        risks=tuple(sorted(risks, key=lambda r: (order.get(r.chart, len(order)), r.chart, r.subject, r.message))),
        before=before,
        after=after,
        labels=labels,
        transitions=tuple(transition_risks(old_files, new_files)),
    )
