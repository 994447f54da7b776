"""The two sides of `fleet diff`: git refs or directories, each rendered from its envs with this code.

A side is a git ref (its `envs/` is exported with `git archive`), a directory holding `envs/` or
`fleet.yaml`, an already rendered tree (read as it is), or `REF:PATH`, a folder of a ref (`main:dist` is
what main deploys, generator changes included). A side with envs is rendered in process:
the same constructs `fleet synth` runs, with each chart collecting its bodies instead of writing
files (what synth would write, without a jsii round trip per object). Every side is rendered with the
current code, so a change of the generator itself shows only against a rendered tree such as a
committed `dist/`; a ref whose envs/ the current model rejects is compared by its committed `dist/`.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from nusantara_fleet.charts import build_app
from nusantara_fleet.diff.objects import Tree, collected_tree, read_tree
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.loader import FLEET_FILE

ENVS = "envs"
DIST = "dist"
WORKTREE = "WORKTREE"
MAIN_BRANCHES = ("main", "origin/main")


@dataclass(frozen=True)
class Side:
    label: str
    tree: Tree
    note: str = ""
    from_envs: bool = True  # rendered here from envs/, rather than read from a rendered tree


def _git(repo: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise ConfigError([Problem("git", None, " ".join(args[:2]), result.stderr.decode().strip())])
    return result.stdout


def repo_root(start: Path) -> Path:
    """The top of the git checkout holding `start` (where envs/ lives), or `start` outside git."""
    found = subprocess.run(
        ["git", "-C", str(start), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    return Path(found.stdout.strip()) if found.returncode == 0 else start


def default_base(repo: Path) -> str:
    """The merge base of HEAD with main: what this branch changes, not what main gained since."""
    for branch in MAIN_BRANCHES:
        probe = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", branch], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return _git(repo, "merge-base", branch, "HEAD").decode().strip()
    return "HEAD"


def _export(repo: Path, ref: str, folder: str, into: Path) -> Path:
    archive = _git(repo, "archive", "--format=tar", ref, "--", folder)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / folder


def render_envs(envs: Path) -> Tree:
    """Everything `fleet synth` renders from `envs`, as collected bodies."""
    _, charts = build_app(load_fleet(envs), envs, collect=True)
    return collected_tree((chart.chart_id, chart.bodies) for chart in charts)


def resolve(spec: str, *, repo: Path, scratch: Path, label: str) -> Side:
    """A side from what the user typed: WORKTREE, a directory, or a git ref."""
    path = repo / ENVS if spec == WORKTREE else Path(spec)
    ref, colon, folder = spec.partition(":")
    if colon and not path.exists():
        path = _export(repo, ref, folder, scratch / label)  # REF:PATH, e.g. main:dist (what main deploys)
    if path.is_dir():
        if (path / FLEET_FILE).is_file():
            return Side(label, render_envs(path))
        if (path / ENVS / FLEET_FILE).is_file():
            return Side(label, render_envs(path / ENVS))
        return Side(label, read_tree(path), from_envs=False)
    envs = _export(repo, spec, ENVS, scratch / label)
    if not (envs / FLEET_FILE).is_file():
        raise ConfigError(
            [Problem(spec, None, "", f"{spec} has no {ENVS}/{FLEET_FILE}; give a ref of this repository")]
        )
    try:
        return Side(label, render_envs(envs))
    except ConfigError as error:
        dist = _export(repo, spec, DIST, scratch / f"{label}-{DIST}")
        if not dist.is_dir():
            raise
        note = (
            f"{spec}'s envs/ does not load with this code ({len(error.problems)} problem(s), first: "
            f"{error.problems[0]}); compared its committed {DIST}/ instead"
        )
        return Side(label, read_tree(dist), note, from_envs=False)
