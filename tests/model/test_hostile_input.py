"""envs/ from a pull request: every hostile file is one bounded, located error, fast, and never echoed.

Each case mutates the scratch copy of envs/ and asserts the exact problems, that loading returns within
a time bound, that the message stays short, and that the contents of a file a link points at never
appear; the command line turns each into an error exit, not a traceback.
"""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.spec.common import DNS_LABEL, PATTERN_HELP
from tests.support import LINK, OUTPUT_CHARS, SECRET, TAG_HELP, laughs

SECONDS = 5.0  # every refusal is immediate; a hang or an expanded bomb takes far longer
CITY = "envs/bandung.yaml"
NOT_REGULAR = "not a regular file; only regular files are read"
DEEP = "nests deeper than 64 levels; no configuration or manifest is that deep"
BOMB = (
    "holds more than 131072 values once aliases are expanded, more than a file within the size limit can write "
    "out; an alias bomb?"
)

Mutation = Callable[[Path], None]


def secret_outside(envs: Path) -> Path:
    """A file beside envs/ that a link may point at, holding what must never be printed."""
    target = envs.parent / "secret.yaml"
    target.write_text(f"token: {SECRET}\n")
    return target


def write(name: str, content: str | bytes) -> Mutation:
    def mutate(envs: Path) -> None:
        path = envs / name
        if path.exists():
            path.unlink()
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return mutate


def append(name: str, text: str) -> Mutation:
    def mutate(envs: Path) -> None:
        with (envs / name).open("a", encoding="utf-8") as file:
            file.write(text)

    return mutate


def replace(name: str, old: str, new: str) -> Mutation:
    def mutate(envs: Path) -> None:
        text = (envs / name).read_text()
        assert old in text
        (envs / name).write_text(text.replace(old, new, 1))

    return mutate


def link(name: str, target: Callable[[Path], str]) -> Mutation:
    def mutate(envs: Path) -> None:
        secret_outside(envs)
        path = envs / name
        if path.exists():
            path.unlink()
        path.symlink_to(target(envs))

    return mutate


def special(name: str, make: Callable[[Path], None]) -> Mutation:
    def mutate(envs: Path) -> None:
        path = envs / name
        if path.exists():
            path.unlink()
        make(path)

    return mutate


def sparse(name: str, size: int) -> Mutation:
    def mutate(envs: Path) -> None:
        with (envs / name).open("wb") as file:
            file.truncate(size)  # a hole: the size is real to stat, the disk stays empty

    return mutate


