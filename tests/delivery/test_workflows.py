"""The GitHub workflows pass actionlint, pin every action to a commit, and follow the release flow of envs/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.cli import main
from tests.delivery.test_rollout import FLEETS, github_outputs
from tests.support import ROOT, Edit, variant_envs

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


PLAN = re.compile(r"^\$\{\{ needs\.plan\.outputs\.(\w+) \}\}$")


def plan_output(expression: str, outputs: dict[str, str]) -> str:
    match = PLAN.match(expression)
    assert match, expression
    return outputs[match.group(1)]


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_no_workflow_names_a_city() -> None:
    cities = {path.stem for path in (ROOT / "envs").glob("*.yaml") if path.stem != "fleet"} | {"medan"}
    for path in [*WORKFLOWS.glob("*.yml"), WORKFLOWS.parent / "dependabot.yml"]:
        text = path.read_text().lower()
        assert [city for city in sorted(cities) if city in text] == [], path.name


@pytest.mark.parametrize(("edits", "expected"), [f[1:] for f in FLEETS], ids=[f[0] for f in FLEETS])
def test_the_release_workflow_follows_the_flow_of_any_fleet(
    edits: list[Edit], expected: tuple[str, list[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run the workflow's job graph on `fleet rollout`'s outputs: which city each job changes, in which order."""
    canary_city, branch_cities, gated_city = expected
    assert main(["rollout", "--output", "github", "--envs", str(variant_envs(tmp_path, *edits))]) == 0
    outputs = github_outputs(capsys.readouterr().out)
    jobs = load("release.yml")["jobs"]
    assert set(jobs["plan"]["outputs"]) == set(outputs)
    released = []
    canary = jobs["canary"]
    assert canary["needs"] == ["plan", "build", "policy"]
    released.append(("canary", plan_output(canary["env"]["CITY"], outputs)))
    assert 'fleet release "$SERVICE" "$TAG" --city "$CITY" --canary "$WEIGHT" --digest "$DIGEST"' in scripts(canary)
    assert 'sleep "$BAKE_SECONDS"' in scripts(canary)
    assert plan_output(canary["env"]["BAKE_SECONDS"], outputs) == "900"
    judged = scripts(canary).index('fleet canary "$SERVICE" --city "$CITY" --prometheus "$PROMETHEUS_URL"')
    assert scripts(canary).index("sleep") < judged
    promote = jobs["promote"]
    assert promote["needs"] == ["plan", "canary"]
    released.append(("promote", plan_output(promote["env"]["CITY"], outputs)))
    branches = jobs["branches"]
    assert branches["needs"] == ["plan", "build", "promote"]
    assert (branches["strategy"]["max-parallel"], branches["strategy"]["fail-fast"]) == (1, True)
    matrix = branches["strategy"]["matrix"]["include"]
    assert matrix == "${{ fromJSON(needs.plan.outputs.branches) }}"
    legs = json.loads(outputs["branches"])
    runs_branches = branches["if"] == "needs.plan.outputs.branches != '[]'" and outputs["branches"] != "[]"
    assert branches["env"]["CITY"] == "${{ matrix.city }}"
    released += [("release", leg["city"]) for leg in legs] if runs_branches else []
    gated = jobs["gated"]
    assert gated["needs"] == ["plan", "build", "promote", "branches"]
    assert plan_output(gated["environment"], outputs) == "production-main"
    released.append(("release --gated", plan_output(gated["env"]["CITY"], outputs)))
    assert '--digest "$DIGEST" --gated' in scripts(gated)
    assert released == [
        ("canary", canary_city),
        ("promote", canary_city),
        *(("release", city) for city in branch_cities),
        ("release --gated", gated_city),
    ]
    rollback = jobs["rollback"]
    assert (rollback["if"], rollback["needs"]) == ("failure()", ["plan", "canary", "promote", "branches", "gated"])
    assert outputs[PLAN.match(rollback["env"]["ROLLBACK"]).group(1)].split() == [  # type: ignore[union-attr]
        gated_city,
        *reversed(branch_cities),
        canary_city,
    ]
    assert "for city in $ROLLBACK; do" in scripts(rollback)


def test_a_rejected_approval_rolls_nothing_back_and_a_cancelled_run_withdraws_its_canary() -> None:
    jobs = load("release.yml")["jobs"]
    rollback = jobs["rollback"]
    assert rollback["env"]["REJECTED"] == (
        "${{ needs.gated.result == 'failure' && needs.gated.outputs.approved != 'true' }}"
    )
    assert jobs["gated"]["steps"][0]["run"] == 'echo "approved=true" >> "$GITHUB_OUTPUT"'
    assert all(step.get("if") == "env.REJECTED != 'true'" for step in rollback["steps"][1:])
    cancelled = jobs["cancelled"]
    assert cancelled["if"] == "cancelled()"
    assert 'fleet rollback "$SERVICE" --city "$CITY"' in scripts(cancelled)
    assert cancelled["env"]["CITY"] == "${{ needs.plan.outputs.canary_city }}"


def test_the_image_is_scanned_before_it_is_pushed_and_deployed_by_digest() -> None:
    build = load("release.yml")["jobs"]["build"]
    names = [step.get("uses", step.get("name", "")).split("@")[0] for step in build["steps"]]
    built = next(step for step in build["steps"] if "build-push-action" in step.get("uses", ""))
    assert (built["with"]["push"], built["with"]["load"]) == (False, True)
    scan = names.index("aquasecurity/trivy-action")
    assert names.index("docker/build-push-action") < scan < names.index("Push the scanned image and record its digest")
    trivy = build["steps"][scan]
    # v0.35.0, the first release after the March 2026 tag hijack; the Trivy binary pinned to a clean release.
    assert trivy["uses"] == "aquasecurity/trivy-action@57a97c7e7821a5776cebc9bb87c984fa69cba8f1"
    assert (trivy["with"]["severity"], trivy["with"]["exit-code"], trivy["with"]["version"]) == (
        "CRITICAL,HIGH",
        "1",
        "v0.69.3",
    )
    assert build["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"


def test_the_pipeline_commits_as_the_release_app_with_caches_and_dependabot() -> None:
    jobs = load("release.yml")["jobs"]
    for name in ("canary", "promote", "branches", "gated", "rollback", "cancelled"):
        steps = jobs[name]["steps"]
        token = next(step for step in steps if "create-github-app-token" in step.get("uses", ""))
        checkout = next(step for step in steps if "actions/checkout" in step.get("uses", ""))
        assert checkout["with"]["token"] == f"${{{{ steps.{token['id']}.outputs.token }}}}", name
        assert "write" not in str(jobs[name].get("permissions", {})), name
    for workflow in ("release.yml", "ci.yml", "pr-diff.yml"):
        text = (WORKFLOWS / workflow).read_text()
        assert "key: node-modules-" in text and "touch node_modules/.installed" in text, workflow
        assert "cache: pip" in text or "path: ~/.cache/pip" in text, workflow
    dependabot = yaml.safe_load((WORKFLOWS.parent / "dependabot.yml").read_text())
    assert [u["package-ecosystem"] for u in dependabot["updates"]] == ["github-actions", "pip", "npm"]


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
