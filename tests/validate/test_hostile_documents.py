"""`fleet validate` on a tree from a pull request: hostile files are bounded, located errors; nothing passes.

Each case puts one hostile entry beside a good manifest and asserts the exact problems, a time bound,
short output, and that what a link points at is never shown; the gate exits non-zero without a traceback.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nusantara_fleet import safe_yaml
from nusantara_fleet.cli import main
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.validate.documents import load_documents
from tests.support import LINK, OUTPUT_CHARS, ROOT, SECRET, TAG_HELP, laughs
from tests.validate.support import POLICY

SECONDS = 5.0  # every refusal is immediate; a hang or an expanded bomb takes far longer
GOOD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
FILE = "{root}/bandung/Pod.bad.k8s.yaml"
LOOP = "a loop has no plain value"
NOT_REGULAR = "named like a YAML file; only regular files are read"
BOMB = (
    "holds more than 1048576 values once aliases are expanded, more than a file within the size limit can write "
    "out; an alias bomb?"
)

Mutation = Callable[[Path], None]


def secret_outside(root: Path) -> Path:
    target = root.parent / "secret.yaml"
    target.write_text(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {SECRET}\n")
    return target


def bad(content: str | bytes, name: str = "bandung/Pod.bad.k8s.yaml") -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return mutate


def link(name: str, target: Callable[[Path], Path | str], *, directory: bool = False) -> Mutation:
    def mutate(root: Path) -> None:
        secret_outside(root)
        (root / name).symlink_to(target(root), target_is_directory=directory)

    return mutate


def special(name: str, make: Callable[[Path], None]) -> Mutation:
    return lambda root: make(root / name)


def make_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def sparse_files(count: int, size: int) -> Mutation:
    def mutate(root: Path) -> None:
        for index in range(count):
            with (root / "bandung" / f"Pod.p{index}.k8s.yaml").open("wb") as file:
                file.truncate(size)  # a hole: stat sees the size, the disk stays empty

    return mutate


CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "invalid-utf8",
        bad(b"kind: Pod\nmetadata:\n  name: \xfe\n"),
        [f"{FILE}:3: is not UTF-8: byte 0xfe does not decode (invalid start byte); save it as UTF-8"],
    ),
    (
        "utf16-bom",
        bad(GOOD.encode("utf-16")),
        [f"{FILE}:1: is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8"],
    ),
    (
        "nul-byte",
        bad(GOOD.encode() + b"\x00"),
        [f"{FILE}:5: holds a NUL byte: a binary file, or UTF-16 without a byte order mark; save it as UTF-8 text"],
    ),
    (
        "control-character",
        bad("kind: Pod\nmetadata:\n  name: \x07\n"),
        [f"{FILE}:3: malformed YAML: character U+0007 is not allowed in YAML; remove it"],
    ),
    (
        "malformed",
        bad("kind: Pod\nmetadata: [\n"),
        [f"{FILE}:3: malformed YAML: did not find expected node content; fix the syntax on this line"],
    ),
    (
        "python-tag",
        bad("kind: !!python/object/apply:os.system ['touch PWNED']\n"),
        [f"{FILE}:1: kind: tag '!!python/object/apply:os.system' {TAG_HELP}"],
    ),
    (
        "local-tag-on-mapping",
        bad("kind: Pod\nmetadata: !meta\n  name: web\n"),
        [f"{FILE}:2: metadata: tag '!meta' {TAG_HELP}"],
    ),
    (
        "tag-on-the-document",
        bad("--- !!omap\n- kind: Pod\n"),
        [f"{FILE}:1: tag '!!omap' {TAG_HELP}"],
    ),
    ("billion-laughs", bad(laughs(9)), [f"{FILE}:6: a5[8]: {BOMB}"]),
    (
        "alias-loop",
        bad("kind: Pod\nspec: &s\n  containers: [*s]\n"),
        [f"{FILE}:3: spec.containers[0]: an alias refers to a list or mapping that holds it; {LOOP}"],
    ),
    (
        "deep",
        bad("kind: Pod\nspec: " + "[" * 70 + "]" * 70 + "\n"),
        [f"{FILE}:2: spec" + "[0]" * 25 + "…: nests deeper than 64 levels; no configuration or manifest is that deep"],
    ),
    (
        "deeper-than-libyaml",
        bad("kind: Pod\nspec: " + "[" * 5000 + "]" * 5000 + "\n"),
        [f"{FILE}:2: malformed YAML: exceeded maximum nesting depth; fix the syntax on this line"],
    ),
    (
        "duplicate-key",
        bad("kind: Pod\nmetadata:\n  name: web\n  name: other\n"),
        [f"{FILE}:4: metadata.name: key 'name' is written twice (first on line 3); keep exactly one"],
    ),
    (
        "not-an-object",
        bad("- kind: Pod\n"),
        [f"{FILE}: document 1 is a list, not an object"],
    ),
    (
        "huge-file",
        sparse_files(1, 3 * 1024**3),
        ["{root}/bandung/Pod.p0.k8s.yaml: is 3221225472 bytes, over the limit of 2097152; no real file is that large"],
    ),
    (
        "huge-tree",
        sparse_files(257, 2 * 1024**2),
        [
            "{root}: holds more than a tree may; the limit is 100000 files and 536870912 bytes, "
            "far more than any fleet renders"
        ],
    ),
    (
        "long-value",
        bad("kind: Pod\nmetadata:\n  name: !!int " + "9" * 1_000_000 + "\n"),
        [f"{FILE}:3: metadata.name: a number of 1000000 characters is over the limit of 100"],
    ),
    ("absolute-link", link("bandung/Pod.bad.k8s.yaml", secret_outside), [f"{FILE}: {LINK}"]),
    ("relative-link", link("bandung/Pod.bad.k8s.yaml", lambda root: "../../secret.yaml"), [f"{FILE}: {LINK}"]),
    ("dangling-link", link("bandung/Pod.bad.k8s.yaml", lambda root: root / "missing.yaml"), [f"{FILE}: {LINK}"]),
    (
        "linked-directory",
        link("surabaya", lambda root: secret_outside(root).parent, directory=True),
        [f"{{root}}/surabaya: {LINK}"],
    ),
    (
        "link-with-another-name",
        link("bandung/README", lambda root: "/etc/hostname"),
        [f"{{root}}/bandung/README: {LINK}"],
    ),
    (
        "directory-named-yaml",
        special("bandung/Pod.bad.k8s.yaml", Path.mkdir),
        [f"{FILE}: is a directory {NOT_REGULAR}"],
    ),
    ("fifo", special("bandung/Pod.bad.k8s.yaml", os.mkfifo), [f"{FILE}: is a named pipe (FIFO) {NOT_REGULAR}"]),
    ("socket", special("bandung/Pod.bad.k8s.yaml", make_socket), [f"{FILE}: is a socket {NOT_REGULAR}"]),
    (
        "escape-in-file-name",
        bad(GOOD, "bandung/Pod.\x1b[2J.k8s.yaml"),
        [
            "'{root}/bandung/Pod.\\x1b[2J.k8s.yaml': has a name with control characters or bytes that are not "
            "UTF-8; rename it"
        ],
    ),
]


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "bandung").mkdir(parents=True)
    (root / "bandung" / "Pod.web.k8s.yaml").write_text(GOOD)
    return root


def refused(root: Path) -> list[str]:
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_documents(root)
    assert time.perf_counter() - started < SECONDS
    text = str(caught.value)
    assert len(text) < OUTPUT_CHARS, text[:OUTPUT_CHARS]
    assert SECRET not in text
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_documents_are_refused_precisely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mutate: Mutation, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    root = tree(tmp_path)
    mutate(root)
    assert refused(root) == [line.format(root=root) for line in expected]
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_gate_fails_with_the_message_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, expected: list[str]
) -> None:
    root = tree(tmp_path)
    mutate(root)
    started = time.perf_counter()
    code = main(["validate", str(root), "--policy", str(POLICY)])
    assert time.perf_counter() - started < SECONDS
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert f"error: {expected[0].format(root=root)}\n" in err
    assert len(err) < OUTPUT_CHARS
    assert SECRET not in err


def test_the_tree_file_limit_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path)
    (root / "bandung" / "README.md").write_text("listed, never read, still counted\n")
    monkeypatch.setattr(safe_yaml, "MAX_TREE_FILES", 2)  # bandung/, and the two files in it
    assert refused(root) == [
        f"{root}: holds more than a tree may; the limit is 2 files and 536870912 bytes, far more than any fleet renders"
    ]


def test_a_linked_tree_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path)
    linked = tmp_path / "linked"
    linked.symlink_to(root, target_is_directory=True)
    assert refused(linked) == [f"{linked}: is a symbolic link; links are never followed, so give the directory itself"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: root.mkdir(), "{root}: holds no YAML documents to check; run `fleet synth` first"),
        (
            lambda root: (root.mkdir(), (root / "README.md").write_text("# not YAML\n")),
            "{root}: holds no YAML documents to check; run `fleet synth` first",
        ),
        (
            lambda root: ((root / "bandung").mkdir(parents=True), (root / "bandung" / "Pod.k8s.yaml").write_text("")),
            "{root}: holds no YAML documents to check; run `fleet synth` first",
        ),
        (lambda root: None, "{root}: no such directory; run `fleet synth` first"),
        (os.mkfifo, "{root}: is a named pipe (FIFO), not a directory of rendered YAML"),
    ],
    ids=["empty", "no-yaml", "only-empty-files", "missing", "fifo"],
)
def test_a_gate_on_nothing_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], object], expected: str
) -> None:
    root = tmp_path / "dist"
    make(root)
    assert refused(root) == [expected.format(root=root)]
    assert main(["validate", str(root), "--policy", str(POLICY)]) != 0
    assert f"error: {expected.format(root=root)}\n" in capsys.readouterr().err


def test_only_the_core_schema_is_read(tmp_path: Path) -> None:
    """A date stays a string and `<<` stays a key: YAML 1.1's timestamps and merges are not applied."""
    root = tree(tmp_path)
    (root / "bandung" / "Pod.web.k8s.yaml").write_text(
        "kind: Pod\nmetadata: &meta\n  name: web\n  annotations: {since: 2026-01-01}\nspec:\n  <<: *meta\n"
    )
    [document] = load_documents(root)
    meta = {"name": "web", "annotations": {"since": "2026-01-01"}}
    assert document.body == {"kind": "Pod", "metadata": meta, "spec": {"<<": meta}}