def make_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def make_device(kind: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        try:
            os.mknod(path, kind | 0o600, os.makedev(1, 3))  # never opened: the number does not matter
        except PermissionError:
            pytest.skip("creating a device node needs CAP_MKNOD")

    return make


CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "invalid-utf8",
        write("bandung.yaml", b"network:\n  pod_cidr: 10.20.0.0/16\n  service_cidr: \xff\n"),
        [f"{CITY}:3: is not UTF-8: byte 0xff does not decode (invalid start byte); save it as UTF-8"],
    ),
    (
        "truncated-utf8",
        write("bandung.yaml", b"network:\n  pod_cidr: caf\xc3"),
        [f"{CITY}:2: is not UTF-8: byte 0xc3 does not decode (unexpected end of data); save it as UTF-8"],
    ),
    (
        "utf16-bom",
        write("bandung.yaml", "network: {}\n".encode("utf-16")),
        [f"{CITY}:1: is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8"],
    ),
    (
        "utf32-bom",
        write("bandung.yaml", "network: {}\n".encode("utf-32")),
        [f"{CITY}:1: is UTF-32 (it starts with a UTF-32 byte order mark); save it as UTF-8"],
    ),
    (
        "utf16-without-bom",
        write("bandung.yaml", "network: {}\n".encode("utf-16-le")),
        [f"{CITY}:1: holds a NUL byte: a binary file, or UTF-16 without a byte order mark; save it as UTF-8 text"],
    ),
    (
        "nul-byte",
        write("bandung.yaml", b"network:\n  pod_cidr: 10.20.0.0/16\n\n  service_cidr: 10.120.0.0/16\x00\n"),
        [f"{CITY}:4: holds a NUL byte: a binary file, or UTF-16 without a byte order mark; save it as UTF-8 text"],
    ),
    (
        "terminal-escape",
        write("bandung.yaml", "network:\n  pod_cidr: \x1b[2J\n"),
        [f"{CITY}:2: malformed YAML: character U+001B is not allowed in YAML; remove it"],
    ),
    (
        "python-object-apply",
        write("bandung.yaml", "network: !!python/object/apply:os.system ['touch PWNED']\n"),
        [f"{CITY}:1: network: tag '!!python/object/apply:os.system' {TAG_HELP}"],
    ),
    (
        "python-name",
        write("bandung.yaml", "network:\n  pod_cidr: !!python/name:os.system ''\n"),
        [f"{CITY}:2: network.pod_cidr: tag '!!python/name:os.system' {TAG_HELP}"],
    ),
    (
        "local-tag",
        write("bandung.yaml", "network:\n  pod_cidr: !vault 10.20.0.0/16\n"),
        [f"{CITY}:2: network.pod_cidr: tag '!vault' {TAG_HELP}"],
    ),
    (
        "set-on-mapping",
        write("bandung.yaml", "network: !!set {a, b}\n"),
        [f"{CITY}:1: network: tag '!!set' {TAG_HELP}"],
    ),
    (
        "omap-on-list",
        write("bandung.yaml", "network: !!omap [a: 1]\n"),
        [f"{CITY}:1: network: tag '!!omap' {TAG_HELP}"],
    ),
    (
        "binary",
        write("bandung.yaml", "network:\n  pod_cidr: !!binary aGk=\n"),
        [f"{CITY}:2: network.pod_cidr: tag '!!binary' {TAG_HELP}"],
    ),
    (
        "explicit-timestamp",
        write("bandung.yaml", "network:\n  pod_cidr: !!timestamp 2026-01-01\n"),
        [f"{CITY}:2: network.pod_cidr: tag '!!timestamp' {TAG_HELP}"],
    ),
    (
        "core-tag-wrong-value",
        write("bandung.yaml", "network:\n  pod_cidr: !!int ten\n"),
        [f"{CITY}:2: network.pod_cidr: 'ten' is not a valid int"],
    ),
    (
        "core-bool-wrong-value",
        write("bandung.yaml", "network:\n  pod_cidr: !!bool maybe\n"),
        [f"{CITY}:2: network.pod_cidr: 'maybe' is not a valid bool"],
    ),
    (
        "long-number",
        write("bandung.yaml", "network:\n  pod_cidr: " + "1" * 5000 + "\n"),
        [f"{CITY}:2: network.pod_cidr: a number of 5000 characters is over the limit of 100"],
    ),
    (
        "base-60-number",
        write("bandung.yaml", "network:\n  pod_cidr: 1" + ":0" * 50_000 + "\n"),
        [f"{CITY}:2: network.pod_cidr: a number of 100001 characters is over the limit of 100"],
    ),
    ("billion-laughs", write("bandung.yaml", laughs(9)), [f"{CITY}:6: a5[0]: {BOMB}"]),
    (
        "alias-loop",
        write("bandung.yaml", "network: &loop\n  pod_cidr: *loop\n"),
        [f"{CITY}:2: network.pod_cidr: an alias refers to a list or mapping that holds it; a loop has no plain value"],
    ),
    (
        "too-many-aliases",
        write("bandung.yaml", "a: &a [x]\nb: [" + ", ".join(["*a"] * 101) + "]\n"),
        [f"{CITY}:2: b[100]: more than 100 aliases of lists and mappings; write the values out"],
    ),
    (
        "deep-flow",
        write("bandung.yaml", "network: " + "[" * 100 + "]" * 100 + "\n"),
        [f"{CITY}:1: network" + "[0]" * 24 + "…: " + DEEP],
    ),
    (
        "deep-block",
        write("bandung.yaml", "".join(" " * level + f"k{level}:\n" for level in range(100)) + " " * 100 + "x\n"),
        [f"{CITY}:64: k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18.k19.k20.k21.k…: {DEEP}"],
    ),
    (
        "very-deep",
        write("bandung.yaml", "[" * 100_000 + "]" * 100_000 + "\n"),
        [f"{CITY}:1: " + "[0]" * 26 + "[…: " + DEEP],
    ),
    (
        "several-documents",
        append("bandung.yaml", "---\nnetwork: {}\n"),
        [f"{CITY}:14: holds 2 YAML documents; keep one (a `---` line starts another)"],
    ),
    (
        "list-as-key",
        write("bandung.yaml", "? [a, b]\n: c\n"),
        [f"{CITY}:1: a mapping key must be a plain value, not a list or mapping"],
    ),
    (
        "huge-file",
        sparse("bandung.yaml", 4 * 1024**3),
        [f"{CITY}: is 4294967296 bytes, over the limit of 262144; no real file is that large"],
    ),
    (
        "just-over-the-limit",
        append("bandung.yaml", "#" * (256 * 1024)),
        [f"{CITY}: is 262629 bytes, over the limit of 262144; no real file is that large"],
    ),
    (
        "long-key",
        append("bandung.yaml", "k" * 1000 + ": 1\n"),
        [f"{CITY}:13: a key of 1000 characters is over the limit of 317"],
    ),
    (
        "long-value",
        replace("fleet.yaml", "primary: jakarta", "primary: " + "a" * 200_000),
        ["envs/fleet.yaml:5: primary: '" + "a" * 78 + "… " + PATTERN_HELP[DNS_LABEL]],
    ),
    (
        "long-file-name",
        write("m" * 200 + ".yaml", "network: {}\n"),
        [
            "envs/"
            + "m" * 74
            + "…: city file name '"
            + "m" * 78
            + "… "
            + PATTERN_HELP[DNS_LABEL]
            + " (and not fleet); rename the file"
        ],
    ),
    (
        "escape-in-file-name",
        write("medan\x1b[2J.yaml", "network: {}\n"),
        [
            "'envs/medan\\x1b[2J.yaml': city file name 'medan\\x1b[2J' "
            + PATTERN_HELP[DNS_LABEL]
            + " (and not fleet); rename the file"
        ],
    ),
    ("absolute-link", link("bandung.yaml", lambda envs: str(secret_outside(envs))), [f"{CITY}: {LINK}"]),
    ("relative-link", link("bandung.yaml", lambda envs: "../secret.yaml"), [f"{CITY}: {LINK}"]),
    ("dangling-link", link("medan.yaml", lambda envs: str(envs.parent / "missing.yaml")), [f"envs/medan.yaml: {LINK}"]),
    ("link-to-a-device", link("medan.yaml", lambda envs: "/dev/zero"), [f"envs/medan.yaml: {LINK}"]),
    ("fleet-file-link", link("fleet.yaml", lambda envs: str(secret_outside(envs))), [f"envs/fleet.yaml: {LINK}"]),
    ("directory", special("medan.yaml", Path.mkdir), [f"envs/medan.yaml: is a directory, {NOT_REGULAR}"]),
    (
        "fleet-file-directory",
        special("fleet.yaml", Path.mkdir),
        [f"envs/fleet.yaml: is a directory, {NOT_REGULAR}"],
    ),
    ("fifo", special("medan.yaml", os.mkfifo), [f"envs/medan.yaml: is a named pipe (FIFO), {NOT_REGULAR}"]),
    ("socket", special("medan.yaml", make_socket), [f"envs/medan.yaml: is a socket, {NOT_REGULAR}"]),
    (
        "device",
        special("medan.yaml", make_device(stat.S_IFCHR)),
        [f"envs/medan.yaml: is a character device, {NOT_REGULAR}"],
    ),
    (
        "block-device",
        special("medan.yaml", make_device(stat.S_IFBLK)),
        [f"envs/medan.yaml: is a block device, {NOT_REGULAR}"],
    ),
]


