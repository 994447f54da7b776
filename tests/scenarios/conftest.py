"""The trees the scenario tests judge: every one comes from `scenario_tree`, a copy of a render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support import DIST, render_variant, set_primary


def scenario_tree(dist: Path, out: Path, *, read_fallback: bool = True) -> Path:
    """A copy of `dist` to judge; without `read_fallback`, the services' read fallback lists are taken out."""
    shutil.copytree(dist, out)
    if not read_fallback:
        for path in sorted(out.glob("*/ConfigMap.*-config.k8s.yaml")):
            body = yaml.safe_load(path.read_text())
            data = body.get("data") or {}
            if data.pop("DB_READ_HOSTS", None) is not None:
                data.pop("DB_READ_TARGET_SESSION_ATTRS", None)
                path.write_text(yaml.safe_dump(body, sort_keys=False))
    return out


@pytest.fixture(scope="session")
def default_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario_tree(DIST, tmp_path_factory.mktemp("default") / "dist")


@pytest.fixture(scope="session")
def bandung_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet after `primary: bandung`, rendered from a copy of envs/."""
    scratch = tmp_path_factory.mktemp("bandung")
    _, out = render_variant(scratch, lambda envs: set_primary(envs, "bandung"))
    return scenario_tree(out, scratch / "judged")


@pytest.fixture
def tree(default_tree: Path, tmp_path: Path) -> Path:
    """A scratch copy of the default tree, to break one ingredient per test."""
    return Path(shutil.copytree(default_tree, tmp_path / "dist"))
