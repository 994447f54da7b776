"""Render variants of the default envs/ for the data-layer tests and index the data objects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.synth import render_to
from tests.support import ENVS, edit_yaml, iter_docs

DATA_COMPONENT = "database"


def set_primary(envs: Path, city: str) -> None:
    text = (envs / "fleet.yaml").read_text().replace("primary: jakarta", f"primary: {city}")
    (envs / "fleet.yaml").write_text(text)


def set_mode(envs: Path, mode: str) -> None:
    text = (envs / "fleet.yaml").read_text().replace("mode: quorum", f"mode: {mode}")
    (envs / "fleet.yaml").write_text(text)


def set_targets(envs: Path, **targets: int) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: {**fleet, "targets": {**fleet["targets"], **targets}})


def render_variant(tmp: Path, *edits: Callable[[Path], None]) -> tuple[Fleet, Path]:
    envs = tmp / "envs"
    shutil.copytree(ENVS, envs)
    for edit in edits:
        edit(envs)
    fleet = load_fleet(envs)
    out = tmp / "dist"
    render_to(fleet, out)
    return fleet, out


def data_docs(out: Path) -> dict[Path, dict[str, Any]]:
    """Every rendered data-layer object, by file."""
    return {
        path.relative_to(out): doc
        for path, doc in iter_docs(out)
        if doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == DATA_COMPONENT
    }


def patroni_yml(out: Path, city: str, key: str = "postgres.yml") -> dict[str, Any]:
    config_map = yaml.safe_load((out / city / "ConfigMap.patroni.k8s.yaml").read_text())
    loaded: dict[str, Any] = yaml.safe_load(config_map["data"][key])
    return loaded
