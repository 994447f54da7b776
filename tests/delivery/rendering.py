"""Render variants of the default envs/ (strategy, rollout order, primary, gate) and read the Argo CD objects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nusantara_fleet.charts import build_app
from nusantara_fleet.model import load_fleet
from nusantara_fleet.synth import render_to
from tests.support import ENVS, edit_yaml

ARGO_GROUP = "argoproj.io"
FLEET = "fleet"
Rendered = dict[str, list[dict[str, Any]]]


def set_rollout(envs: Path, **values: Any) -> None:
    """Set keys of `rollout:` in fleet.yaml (None removes one)."""

    def change(fleet: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                fleet["rollout"].pop(key, None)
            else:
                fleet["rollout"][key] = value

    edit_yaml(envs / "fleet.yaml", change)


def set_primary(envs: Path, city: str) -> None:
    """Move the primary city, keeping any list of failover candidates led by the new primary."""

    def change(fleet: dict[str, Any]) -> None:
        fleet["primary"] = city
        failover = (fleet.get("database") or {}).get("failover") or {}
        if "preference" in failover:
            failover["preference"] = [city, *[c for c in failover["preference"] if c != city]]

    edit_yaml(envs / "fleet.yaml", change)


def _envs(tmp: Path, changes: tuple[Callable[[Path], None], ...]) -> Path:
    envs = tmp / "envs"
    shutil.copytree(ENVS, envs)
    for change in changes:
        change(envs)
    return envs


def render_variant(tmp: Path, *changes: Callable[[Path], None]) -> Path:
    """Copy envs/, apply `changes`, render into a fresh tree as `fleet synth` does; returns the tree."""
    out = tmp / "dist"
    render_to(load_fleet(_envs(tmp, changes)), out)
    return out


def collect_variant(tmp: Path, *changes: Callable[[Path], None]) -> Rendered:
    """The same objects as `render_variant`, collected in memory (no files): chart -> bodies."""
    _, charts = build_app(load_fleet(_envs(tmp, changes)), tmp / "unused", collect=True)
    return {chart.chart_id: chart.bodies for chart in charts}


def fleet_docs(rendered: Rendered) -> dict[tuple[str, str], dict[str, Any]]:
    """dist/fleet by (kind, name)."""
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in rendered[FLEET]}


def city_applications(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """The app-of-apps children by the city they deploy."""
    return {
        doc["spec"]["destination"]["name"]: doc
        for (kind, _), doc in fleet_docs(rendered).items()
        if kind == "Application" and doc["spec"]["destination"].get("name") != "in-cluster"
    }
