"""`fleet release/promote/rollback`: minimal, comment-preserving edits of envs/, validated before writing."""

from __future__ import annotations

import difflib
import io
from pathlib import Path

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.release import round_trip_yaml
from tests.support import ENVS, city_docs, read_tree

# A city file with comments, a flow mapping and another service's state, all of which must survive.
CITY_WITH_STATE = """\
# yaml-language-server: $schema=schema/city.schema.json
# Bandung: first to receive every release.
services:
  # payment is mid-release here; keep this comment
  payment: {tag: "1.12.4", previous_tag: "1.12.3"}
"""


def fleet(*args: str, envs: Path) -> int:
    return main([*args, "--envs", str(envs), "--out", str(envs.parent / "dist")])


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_canary_promote_rollback_round_trip_is_byte_identical(envs: Path) -> None:
    before = read_tree(envs)
    bandung = (envs / "bandung.yaml").read_text()
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--canary", "10", envs=envs) == 0
    canary = (envs / "bandung.yaml").read_text()
    assert changed_lines(bandung, canary) == [
        "+services:",
        "+  order:",
        '+    canary: {tag: "2.5.0", weight: 10}',
    ]
    assert fleet("promote", "order", "--city", "bandung", envs=envs) == 0
    promoted = (envs / "bandung.yaml").read_text()
    assert changed_lines(canary, promoted) == [
        '-    canary: {tag: "2.5.0", weight: 10}',
        '+    tag: "2.5.0"',
        '+    previous_tag: "2.4.0"',
    ]
    assert fleet("rollback", "order", "--city", "bandung", envs=envs) == 0
    assert read_tree(envs) == before


def test_edits_keep_comments_and_other_services(envs: Path) -> None:
    path = envs / "bandung.yaml"
    original = path.read_text()
    path.write_text(original + CITY_WITH_STATE.split("\n", 2)[2])
    start = path.read_text()
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--canary", "25", envs=envs) == 0
    assert changed_lines(start, path.read_text()) == [
        "+  order:",
        '+    canary: {tag: "2.5.0", weight: 25}',
    ]
    assert fleet("rollback", "order", "--city", "bandung", envs=envs) == 0
    assert path.read_text() == start
    assert fleet("rollback", "payment", "--city", "bandung", envs=envs) == 0
    # payment back on fleet.yaml's tag: nothing city-specific is left, so the block goes, comment and all.
    assert path.read_text() == original


