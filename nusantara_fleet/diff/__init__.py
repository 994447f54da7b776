"""`fleet diff`: what a change does to the rendered fleet, object by object, risks first."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from nusantara_fleet import safe_yaml
from nusantara_fleet.diff.compare import FleetDiff, compare, compare_trees
from nusantara_fleet.diff.risks import capacity_risks
from nusantara_fleet.diff.sides import WORKTREE, commit_of, default_base, repo_root, resolve
from nusantara_fleet.diff.verdicts import plan_beside, verdicts

CODE_CHANGES = "a change of the generator itself shows against a rendered tree such as a committed dist/"

__all__ = ["WORKTREE", "FleetDiff", "compare", "compare_trees", "diff_sides"]


def diff_sides(
    base: str | None, head: str | None, *, repo: Path, labels: tuple[str | None, str | None] = (None, None)
) -> FleetDiff:
    """Render both sides (from envs, or read rendered trees) and compare them; `repo` may be any folder of it.

    `labels` name the sides in the report's header (a pull request's base branch and head commit); each
    one not given is read from git: the ref and its commit, or the checkout's branch and commit.
    """
    repo = repo_root(repo)
    base = base or default_base(repo)
    head = head or WORKTREE
    with tempfile.TemporaryDirectory(prefix="fleet-diff-") as scratch:
        sides = [
            resolve(base, repo=repo, scratch=Path(scratch), label="base"),
            resolve(head, repo=repo, scratch=Path(scratch), label="head"),
        ]
    shown = (labels[0] or _describe(base, repo), labels[1] or _describe(head, repo))
    result = compare(sides[0].tree, sides[1].tree, labels=shown)
    notes = [side.note for side in sides if side.note]
    if all(side.from_envs for side in sides):
        notes.append(f"both sides rendered from their envs/ with this checkout's code; {CODE_CHANGES}")
    risks = (*result.risks, *capacity_risks(sides[0].plan, sides[1].plan))
    plan = sides[1].plan
    if plan is None and head != WORKTREE and os.path.isdir(head):
        plan = plan_beside(Path(head))
    judged = verdicts(sides[1].tree, plan, shown[1])
    return replace(result, risks=risks, notes=tuple(notes), verdicts=judged)


def _is_commit(spec: str) -> bool:
    return len(spec) == 40 and all(c in "0123456789abcdef" for c in spec)


def _checkout(repo: Path) -> str:
    """`branch@commit` of the checkout (`HEAD@commit` when detached), or '' outside git."""
    found = [
        subprocess.run(
            ["git", "-C", str(repo), "rev-parse", *args, "HEAD"], capture_output=True, text=True, check=False
        )
        for args in (["--abbrev-ref"], ["--short=12"])
    ]
    return "@".join(f.stdout.strip() for f in found) if all(f.returncode == 0 for f in found) else ""


def _describe(spec: str, repo: Path) -> str:
    """A side as a header names it: `main@1a2b3c4d5e6f`, `main@1a2b3c4d5e6f:dist`, `dist of feature@1a2b3c4d5e6f`."""
    ref, colon, folder = spec.partition(":")
    if spec == WORKTREE or os.path.isdir(spec):
        where = _checkout(repo)
        name = "working tree" if spec == WORKTREE else safe_yaml.label(spec)
        return f"{name} of {where}" if where else name
    commit = commit_of(repo, ref)[:12]
    named = commit if _is_commit(ref) else f"{safe_yaml.label(ref)}@{commit}"
    return f"{named}:{safe_yaml.label(folder)}" if colon else named
