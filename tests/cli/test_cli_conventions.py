"""`fleet` behaves like a conventional command line: version, help with examples, exit codes, pipes,
JSON errors, defaults found from anywhere in the repository, bounded --jobs."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import synth
from nusantara_fleet.cli import EXIT_CODES, build_parser, main
from nusantara_fleet.model import load_fleet
from tests.support import ENVS, ROOT
from tests.validate.support import POLICY, fixture_dir


def _subcommands() -> list[str]:
    """Every command of the parser, so a new one is held to the same help conventions."""
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(commands.choices)


SUBCOMMANDS = _subcommands()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def exits(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int | str | None, str, str]:
    """Run a command line argparse ends itself (help, version, usage errors)."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    return caught.value.code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert exits(capsys, "--version") == (0, f"fleet {version('nusantara-fleet')}\n", "")


def test_top_level_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = exits(capsys, "--help")
    assert code == 0
    assert EXIT_CODES in out
    assert "\n  0    success\n  1    findings: `fleet validate`" in out
    assert "  2    the command could not run: bad arguments, invalid envs/" in out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_command_has_a_description_and_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = exits(capsys, command, "--help")
    assert code == 0
    paragraphs = out.split("\n\n")
    assert paragraphs[0].startswith(f"usage: fleet {command} ")
    description = paragraphs[1].splitlines()[0]
    assert description[0].isupper() and description.endswith("."), description
    examples = out.split("\nexamples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith(f"  fleet {command}") for line in examples), examples


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "must be 1 or more (got 0)"), ("-3", "must be 1 or more (got -3)"), ("two", "'two' is not a whole number")],
)
def test_jobs_below_one_is_a_usage_error(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    code, out, err = exits(capsys, "synth", "--jobs", value)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"fleet synth: error: argument --jobs: {message}"


class Spawned(Exception):
    pass


@pytest.mark.parametrize(("cores", "workers"), [(64, 4), (3, 3)], ids=["bounded-by-charts", "bounded-by-cores"])
def test_jobs_are_capped_by_charts_and_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cores: int, workers: int
) -> None:
    """Three cities and the fleet-wide chart: never more than four processes, nor more than the cores."""

    def pool(*, max_workers: int, **_: Any) -> None:
        raise Spawned(max_workers)

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(synth, "ProcessPoolExecutor", pool)
    with pytest.raises(Spawned) as caught:
        synth.render_to(load_fleet(ENVS), tmp_path, jobs=99)
    assert caught.value.args == (workers,)


def test_exit_1_is_for_findings_and_2_for_input_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = ("--policy", str(POLICY))
    assert run(capsys, "validate", str(fixture_dir("deny_missing_pdb", "allow")), *policy)[0] == 0
    assert run(capsys, "validate", str(fixture_dir("deny_host_path", "deny")), *policy)[0] == 1
    assert run(capsys, "validate", str(fixture_dir("warn_ingress_nginx", "deny")), *policy, "--fail-on-warn")[0] == 1
    assert run(capsys, "validate", str(tmp_path / "nowhere"), *policy)[0] == 2
    code, _, err = run(capsys, "synth", "--envs", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert (code, err.splitlines()[-2]) == (
        2,
        "error: nowhere/fleet.yaml: fleet.yaml not found; the envs directory needs one",
    )


def test_a_system_error_names_the_path_without_a_traceback(capsys: pytest.CaptureFixture[str], envs: Path) -> None:
    shutil.rmtree(envs / "schema")
    (envs / "schema").write_text("not a directory\n")
    code, _, err = run(capsys, "schema", "--envs", str(envs))
    assert code == 2
    assert err.splitlines() == [f"error: {envs}/schema: File exists", "nothing was written"]


def test_an_input_error_is_json_under_output_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, out, err = run(capsys, "validate", str(missing), "--policy", str(POLICY), "--output", "json")
    assert code == 2
    message = "no such directory; run `fleet synth` first"
    assert json.loads(out) == {"errors": [{"file": str(missing), "line": None, "field": "", "message": message}]}
    assert err.splitlines() == [f"error: {missing}: {message}", f"nothing was checked: 1 problem in {missing}"]


def test_a_policy_error_is_json_under_output_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "no-policy"
    tree = str(fixture_dir("deny_missing_pdb", "allow"))
    code, out, err = run(capsys, "validate", tree, "--policy", str(policy), "-o", "json")
    assert code == 2
    message = f"{policy}: no such policy directory"
    assert json.loads(out) == {"errors": [{"file": None, "line": None, "field": "", "message": message}]}
    assert err.splitlines() == [f"error: {message}", "nothing was checked"]


def test_the_closing_line_says_what_failed(capsys: pytest.CaptureFixture[str], envs: Path) -> None:
    out = str(envs.parent / "dist")
    code, _, err = run(capsys, "release", "order", "2.5.0", "--city", "atlantis", "--envs", str(envs), "--out", out)
    assert code == 2
    assert err.splitlines()[-1] == "nothing was written: 1 problem on the command line"
    for path in sorted(envs.glob("*.yaml")):
        path.write_text("services: [\n")
    code, _, err = run(capsys, "synth", "--envs", str(envs), "--out", out)
    assert code == 2
    assert err.splitlines()[-1] == (
        "nothing was written: 4 problems in envs/bandung.yaml, envs/fleet.yaml, envs/jakarta.yaml and 1 more file"
    )
    assert "config" not in err.splitlines()[-1]


def test_output_into_a_closed_pipe_exits_quietly() -> None:
    """`fleet validate | head -0`: the reader is gone before fleet writes; no traceback, SIGPIPE's code."""
    tree = str(fixture_dir("deny_missing_pdb", "allow"))
    process = subprocess.Popen(
        [sys.executable, "-m", "nusantara_fleet.cli", "validate", tree, "--policy", str(POLICY)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait() == 141
    assert process.stderr.read() == b""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repository with envs/, a folder two levels down to run fleet from and, between them, an example
    envs/ in the docs that must not be taken for the project's."""
    root = tmp_path / "repo"
    shutil.copytree(ENVS, root / "envs")
    shutil.copytree(ENVS, root / "docs" / "envs")
    (root / "docs" / "runbooks").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_from_a_subdirectory_the_defaults_are_the_repository_roots(
    checkout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(checkout / "docs" / "runbooks")
    code, out, err = run(capsys, "synth")
    assert code == 0
    assert err.startswith("loading ../../envs/\n")
    assert "files to ../../dist/ in " in out.splitlines()[-1]
    assert (checkout / "dist" / "fleet").is_dir()
    # validate reads ../../dist (it parses), then looks for the policies at the root: there are none here
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert err.splitlines()[0] == "error: ../../policy: no such policy directory"


def test_outside_git_the_root_is_the_nearest_folder_with_envs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ENVS, tmp_path / "plain" / "envs")
    (tmp_path / "plain" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "plain" / "sub")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # even if the temp folder sat in a checkout
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert err.splitlines()[0] == "error: ../dist: no such directory; run `fleet synth` first"