def test_full_release_records_the_rollback_target(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jakarta = (envs / "jakarta.yaml").read_text()
    assert main(["synth", "--envs", str(envs), "--out", str(envs.parent / "dist")]) == 0
    capsys.readouterr()
    assert fleet("release", "catalog", "1.21.0", "--city", "jakarta", "--gated", envs=envs) == 0
    out = capsys.readouterr().out
    rendered = [line.strip() for line in out.splitlines() if "/dist/" in line and ": changed " in line]
    deployment = next(line for line in rendered if "dist/jakarta: changed Deployment shop/catalog: " in line)
    assert deployment.endswith("spec.template.spec.containers[catalog].image"), deployment
    assert all("dist/jakarta:" in line for line in rendered), rendered
    assert "catalog in jakarta: stable 1.20.1 -> 1.21.0 (rollback target 1.20.1)" in out
    assert '+    tag: "1.21.0"' in out
    assert changed_lines(jakarta, (envs / "jakarta.yaml").read_text()) == [
        "+services:",
        "+  catalog:",
        '+    tag: "1.21.0"',
        '+    previous_tag: "1.20.1"',
    ]
    assert (envs.parent / "dist" / "fleet").is_dir()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["release", "order", "latest", "--city", "bandung"], "'latest' is not deployable"),
        (["release", "order", "2.5.0", "--city", "bandung", "--canary", "51"], "weight 51 is outside 0-50"),
        (["release", "order", "2.5.0", "--city", "bandung", "--canary", "-1"], "weight -1 is outside 0-50"),
        (["release", "ordr", "2.5.0", "--city", "bandung"], "unknown service 'ordr'; did you mean 'order'?"),
        (["release", "order", "2.5.0", "--city", "bandug"], "unknown city 'bandug'; did you mean 'bandung'?"),
        (["release", "order", "2.4.0", "--city", "bandung"], "order already runs 2.4.0 in bandung"),
        (["promote", "order", "--city", "bandung"], "order has no canary in bandung"),
        (["rollback", "order", "--city", "bandung"], "has no canary and no previous_tag"),
    ],
    ids=[
        "latest",
        "weight-high",
        "weight-negative",
        "unknown-service",
        "unknown-city",
        "same-tag",
        "no-canary",
        "nothing-to-roll-back",
    ],
)
def test_bad_arguments_are_named_errors_and_write_nothing(
    args: list[str], message: str, envs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = read_tree(envs)
    assert fleet(*args, envs=envs) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "nothing was written" in err
    assert read_tree(envs) == before
    assert not (envs.parent / "dist").exists()


def test_an_edit_the_fleet_rejects_writes_nothing(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Validation runs on the whole fleet with the edit applied: a broken sibling file stops it too."""
    (envs / "surabaya.yaml").write_text((envs / "surabaya.yaml").read_text() + "surprise: 1\n")
    before = read_tree(envs)
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--canary", "5", envs=envs) == 2
    assert "unknown key 'surprise'" in capsys.readouterr().err
    assert read_tree(envs) == before


@pytest.mark.parametrize("name", sorted(p.name for p in ENVS.glob("*.yaml")))
def test_every_envs_file_survives_the_editor_unchanged(name: str) -> None:
    """Loading and dumping with the editor's settings gives back the same bytes, so edits touch only their lines."""
    text = (ENVS / name).read_text()
    editor = round_trip_yaml()
    buffer = io.StringIO()
    editor.dump(editor.load(text), buffer)
    assert buffer.getvalue() == text


DIGEST = "sha256:" + "ab" * 32
NEXT_DIGEST = "sha256:" + "cd" * 32


def error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_releasing_to_the_gated_city_needs_the_gated_flag(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = read_tree(envs)
    assert fleet("release", "catalog", "1.21.0", "--city", "jakarta", envs=envs) == 2
    assert error_lines(capsys) == [
        "error: command line: --gated: jakarta is the gated city: it takes a release only after every other city "
        "and a release manager's approval; pass --gated to release it",
        "nothing was written: 1 problem on the command line",
    ]
    assert read_tree(envs) == before
    # The flag names the city's role, not a place: after a failover the gate, and the flag, move with the primary.
    assert fleet("release", "catalog", "1.21.0", "--city", "surabaya", "--gated", envs=envs) == 0


@pytest.mark.parametrize("canary", [["--canary", "20"], []], ids=["new-canary", "full-release"])
def test_releasing_over_a_live_canary_needs_replace_canary(
    canary: list[str], envs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--canary", "10", envs=envs) == 0
    capsys.readouterr()
    live = read_tree(envs)
    assert fleet("release", "order", "2.6.0", "--city", "bandung", *canary, envs=envs) == 2
    assert error_lines(capsys) == [
        "error: command line: --replace-canary: order in bandung has a live canary 2.5.0 at 10%; promote it or "
        "roll it back first, or pass --replace-canary to withdraw it in this release",
        "nothing was written: 1 problem on the command line",
    ]
    assert read_tree(envs) == live
    assert fleet("release", "order", "2.6.0", "--city", "bandung", *canary, "--replace-canary", envs=envs) == 0
    replaced = (envs / "bandung.yaml").read_text()
    assert "2.5.0" not in replaced and "2.6.0" in replaced


def test_a_digest_follows_the_release_through_promotion_and_rollback(envs: Path) -> None:
    """Deploy by digest: the scanned digest pins the canary, moves to stable on promotion, and a rollback
    returns to the digest that ran before."""
    original = (envs / "bandung.yaml").read_text()
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--canary", "10", "--digest", DIGEST, envs=envs) == 0
    canary = (envs / "bandung.yaml").read_text()
    assert changed_lines(original, canary) == [
        "+services:",
        "+  order:",
        f'+    canary: {{tag: "2.5.0", weight: 10, digest: "{DIGEST}"}}',
    ]
    images = deployment_images(envs.parent / "dist", "bandung")
    assert images["order-canary"] == f"ghcr.io/nusantaramart/order@{DIGEST}"
    assert images["order"] == "ghcr.io/nusantaramart/order:2.4.0"
    assert fleet("promote", "order", "--city", "bandung", envs=envs) == 0
    promoted = (envs / "bandung.yaml").read_text()
    assert changed_lines(canary, promoted) == [
        f'-    canary: {{tag: "2.5.0", weight: 10, digest: "{DIGEST}"}}',
        '+    tag: "2.5.0"',
        f'+    digest: "{DIGEST}"',
        '+    previous_tag: "2.4.0"',
    ]
    assert deployment_images(envs.parent / "dist", "bandung")["order"] == f"ghcr.io/nusantaramart/order@{DIGEST}"
    assert fleet("release", "order", "2.6.0", "--city", "bandung", "--digest", NEXT_DIGEST, envs=envs) == 0
    assert changed_lines(promoted, (envs / "bandung.yaml").read_text()) == [
        '-    tag: "2.5.0"',
        f'-    digest: "{DIGEST}"',
        '-    previous_tag: "2.4.0"',
        '+    tag: "2.6.0"',
        f'+    digest: "{NEXT_DIGEST}"',
        '+    previous_tag: "2.5.0"',
        f'+    previous_digest: "{DIGEST}"',
    ]
    assert fleet("rollback", "order", "--city", "bandung", envs=envs) == 0
    # Back on 2.5.0 by its digest; the history is one step deep, so 2.4.0 is no longer a rollback target.
    assert changed_lines(promoted, (envs / "bandung.yaml").read_text()) == ['-    previous_tag: "2.4.0"']
    assert deployment_images(envs.parent / "dist", "bandung")["order"] == f"ghcr.io/nusantaramart/order@{DIGEST}"


def deployment_images(out: Path, city: str) -> dict[str, str]:
    return {
        name: doc["spec"]["template"]["spec"]["containers"][0]["image"]
        for (kind, name), doc in city_docs(out, city).items()
        if kind == "Deployment"
    }


def test_a_digest_that_is_not_one_is_refused(envs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert fleet("release", "order", "2.5.0", "--city", "bandung", "--digest", "sha256:abc", envs=envs) == 2
    assert error_lines(capsys) == [
        "error: command line: --digest: 'sha256:abc' is not an image digest: give `sha256:` and 64 lowercase hex "
        "digits",
        "nothing was written: 1 problem on the command line",
    ]


@pytest.mark.parametrize(
    ("setup", "args", "summary"),
    [
        (
            [],
            ["release", "order", "2.5.0", "--city", "bandung", "--canary", "10"],
            "canary none -> 2.5.0 at 10% (stable 2.4.0)",
        ),
        (
            [["release", "order", "2.5.0", "--city", "bandung", "--canary", "10"]],
            ["promote", "order", "--city", "bandung"],
            "canary 2.5.0 promoted to stable (was 2.4.0)",
        ),
        (
            [["release", "order", "2.5.0", "--city", "bandung", "--canary", "10"]],
            ["rollback", "order", "--city", "bandung"],
            "canary 2.5.0 withdrawn (stable stays 2.4.0)",
        ),
    ],
    ids=["release", "promote", "rollback"],
)
def test_dry_run_prints_the_change_and_writes_nothing(
    setup: list[list[str]], args: list[str], summary: str, envs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = envs.parent / "dist"
    assert main(["synth", "--envs", str(envs), "--out", str(dist)]) == 0
    for step in setup:
        assert fleet(*step, envs=envs) == 0
    capsys.readouterr()
    before, rendered = read_tree(envs), read_tree(dist)
    assert fleet(*args, "--dry-run", envs=envs) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"order in bandung: {summary}"
    assert out[1:3] == [f"--- {envs}/bandung.yaml", f"+++ {envs}/bandung.yaml"]
    assert any(line.startswith(f"  {dist}/bandung: ") and "Deployment shop/order-canary" in line for line in out), out
    assert out[-1] == f"dry run: {envs}/bandung.yaml and {dist}/ were not written"
    assert (read_tree(envs), read_tree(dist)) == (before, rendered)
