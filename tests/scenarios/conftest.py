"""The trees the scenario tests judge: every one comes from `scenario_tree`, the single place that adds the
contract objects (tests/scenarios/contract.py) to a render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.scenarios.contract import with_contract
from tests.support import DIST, ENVS, render_variant, set_primary


def scenario_tree(dist: Path, envs: Path, out: Path, *, read_fallback: bool = True) -> Path:
    """The tree a scenario test reads: `dist` with the contract objects (drop this call once they render)."""
    return with_contract(dist, envs, out, read_fallback=read_fallback)


@pytest.fixture(scope="session")
def default_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario_tree(DIST, ENVS, tmp_path_factory.mktemp("default") / "dist")


@pytest.fixture(scope="session")
def bandung_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet after `primary: bandung`, rendered from a copy of envs/."""
    scratch = tmp_path_factory.mktemp("bandung")
    _, out = render_variant(scratch, lambda envs: set_primary(envs, "bandung"))
    return scenario_tree(out, scratch / "envs", scratch / "judged")


@pytest.fixture
def tree(default_tree: Path, tmp_path: Path) -> Path:
    """A scratch copy of the default tree, to break one ingredient per test."""
    return Path(shutil.copytree(default_tree, tmp_path / "dist"))