def refused(envs: Path) -> list[str]:
    """The problems of loading `envs`, checked to come fast, short and free of any secret."""
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert time.perf_counter() - started < SECONDS
    text = str(caught.value)
    assert len(text) < OUTPUT_CHARS, text[:OUTPUT_CHARS]
    assert SECRET not in text
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run where a `touch` by an unsafe loader would land, to prove nothing ran."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_envs_is_refused_precisely(envs: Path, in_tmp: Path, mutate: Mutation, expected: list[str]) -> None:
    mutate(envs)
    assert refused(envs) == expected


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_command_line_exits_with_the_message_and_no_traceback(
    envs: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, expected: list[str]
) -> None:
    mutate(envs)
    started = time.perf_counter()
    code = main(["synth", "--envs", str(envs), "--out", str(in_tmp / "dist")])
    assert time.perf_counter() - started < SECONDS
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert f"error: {expected[0]}\n" in err
    assert len(err) < OUTPUT_CHARS
    assert SECRET not in err
    assert not (in_tmp / "dist").exists()


def test_a_linked_envs_directory_is_refused(envs: Path) -> None:
    secret_outside(envs)
    linked = envs.parent / "linked-envs"
    linked.symlink_to(envs, target_is_directory=True)
    assert refused(linked) == [f"{linked}: is a symbolic link; links are never followed, so give the directory itself"]
