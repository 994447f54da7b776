"""Fixtures shared by every test area."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import ENVS


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    """A scratch copy of the default envs/, to mutate one thing per test."""
    target = tmp_path / "envs"
    shutil.copytree(ENVS, target)
    return target
