"""The two sides of `fleet diff`: git refs or directories, each rendered from its envs with this code.

A side is a git ref (its committed `envs/`, file by file, links refused), a directory holding `envs/` or
`fleet.yaml`, an already rendered tree (read as it is), or `REF:PATH`, a folder of a ref (`main:dist` is
what main deploys, generator changes included). A side with envs is rendered in process:
the same constructs `fleet synth` runs, with each chart collecting its bodies instead of writing
files (what synth would write, without a jsii round trip per object). Every side is rendered with the
current code, so a change of the generator itself shows only against a rendered tree such as a
committed `dist/`; a ref whose envs/ the current model rejects is compared by its committed `dist/`.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nusantara_fleet import safe_yaml
from nusantara_fleet.charts import build_app
from nusantara_fleet.diff.objects import Tree, collected_tree, read_tree
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.capacity.plan import CapacityPlan
from nusantara_fleet.model.loader import FLEET_FILE

ENVS = "envs"
DIST = "dist"
WORKTREE = "WORKTREE"
MAIN_BRANCHES = ("main", "origin/main")
SYMLINK_MODE = b"120000"  # git's mode of a committed symbolic link
LINK = "is a symbolic link in the commit; links are never followed, so commit the file itself"


@dataclass(frozen=True)
class Side:
    label: str
    tree: Tree
    note: str = ""
    from_envs: bool = True  # rendered here from envs/, rather than read from a rendered tree
    plan: CapacityPlan | None = None  # the capacity plan of its envs/


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        said = " ".join(result.stderr.decode("utf-8", "replace").split()) or f"exit status {result.returncode}"
        raise ConfigError([Problem("git", None, " ".join(args[:2]), safe_yaml.label(said))])
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


def _revision(repo: Path, expression: str) -> str | None:
    """The object `expression` names, or None; `--end-of-options` keeps it from ever being read as an option."""
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", expression],
        capture_output=True,
        check=False,
    )
    return found.stdout.decode("ascii").strip() if found.returncode == 0 else None


def commit_of(repo: Path, ref: str) -> str:
    """The commit `ref` names in `repo`; anything else (an option, a tree, a typo) is a ConfigError."""
    shown = safe_yaml.label(ref) or "''"
    if not ref or ref.startswith("-"):
        raise ConfigError([Problem(shown, None, "", "is not a git ref (a ref never starts with '-' or is empty)")])
    commit = _revision(repo, f"{ref}^{{commit}}")
    if commit is None:
        raise ConfigError(
            [
                Problem(
                    shown,
                    None,
                    "",
                    "is neither a directory nor a commit of this repository; give a branch, tag, commit or directory",
                )
            ]
        )
    return commit


def _plain_parts(raw_path: bytes) -> tuple[str, ...] | None:
    """The names of a committed path, or None unless each is printable UTF-8 and neither empty, '.' nor '..'."""
    try:
        name = raw_path.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = tuple(name.split("/"))
    return parts if name.isprintable() and not {"", ".", ".."} & set(parts) else None


def _blobs(repo: Path, tree: str, where: str) -> list[tuple[tuple[str, ...], bytes]]:
    """Every file under `tree` (its path names and object id), refusing links, submodules, odd names and
    more than a tree may hold, from the listing alone: nothing is read before all of it is allowed."""
    blobs: list[tuple[tuple[str, ...], bytes]] = []
    problems: list[Problem] = []
    size = 0
    for record in _git(repo, "ls-tree", "-r", "-l", "-z", tree).split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")  # "<mode> <type> <object> <size>\t<path>"
        mode, kind, oid, blob_size = meta.split()
        parts = _plain_parts(raw_path)
        shown = safe_yaml.label(f"{where}/{raw_path.decode('utf-8', 'replace')}")
        if mode == SYMLINK_MODE:
            problems.append(Problem(shown, None, "", LINK))
        elif kind != b"blob":
            problems.append(Problem(shown, None, "", "is a submodule; only committed files are read"))
        elif parts is None:
            problems.append(Problem(shown, None, "", "has a name that is not printable UTF-8, or is '.' or '..'"))
        else:
            size += int(blob_size)
            blobs.append((parts, oid))
    if len(blobs) > safe_yaml.MAX_TREE_FILES or size > safe_yaml.MAX_TREE_BYTES:
        problems.append(
            Problem(
                safe_yaml.label(where), None, "", f"holds {len(blobs)} files of {size} bytes; {safe_yaml.tree_limit()}"
            )
        )
    if problems:
        raise ConfigError(problems)
    return blobs


def _export(repo: Path, ref: str, folder: str, into: Path) -> Path | None:
    """`folder` of `ref` written to `into/folder` byte for byte as committed (no filters, no attributes),
    or None when the commit has no such path."""
    commit = commit_of(repo, ref)
    where = f"{ref}:{folder}"
    tree = _revision(repo, f"{commit}:{folder}")
    if tree is None:
        return None
    if _git(repo, "cat-file", "-t", tree).strip() != b"tree":
        raise ConfigError(
            [
                Problem(
                    safe_yaml.label(where),
                    None,
                    "",
                    "is a file or a symbolic link in the commit, not a folder (links are never followed)",
                )
            ]
        )
    blobs = _blobs(repo, tree, where)
    batch = _git(repo, "cat-file", "--batch", stdin=b"".join(oid + b"\n" for _, oid in blobs))
    root = into.joinpath(*(part for part in folder.split("/") if part))
    root.mkdir(parents=True)
    start = 0
    for parts, _ in blobs:  # each object is "<object> blob <size>\n", its bytes, "\n"
        header_end = batch.index(b"\n", start)
        length = int(batch[start:header_end].split()[2])
        content, start = batch[header_end + 1 : header_end + 1 + length], header_end + length + 2
        target = root.joinpath(*parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:  # a name or path too long for this file system
            shown = safe_yaml.label(f"{where}/{'/'.join(parts)}")
            raise ConfigError([Problem(shown, None, "", f"cannot be written out ({exc.strerror})")]) from None
    return root


def render_envs(envs: Path) -> Tree:
    """Everything `fleet synth` renders from `envs`, as collected bodies."""
    return _envs_side("", envs).tree


def _envs_side(label: str, envs: Path) -> Side:
    fleet = load_fleet(envs)
    _, charts = build_app(fleet, envs, collect=True)
    return Side(label, collected_tree((chart.chart_id, chart.bodies) for chart in charts), plan=fleet.capacity)


def resolve(spec: str, *, repo: Path, scratch: Path, label: str) -> Side:
    """A side from what the user typed: WORKTREE, a directory, or a git ref."""
    path = repo / ENVS if spec == WORKTREE else Path(spec)
    shown = safe_yaml.label(spec)
    ref, colon, folder = spec.partition(":")
    # os.path, unlike Path, answers False for a name the file system cannot hold (a 10,000-character "ref")
    if colon and not os.path.lexists(path):
        exported = _export(repo, ref, folder, scratch / label)  # REF:PATH, e.g. main:dist (what main deploys)
        if exported is None:
            raise ConfigError(
                [Problem(shown, None, "", "names no folder of that commit; give REF:FOLDER, e.g. main:dist")]
            )
        path = exported
    if os.path.isdir(path):
        if (path / FLEET_FILE).is_file():
            return _envs_side(label, path)
        if (path / ENVS / FLEET_FILE).is_file():
            return _envs_side(label, path / ENVS)
        return Side(label, read_tree(path), from_envs=False)
    envs = _export(repo, spec, ENVS, scratch / label)
    if envs is None or not (envs / FLEET_FILE).is_file():
        raise ConfigError([Problem(shown, None, "", f"has no {ENVS}/{FLEET_FILE}; give a ref of this repository")])
    try:
        return _envs_side(label, envs)
    except ConfigError as error:
        dist = _export(repo, spec, DIST, scratch / f"{label}-{DIST}")
        if dist is None:
            raise
        note = (
            f"{shown}'s envs/ does not load with this code ({len(error.problems)} problem(s), first: "
            f"{error.problems[0]}); compared its committed {DIST}/ instead"
        )
        return Side(label, read_tree(dist), note, from_envs=False)
