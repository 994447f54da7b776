"""The GitHub workflows pass actionlint, pin every action to a commit, and keep the release order."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")
PINNED = re.compile(r"^\s*-?\s*uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*$")


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", "-oneline", *map(str, paths)], capture_output=True, text=True, cwd=ROOT
    )


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def test_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {"ci.yml", "pr-diff.yml", "release.yml"} <= {f.name for f in files}
    result = actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert "missing" in result.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    uses = [line for line in (WORKFLOWS / name).read_text().splitlines() if re.match(r"^\s*-?\s*uses: ", line)]
    remote = [line for line in uses if "uses: ./" not in line]
    unpinned = [line.strip() for line in remote if not PINNED.match(line)]
    assert unpinned == []


def test_release_pipeline_runs_in_the_designed_order() -> None:
    jobs = load("release.yml")["jobs"]
    chain = ["test", "build", "scan", "policy", "bandung", "surabaya", "jakarta"]
    for before, job in itertools.pairwise(chain):
        assert jobs[job]["needs"] == before, job
    assert jobs["jakarta"]["environment"] == "production-main"
    assert jobs["rollback"]["if"] == "failure()"
    assert jobs["rollback"]["needs"] == ["bandung", "surabaya", "jakarta"]
    scan = next(step for step in jobs["scan"]["steps"] if "trivy" in step.get("uses", ""))
    assert (scan["with"]["severity"], scan["with"]["exit-code"]) == ("CRITICAL,HIGH", "1")
    script = "\n".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    assert 'fleet release "$SERVICE" "$TAG" --city bandung --canary "$CANARY_WEIGHT"' in script
    assert 'fleet promote "$SERVICE" --city bandung' in script
    assert 'fleet rollback "$SERVICE" --city "$city"' in script


def test_ci_fails_on_a_stale_dist_and_runs_the_gate() -> None:
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "git diff --exit-code -- dist/" in script
    assert "fleet validate dist" in script
    assert load("ci.yml")["jobs"]["policy"]["uses"] == "./.github/workflows/policy.yml"


def test_pr_diff_posts_a_sticky_comment_and_a_job_summary() -> None:
    steps = load("pr-diff.yml")["jobs"]["diff"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "fleet diff" in script and "--output markdown" in script
    assert "GITHUB_STEP_SUMMARY" in script
    sticky = next(step for step in steps if "sticky-pull-request-comment" in step.get("uses", ""))
    assert sticky["with"]["header"] == "fleet-diff"
