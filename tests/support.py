"""Helpers shared by every test area."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENVS = ROOT / "envs"
DIST = ROOT / "dist"


def edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Load, change and rewrite a YAML file (comments are not kept: tests only)."""
    data = yaml.safe_load(path.read_text())
    result = change(data)
    path.write_text(yaml.safe_dump(data if result is None else result, sort_keys=False))


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
