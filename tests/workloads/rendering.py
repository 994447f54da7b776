"""Render variants of the default envs/ (edge mode, canaries, primary) and index what they produce."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.synth import render
from tests.support import ENVS, edit_yaml

Docs = dict[tuple[str, str], dict[str, Any]]

SNAPSHOT_CITY = "bandung"
CANARIES = {
    "gateway": {"canary": {"tag": "1.9.0-rc.1", "weight": 20}},
    "order": {"canary": {"tag": "2.5.0-rc.1", "weight": 10}},
}


def copy_envs(target: Path) -> Path:
    shutil.copytree(ENVS, target)
    return target


def set_edge(envs: Path, mode: str) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: {**fleet, "edge": mode})


def add_canaries(envs: Path, city: str = SNAPSHOT_CITY) -> None:
    edit_yaml(envs / f"{city}.yaml", lambda spec: {**spec, "services": CANARIES})


def render_variant(tmp: Path, *edits: Callable[[Path], None]) -> tuple[Fleet, Path]:
    """Copy envs/, apply `edits`, render; return the fleet and its output directory."""
    envs = copy_envs(tmp / "envs")
    for edit in edits:
        edit(envs)
    fleet = load_fleet(envs)
    out = tmp / "dist"
    render(fleet, out)
    return fleet, out


@functools.lru_cache(maxsize=4096)
def _load(path: Path, mtime_ns: int) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    return doc


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


def _load_cached(path: Path) -> dict[str, Any]:
    return _load(path, path.stat().st_mtime_ns)


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=True)
