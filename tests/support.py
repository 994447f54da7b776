"""Helpers shared by every test area."""

from __future__ import annotations

import copy
import difflib
import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet import naming
from nusantara_fleet.charts import build_app
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.synth import render_to

ROOT = Path(__file__).resolve().parent.parent
ENVS = ROOT / "envs"
DIST = ROOT / "dist"


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Load, change and rewrite a YAML file (comments are not kept: tests only); an edit that changes
    nothing fails, so a test can never pass on a mutation that silently missed its target."""
    data = yaml.safe_load(path.read_text())
    before = copy.deepcopy(data)
    result = change(data)
    after = data if result is None else result
    assert after != before, f"the edit of {path.name} changed nothing"
    path.write_text(yaml.safe_dump(after, sort_keys=False))


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def iter_docs(root: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(root.rglob("*.yaml")):
        yield path, yaml.safe_load(path.read_text())


def assert_snapshot(golden: Path, rendered: str) -> None:
    """Compare with a golden file; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites it instead."""
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered)
    expected = golden.read_text() if golden.exists() else ""
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                fromfile=str(golden.relative_to(ROOT)),
                tofile="rendered",
            )
        )
        pytest.fail(f"{golden.relative_to(ROOT)} differs from the render; review, then run `make snapshots`:\n{diff}")


# Variants of the default envs/: each edit goes through YAML and fails if it changes nothing.
Edit = Callable[[Path], None]
Docs = dict[tuple[str, str], dict[str, Any]]
Rendered = dict[str, list[dict[str, Any]]]
FLEET = "fleet"
ARGO_GROUP = "argoproj.io"
SNAPSHOT_CITY = "bandung"
CANARIES = {
    "gateway": {"canary": {"tag": "1.9.0-rc.1", "weight": 20}},
    "order": {"canary": {"tag": "2.5.0-rc.1", "weight": 10}},
}


def copy_envs(target: Path) -> Path:
    shutil.copytree(ENVS, target)
    return target


def set_primary(envs: Path, city: str) -> None:
    """Move the primary city, keeping any list of failover candidates led by the new primary, and the gate
    (which follows the primary) last in the rollout order."""

    def change(fleet: dict[str, Any]) -> None:
        fleet["primary"] = city
        if "gated_city" not in fleet["rollout"]:
            fleet["rollout"]["order"] = [c for c in fleet["rollout"]["order"] if c != city] + [city]
        failover = (fleet.get("database") or {}).get("failover") or {}
        if "preference" in failover:
            failover["preference"] = [city, *[c for c in failover["preference"] if c != city]]

    edit_yaml(envs / "fleet.yaml", change)


def set_mode(envs: Path, mode: str) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"]["failover"].update(mode=mode))


def in_mode(mode: str) -> tuple[Edit, ...]:
    """The edits that put the default envs/ in failover `mode`: none when it is already in it."""
    current = yaml.safe_load((ENVS / "fleet.yaml").read_text())["database"]["failover"]["mode"]
    return () if mode == current else (functools.partial(set_mode, mode=mode),)


def set_targets(envs: Path, **targets: int) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["targets"].update(targets))


def set_edge(envs: Path, mode: str) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: {**fleet, "edge": mode})


def add_canaries(envs: Path, city: str = SNAPSHOT_CITY) -> None:
    edit_yaml(envs / f"{city}.yaml", lambda spec: {**spec, "services": CANARIES})


def set_rollout(envs: Path, **values: Any) -> None:
    """Set keys of `rollout:` in fleet.yaml (None removes one)."""

    def change(fleet: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                fleet["rollout"].pop(key, None)
            else:
                fleet["rollout"][key] = value

    edit_yaml(envs / "fleet.yaml", change)


def variant_envs(tmp: Path, *edits: Edit) -> Path:
    envs = copy_envs(tmp / "envs")
    for edit in edits:
        edit(envs)
    return envs


def render_variant(tmp: Path, *edits: Edit) -> tuple[Fleet, Path]:
    """Copy envs/, apply `edits`, render into a fresh tree as `fleet synth` does; the fleet and the tree."""
    fleet = load_fleet(variant_envs(tmp, *edits))
    out = tmp / "dist"
    render_to(fleet, out)
    return fleet, out


def render_tree(tmp: Path, *edits: Edit) -> Path:
    return render_variant(tmp, *edits)[1]


def collect_variant(tmp: Path, *edits: Edit) -> Rendered:
    """The same objects as `render_variant`, collected in memory (no files): chart -> bodies."""
    _, charts = build_app(load_fleet(variant_envs(tmp, *edits)), tmp / "unused", collect=True)
    return {chart.chart_id: chart.bodies for chart in charts}


def fleet_docs(rendered: Rendered) -> Docs:
    """dist/fleet by (kind, name)."""
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in rendered[FLEET]}


def city_applications(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """The app-of-apps children holding each city's apps, by the city they deploy (not its data layer)."""
    return {
        doc["spec"]["destination"]["name"]: doc
        for (kind, _), doc in fleet_docs(rendered).items()
        if kind == "Application"
        and doc["spec"]["destination"].get("name") != "in-cluster"
        and doc["metadata"]["labels"].get(naming.LAYER_LABEL) == "apps"
    }


@functools.lru_cache(maxsize=4096)
def _load(path: Path, mtime_ns: int) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    return doc


def _load_cached(path: Path) -> dict[str, Any]:
    return _load(path, path.stat().st_mtime_ns)


def city_docs(out: Path, city: str) -> Docs:
    """A city's rendered objects by (kind, name); parsed once per file version, so callers must not mutate them."""
    docs = {}
    for path in sorted((out / city).glob("*.yaml")):
        doc = _load_cached(path)
        docs[(doc["kind"], doc["metadata"]["name"])] = doc
    return docs


def all_docs(out: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every rendered object with its file, parsed once per file version (do not mutate)."""
    return [(path, _load_cached(path)) for path in sorted(out.rglob("*.yaml"))]


def data_docs(out: Path) -> dict[Path, dict[str, Any]]:
    """Every rendered data-layer object, by file."""
    return {
        path.relative_to(out): doc
        for path, doc in iter_docs(out)
        if doc["metadata"].get("labels", {}).get(naming.COMPONENT_LABEL) == "data"
    }


def patroni_yml(out: Path, city: str, key: str = "postgres.yml") -> dict[str, Any]:
    config_map = yaml.safe_load((out / city / "ConfigMap.patroni.k8s.yaml").read_text())
    loaded: dict[str, Any] = yaml.safe_load(config_map["data"][key])
    return loaded


# Hostile input, shared by the tests of every reader (envs/, rendered trees, git refs).
OUTPUT_CHARS = 2_000  # a few lines of messages, whatever the size of the input
SECRET = "s3cr3t-never-to-be-printed"
TAG_HELP = "is not allowed: only strings, numbers, true/false, null, lists and mappings are read; remove the tag"
LINK = "is a symbolic link; links are never followed, so commit the file itself"


def laughs(levels: int) -> str:
    """The billion laughs: each level a list of ten aliases of the one before, 10**levels values in all."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a workload, a CronJob's included."""
    spec = doc["spec"]
    template: dict[str, Any] = spec["jobTemplate"]["spec"]["template"] if doc["kind"] == "CronJob" else spec["template"]
    return template
