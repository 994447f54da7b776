"""`fleet diff` on refs a pull request controls: refs never reach git as options, committed links are never
followed, what is read is bounded, and hostile content committed in a ref is one located error.

Each case commits hostile content to a scratch repository (or names a hostile ref) and asserts the exact
problems, a time bound, short output, and that what a link points at is never shown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nusantara_fleet import safe_yaml
from nusantara_fleet.cli import main
from nusantara_fleet.diff import diff_sides
from nusantara_fleet.errors import ConfigError
from tests.support import ENVS

SECONDS = 10.0  # a refusal comes before anything renders; a followed bomb or a hang takes far longer
OUTPUT_CHARS = 2_000  # a few lines of messages, whatever the size of the input
SECRET = "s3cr3t-never-to-be-printed"
NOT_A_REF = "is not a git ref (a ref never starts with '-' or is empty)"
UNKNOWN = "is neither a directory nor a commit of this repository; give a branch, tag, commit or directory"
LINK = "is a symbolic link in the commit; links are never followed, so commit the file itself"
NOT_A_FOLDER = "is a file or a symbolic link in the commit, not a folder (links are never followed)"
ODD_NAME = "has a name that is not printable UTF-8, or is '.' or '..'"
TWO_MIB = 2 * 1024 * 1024


def git(repo: Path, *args: str | bytes, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        input=stdin,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main holds the default envs/, and a secret beside it that links may point at."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(ENVS, root / "envs")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "envs")
    (tmp_path / "secret.yaml").write_text(f"token: {SECRET}\n")
    return root


def commit_files(repo: Path, change: Callable[[Path], object]) -> str:
    """Change the worktree, commit everything as branch `bad`, and go back to main."""
    git(repo, "checkout", "-q", "-b", "bad")
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bad")
    git(repo, "checkout", "-q", "main")
    return "bad"


def commit_entry(repo: Path, folder: str, name: bytes, mode: str, content: bytes = b"x\n") -> str:
    """Commit `folder/name` with `mode` built from objects, as only a crafted push can (`..`, odd bytes,
    links, submodules), as tag `bad`."""
    kind = "commit" if mode == "160000" else "blob"
    oid = (
        git(repo, "rev-parse", "HEAD") if kind == "commit" else git(repo, "hash-object", "-w", "--stdin", stdin=content)
    )
    entries = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-z", f"HEAD:{folder}"], capture_output=True, check=True
    ).stdout
    inner = git(repo, "mktree", "-z", stdin=entries + f"{mode} {kind} {oid}\t".encode() + name + b"\0")
    top = subprocess.run(["git", "-C", str(repo), "ls-tree", "-z", "HEAD"], capture_output=True, check=True).stdout
    rows = [row for row in top.split(b"\0") if row and not row.endswith(b"\t" + folder.encode())]
    tree = git(
        repo, "mktree", "-z", stdin=b"".join(row + b"\0" for row in rows) + f"040000 tree {inner}\t{folder}\0".encode()
    )
    commit = git(repo, "commit-tree", "-p", "HEAD", "-m", "crafted", tree)
    git(repo, "tag", "bad", commit)
    return "bad"


def refused(repo: Path, base: str) -> list[str]:
    """The problems of diffing `base` against main, checked to come fast, short and free of any secret."""
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        diff_sides(base, "main", repo=repo)
    assert time.perf_counter() - started < SECONDS
    text = str(caught.value)
    assert len(text) < OUTPUT_CHARS, text[:OUTPUT_CHARS]
    assert SECRET not in text
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    "ref",
    ["--output=PWNED", "--upload-pack=touch PWNED", "-h", "--output=PWNED:dist", "--exec=touch PWNED:envs"],
)
def test_a_ref_like_an_option_never_reaches_git(repo: Path, monkeypatch: pytest.MonkeyPatch, ref: str) -> None:
    monkeypatch.chdir(repo)
    assert refused(repo, ref) == [f"{ref.partition(':')[0]}: {NOT_A_REF}"]
    assert not (repo / "PWNED").exists()


def test_the_command_line_refuses_an_option_as_base(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    assert main(["diff", "--", "--output=PWNED", "main"]) != 0
    out, err = capsys.readouterr()
    assert out == ""
    assert f"error: --output=PWNED: {NOT_A_REF}\n" in err
    assert not (repo / "PWNED").exists()


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nosuch", f"nosuch: {UNKNOWN}"),
        ("main^{tree}", f"main^{{tree}}: {UNKNOWN}"),
        ("main\x1b[2J", f"'main\\x1b[2J': {UNKNOWN}"),
        ("x" * 10_000, f"{'x' * 79}…: {UNKNOWN}"),
        ("main:nowhere", "main:nowhere: names no folder of that commit; give REF:FOLDER, e.g. main:dist"),
        ("main:envs/fleet.yaml", f"main:envs/fleet.yaml: {NOT_A_FOLDER}"),
    ],
    ids=["unknown", "a-tree", "escape", "long", "missing-folder", "a-file"],
)
def test_a_ref_that_names_no_commit_is_refused(repo: Path, ref: str, expected: str) -> None:
    assert refused(repo, ref) == [expected]


@pytest.mark.parametrize(
    ("target", "spec"),
    [("/absolute", "bad"), ("../../secret.yaml", "bad"), ("missing.yaml", "bad"), ("/absolute", "bad:envs")],
    ids=["absolute", "relative-outside", "dangling", "ref-and-folder"],
)
def test_a_committed_link_is_refused_not_followed(repo: Path, target: str, spec: str) -> None:
    def relink(root: Path) -> None:
        (root / "envs" / "bandung.yaml").unlink()
        (root / "envs" / "bandung.yaml").symlink_to(
            str(repo.parent / "secret.yaml") if target == "/absolute" else target
        )

    ref = commit_files(repo, relink)
    assert refused(repo, spec) == [f"{ref}:envs/bandung.yaml: {LINK}"]


def test_a_committed_envs_link_is_refused(repo: Path) -> None:
    def relink(root: Path) -> None:
        shutil.rmtree(root / "envs")
        (root / "envs").symlink_to(repo.parent, target_is_directory=True)

    assert refused(repo, commit_files(repo, relink)) == [f"bad:envs: {NOT_A_FOLDER}"]


def break_envs_with_dist(dist: Callable[[Path], object]) -> Callable[[Path], object]:
    """A ref whose envs/ this code rejects, so that its committed dist/ is read instead."""

    def change(root: Path) -> None:
        (root / "envs" / "bandung.yaml").write_text("netwrk: {}\n")
        dist(root / "dist")

    return change


def test_a_link_in_a_committed_dist_is_refused(repo: Path) -> None:
    def dist(folder: Path) -> None:
        (folder / "bandung").mkdir(parents=True)
        (folder / "bandung" / "Pod.web.k8s.yaml").symlink_to(repo.parent / "secret.yaml")

    ref = commit_files(repo, break_envs_with_dist(dist))
    assert refused(repo, ref) == [f"{ref}:dist/bandung/Pod.web.k8s.yaml: {LINK}"]


def test_a_committed_dist_link_is_refused(repo: Path) -> None:
    ref = commit_files(repo, break_envs_with_dist(lambda folder: folder.symlink_to("/etc", target_is_directory=True)))
    assert refused(repo, ref) == [f"{ref}:dist: {NOT_A_FOLDER}"]


@pytest.mark.parametrize(
    ("name", "mode", "expected"),
    [
        (b"..", "100644", f"bad:envs/..: {ODD_NAME}"),
        (b".", "100644", f"bad:envs/.: {ODD_NAME}"),
        (b"medan\xff.yaml", "100644", f"bad:envs/medan\ufffd.yaml: {ODD_NAME}"),
        (b"medan\x1b[2J.yaml", "100644", f"'bad:envs/medan\\x1b[2J.yaml': {ODD_NAME}"),
        (b"medan.yaml", "120000", f"bad:envs/medan.yaml: {LINK}"),
        (b"vendor", "160000", "bad:envs/vendor: is a submodule; only committed files are read"),
    ],
    ids=["dot-dot", "dot", "not-utf8", "escape", "link", "submodule"],
)
def test_a_crafted_entry_is_refused(repo: Path, name: bytes, mode: str, expected: str) -> None:
    ref = commit_entry(repo, "envs", name, mode, content=str(repo.parent / "secret.yaml").encode())
    assert refused(repo, ref) == [expected]


def commit_folder(repo: Path, folder: str, files: dict[str, bytes]) -> str:
    """Commit `folder` holding `files` beside main's tree, built from objects (a blob stored once however
    often it is listed), as tag `big`."""
    oids = {content: git(repo, "hash-object", "-w", "--stdin", stdin=content) for content in set(files.values())}
    rows = b"".join(f"100644 blob {oids[content]}\t{name}\0".encode() for name, content in files.items())
    inner = git(repo, "mktree", "-z", stdin=rows)
    top = subprocess.run(["git", "-C", str(repo), "ls-tree", "-z", "HEAD"], capture_output=True, check=True).stdout
    tree = git(repo, "mktree", "-z", stdin=top + f"040000 tree {inner}\t{folder}\0".encode())
    git(repo, "tag", "big", git(repo, "commit-tree", "-p", "HEAD", "-m", "big", tree))
    return "big"


def test_what_a_ref_holds_is_bounded_before_it_is_read(repo: Path) -> None:
    zeros = bytes(TWO_MIB)  # one blob, listed 257 times: 514 MiB to read
    ref = commit_folder(repo, "big", {f"{index}.k8s.yaml": zeros for index in range(257)})
    assert refused(repo, f"{ref}:big") == [
        f"{ref}:big: holds 257 files of {257 * TWO_MIB} bytes; the limit is 100000 files and 536870912 bytes, "
        "far more than any fleet renders"
    ]


def test_the_file_count_is_bounded(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = commit_folder(repo, "small", {name: b"a\n" for name in "xyz"})
    monkeypatch.setattr(safe_yaml, "MAX_TREE_FILES", 2)
    assert refused(repo, f"{ref}:small") == [
        f"{ref}:small: holds 3 files of 6 bytes; the limit is 2 files and 536870912 bytes, "
        "far more than any fleet renders"
    ]


def test_hostile_yaml_in_a_ref_is_located(repo: Path) -> None:
    bomb = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]\n" for level in range(1, 9)
    )
    ref = commit_files(repo, lambda root: (root / "envs" / "bandung.yaml").write_text(bomb))
    assert refused(repo, ref) == [
        "envs/bandung.yaml:6: a5[0]: holds more than 131072 values once aliases are expanded, more than a file "
        "within the size limit can write out; an alias bomb?"
    ]


def rendered(root: Path, content: str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n") -> Path:
    (root / "bandung").mkdir(parents=True)
    (root / "bandung" / "Pod.web.k8s.yaml").write_text(content)
    return root


def test_a_rendered_directory_is_read_without_following_links(repo: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "bandung").mkdir(parents=True)
    (base / "bandung" / "Pod.web.k8s.yaml").symlink_to(tmp_path / "secret.yaml")
    os.mkfifo(base / "bandung" / "Pod.pipe.k8s.yaml")
    (base / "surabaya").symlink_to(tmp_path, target_is_directory=True)
    assert refused(repo, str(base)) == [
        f"{base}/bandung/Pod.pipe.k8s.yaml: is a named pipe (FIFO) named like a rendered file; only regular files "
        "are read",
        f"{base}/bandung/Pod.web.k8s.yaml: is a symbolic link; links are never followed, so commit the file itself",
        f"{base}/surabaya: is a symbolic link; links are never followed, so commit the file itself",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "kind: !!python/object/apply:os.system ['touch PWNED']\n",
            ":1: kind: tag '!!python/object/apply:os.system' is not allowed: only strings, numbers, true/false, null, "
            "lists and mappings are read; remove the tag",
        ),
        ("kind: Pod\n---\nkind: Pod\n", ": holds 2 YAML documents; keep one (a `---` line starts another)"),
        ("kind: Pod\nkind: Service\n", ":2: kind: key 'kind' is written twice (first on line 1); keep exactly one"),
    ],
    ids=["python-tag", "two-documents", "duplicate-key"],
)
def test_a_rendered_file_that_differs_is_parsed_safely(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    base, head = rendered(tmp_path / "base"), rendered(tmp_path / "head", content)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        diff_sides(str(base), str(head), repo=repo)
    assert time.perf_counter() - started < SECONDS
    assert [str(problem) for problem in caught.value.problems] == [f"{head}/bandung/Pod.web.k8s.yaml{expected}"]
    assert not (tmp_path / "PWNED").exists()


def test_a_path_too_long_to_write_out_is_refused(repo: Path) -> None:
    blob = git(repo, "hash-object", "-w", "--stdin", stdin=b"kind: Pod\n")
    tree = git(repo, "mktree", "-z", stdin=f"100644 blob {blob}\tx.yaml\0".encode())
    for _ in range(20):  # 20 folders of 250 characters: past PATH_MAX, though each name is allowed
        tree = git(repo, "mktree", "-z", stdin=f"040000 tree {tree}\t{'d' * 250}\0".encode())
    top = subprocess.run(["git", "-C", str(repo), "ls-tree", "-z", "HEAD"], capture_output=True, check=True).stdout
    root = git(repo, "mktree", "-z", stdin=top + f"040000 tree {tree}\tdeep\0".encode())
    git(repo, "tag", "deep", git(repo, "commit-tree", "-p", "HEAD", "-m", "deep", root))
    assert refused(repo, "deep:deep") == [f"deep:deep/{'d' * 69}…: cannot be written out (File name too long)"]