def test_a_file_swapped_for_a_fifo_after_the_check_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check and the open are two steps; the open neither blocks nor follows, and what it opened is checked."""
    regular, fifo = tmp_path / "regular.yaml", tmp_path / "swapped.yaml"
    regular.write_text(GOOD)
    os.mkfifo(fifo)
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda path: real_lstat(regular if Path(path) == fifo else path))
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        safe_yaml.read_bytes(fifo, "swapped.yaml")
    assert time.perf_counter() - started < SECONDS
    assert str(caught.value) == "swapped.yaml: is a named pipe (FIFO), not a regular file; only regular files are read"


def test_a_file_swapped_for_a_link_after_the_check_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular, linked = tmp_path / "regular.yaml", tmp_path / "linked.yaml"
    regular.write_text(GOOD)
    linked.symlink_to(secret_outside(tmp_path / "dist"))
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda path: real_lstat(regular if Path(path) == linked else path))
    with pytest.raises(ConfigError) as caught:
        safe_yaml.read_bytes(linked, "linked.yaml")
    assert str(caught.value) == f"linked.yaml: {LINK}"


def test_a_huge_value_is_quoted_short_in_the_findings(tmp_path: Path) -> None:
    """Loading is bounded, and so is what the schema and policy layers say about a value they reject."""
    from nusantara_fleet.validate import validate

    city = tmp_path / "dist" / "bandung"
    city.mkdir(parents=True)
    (city / "Deployment.web.k8s.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        f"spec: {{replicas: '{'9' * 1_000_000}'}}\n"
    )
    result = validate(tmp_path / "dist", ROOT / "policy")
    messages = [finding.message for finding in result.findings]
    assert messages and max(len(message) for message in messages) <= 600
