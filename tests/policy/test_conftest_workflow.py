"""The conftest job runs the official release, pinned, on dist/ per document and combined, and on every fixture."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.support import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "policy.yml"


def job() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    conftest: dict[str, Any] = data["jobs"]["conftest"]
    return conftest


def commands() -> str:
    return "\n".join(step.get("run", "") for step in job()["steps"])


def test_the_release_is_pinned_by_version_and_checksum() -> None:
    env = job()["env"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", env["CONFTEST_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", env["CONFTEST_SHA256"])
    run = commands()
    assert "github.com/open-policy-agent/conftest/releases/download/v${CONFTEST_VERSION}/" in run
    assert "sha256sum --check --strict" in run


def test_dist_is_judged_per_document_and_combined() -> None:
    run = commands()
    assert "conftest test --all-namespaces --policy policy --output github dist/" in run
    assert "conftest test --combine --namespace fleet --policy policy --output github dist/" in run


def test_every_fixture_is_judged_by_conftest_too() -> None:
    run = commands()
    assert "for case in policy/fixtures/*/" in run
    assert '"$case/expected.txt"' in run
    assert '"$case/allow"' in run


def test_ci_calls_it_on_every_push_and_pull_request() -> None:
    policy: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    ci: dict[Any, Any] = yaml.safe_load((WORKFLOW.parent / "ci.yml").read_text())
    assert "workflow_call" in policy[True]  # YAML 1.1 reads the key `on` as True
    assert {"push", "pull_request"} <= set(ci[True])
    assert ci["jobs"]["policy"]["uses"] == "./.github/workflows/policy.yml"
