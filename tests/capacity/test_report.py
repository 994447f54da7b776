"""`fleet plan`: the table, JSON and markdown reports, and its exit codes (0 fits, 1 short, 2 unusable input)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nusantara_fleet import plan as report
from nusantara_fleet.cli import main
from nusantara_fleet.model import load_fleet
from tests.support import ENVS, ROOT, edit_yaml

README_PLAN = "```\n$ fleet plan\n"

SHORT_LINE = (
    "bandung general pool, jakarta lost: memory limits: 23.12 GiB needed, 18.00 GiB available "
    "(26 pods on 3 medium nodes); add general nodes (3 now)"
)


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def short(envs: Path) -> Path:
    """The default envs/ with a Bandung too small to take Jakarta's users."""
    edit_yaml(envs / "bandung.yaml", lambda city: city.update(node_pools={"general": {"nodes": 3}}))
    return envs


def test_the_table_of_the_default_fleet_fits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _plan(capsys, "--envs", str(ENVS))
    lines = out.splitlines()
    assert (code, err) == (0, "")
    assert lines[:2] == [
        "capacity plan: design capacity 3,900-4,500 RPS (peak 3,000 RPS + 30-50 % headroom), sized for 4,500 RPS",
        "a lost city's users go to: bandung -> jakarta, surabaya -> jakarta, jakarta -> bandung",
    ]
    assert lines[3].split() == [
        "city",
        "subject",
        "scenario",
        "check",
        "needed",
        "available",
        "use",
        "verdict",
        "detail",
    ]
    assert lines[4].split() == [
        "bandung", "general", "pool", "normal,", "or", "surabaya", "lost", "cpu", "requests", "7.27", "vCPU",
        "37.50", "vCPU", "19", "%", "fits", "17", "pods", "on", "5", "medium", "nodes",
    ]  # fmt: skip
    assert lines[-1] == "every line fits (50 lines)"


def test_a_line_that_does_not_fit_exits_1_and_is_listed_last(capsys: pytest.CaptureFixture[str], short: Path) -> None:
    code, out, _ = _plan(capsys, "--envs", str(short))
    lines = out.splitlines()
    assert code == 1
    assert lines[-3:] == [
        "2 of 50 lines do not fit",
        "  SHORT bandung general pool, jakarta lost: cpu limits: 23.20 vCPU needed, 22.50 vCPU available "
        "(26 pods on 3 medium nodes); add general nodes (3 now)",
        f"  SHORT {SHORT_LINE}",
    ]


def test_json_holds_every_line_with_its_figures_and_fix(capsys: pytest.CaptureFixture[str], short: Path) -> None:
    code, out, _ = _plan(capsys, "--envs", str(short), "--output", "json")
    report = json.loads(out)
    assert code == 1
    assert report["fits"] is False
    assert report["design"] == {"band_rps": [3900, 4500], "headroom_pct": [30, 50], "peak_rps": 3000}
    assert report["routing"] == {"bandung": "jakarta", "jakarta": "bandung", "surabaya": "jakarta"}
    assert len(report["lines"]) == 50 and len(report["notes"]) == 4
    short_lines = [line for line in report["lines"] if not line["fits"]]
    assert short_lines[1] == {
        "available": 18.0,
        "check": "memory limits",
        "city": "bandung",
        "detail": "26 pods on 3 medium nodes",
        "fits": False,
        "fix": {"advice": "add general nodes (3 now)", "city": "bandung", "field": "node_pools.general.nodes"},
        "needed": 23.125,
        "scenario": "jakarta lost",
        "scenarios": ["jakarta lost"],
        "subject": "general pool",
        "unit": "GiB",
    }


def test_markdown_leads_with_the_verdict_and_the_lines_that_do_not_fit(
    capsys: pytest.CaptureFixture[str], short: Path
) -> None:
    code, out, _ = _plan(capsys, "--envs", str(short), "--output", "markdown")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "### Capacity plan: 2 of 50 lines do not fit"
    table = lines.index("**Lines that do not fit**") + 2
    assert lines[table] == "| city | subject | scenario | check | needed | available | use | verdict | detail |"
    assert lines[table + 3] == (
        "| bandung | general pool | jakarta lost | memory limits | 23.12 GiB | 18.00 GiB | 128 % | **short** "
        "| 26 pods on 3 medium nodes |"
    )
    assert "- bandung: add general nodes (3 now)" in lines
    assert "<details><summary>Every line</summary>" in lines


def test_the_markdown_of_a_fitting_fleet_folds_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _plan(capsys, "--envs", str(ENVS), "--output", "markdown")
    assert code == 0
    assert out.startswith("### Capacity plan: every line fits (50 lines)\n\nDesign capacity 3,900-4,500 RPS")
    assert "**Lines that do not fit**" not in out


def test_unusable_envs_exit_2_with_the_problem_and_json_errors(capsys: pytest.CaptureFixture[str], envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["bandwidth"].update(database_mpbs=50))
    code, out, err = _plan(capsys, "--envs", str(envs), "--output", "json")
    assert code == 2
    (error,) = json.loads(out)["errors"]
    assert (error["field"], error["message"]) == (
        "bandwidth.database_mpbs",
        "unknown key 'database_mpbs'; did you mean 'database_mbps'? allowed keys: application_mbps, database_mbps",
    )
    assert err.splitlines()[-1].startswith("nothing was planned: 1 problem in ")


def test_snapshot_of_the_default_plan_in_the_readme() -> None:
    """The README's plan is the real one; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites it."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start = text.index(README_PLAN) + len(README_PLAN)
    end = text.index("```", start)
    plan = report.text(load_fleet(ENVS).capacity)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        readme.write_text(text[:start] + plan + text[end:])
    elif text[start:end] != plan:
        pytest.fail("README.md's default plan differs from `fleet plan`; review, then run `make snapshots`")
