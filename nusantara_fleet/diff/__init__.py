"""`fleet diff`: what a change does to the rendered fleet, object by object, risks first."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from nusantara_fleet.diff.compare import FleetDiff, compare, compare_trees
from nusantara_fleet.diff.sides import WORKTREE, default_base, repo_root, resolve

CODE_CHANGES = "a change of the generator itself shows against a rendered tree such as a committed dist/"

__all__ = ["WORKTREE", "FleetDiff", "compare", "compare_trees", "diff_sides"]


def diff_sides(base: str | None, head: str | None, *, repo: Path) -> FleetDiff:
    """Render both sides (from envs, or read rendered trees) and compare them; `repo` may be any folder of it."""
    repo = repo_root(repo)
    base = base or default_base(repo)
    head = head or WORKTREE
    with tempfile.TemporaryDirectory(prefix="fleet-diff-") as scratch:
        sides = [
            resolve(base, repo=repo, scratch=Path(scratch), label="base"),
            resolve(head, repo=repo, scratch=Path(scratch), label="head"),
        ]
    result = compare(sides[0].tree, sides[1].tree, labels=(_short(base), _short(head)))
    notes = [side.note for side in sides if side.note]
    if all(side.from_envs for side in sides):
        notes.append(f"both sides rendered from their envs/ with this checkout's code; {CODE_CHANGES}")
    return replace(result, notes=tuple(notes))


def _short(spec: str) -> str:
    return spec[:12] if len(spec) == 40 and all(c in "0123456789abcdef" for c in spec) else spec
