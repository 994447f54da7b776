from __future__ import annotations

import json

import pytest

from nusantara_fleet.validate import report
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import FLEET_FILE, Finding
from nusantara_fleet.validate.run import Report

DOCS = [
    Document("dist/bandung/Deployment.web.k8s.yaml", 0, {"apiVersion": "apps/v1", "kind": "Deployment"}),
    Document("dist/jakarta/Deployment.web.k8s.yaml", 0, {"apiVersion": "apps/v1", "kind": "Deployment"}),
]
SECONDS = {"load": 0.01, "policy": 0.02, "cross-object": 0.01, "schema": 0.02, "total": 0.06}
FAIL = Finding("dist/jakarta/Deployment.web.k8s.yaml", "main.deny_probes", "Deployment/web: no probe, ok")
WARN = Finding("dist/bandung/Deployment.web.k8s.yaml", "main.warn_x", "old: 50%", "warning")
FLEET = Finding(FLEET_FILE, "fleet.deny_primary_city", "two primaries")


def make(*findings: Finding) -> Report:
    return Report(
        documents=DOCS, findings=sorted(findings), rules={"schema": 1, "main": 2, "fleet": 1}, seconds=SECONDS
    )


@pytest.mark.parametrize(
    ("findings", "fail_on_warn", "code"),
    [
        ((), False, 0),
        ((WARN,), False, 0),
        ((FAIL, WARN), False, 1),
        ((), True, 0),
        ((WARN,), True, 1),
        ((FAIL, WARN), True, 2),
    ],
    ids=["clean", "warning", "failure", "clean-strict", "warning-strict", "failure-strict"],
)
def test_exit_codes_follow_conftest(findings: tuple[Finding, ...], fail_on_warn: bool, code: int) -> None:
    assert make(*findings).exit_code(fail_on_warn=fail_on_warn) == code


def test_human_output_groups_by_city_then_file_then_rule() -> None:
    assert report.human(make(FAIL, WARN, FLEET)).splitlines() == [
        "bandung",
        "  dist/bandung/Deployment.web.k8s.yaml",
        "    WARN main.warn_x: old: 50%",
        "fleet-wide",
        "  Combined",
        "    FAIL fleet.deny_primary_city: two primaries",
        "jakarta",
        "  dist/jakarta/Deployment.web.k8s.yaml",
        "    FAIL main.deny_probes: Deployment/web: no probe, ok",
        "",
        "2 documents, 1 kinds, 4 rules: 2 failures, 1 warnings, 0 exceptions in 0.06 s "
        "(load 0.01 s, policy 0.02 s, cross-object 0.01 s, schema +0.02 s)",
    ]


def test_json_output_has_conftest_entries_per_file_and_namespace() -> None:
    data = json.loads(report.as_json(make(FAIL, FLEET)))
    by_key = {(entry["filename"], entry["namespace"]): entry for entry in data["results"]}
    assert by_key[("dist/jakarta/Deployment.web.k8s.yaml", "main")] == {
        "filename": "dist/jakarta/Deployment.web.k8s.yaml",
        "namespace": "main",
        "successes": 1,
        "failures": [
            {"msg": "Deployment/web: no probe, ok", "metadata": {"layer": "policy", "rule": "main.deny_probes"}}
        ],
    }
    assert by_key[("dist/bandung/Deployment.web.k8s.yaml", "schema")] == {
        "filename": "dist/bandung/Deployment.web.k8s.yaml",
        "namespace": "schema",
        "successes": 1,
    }
    assert by_key[(FLEET_FILE, "fleet")]["successes"] == 0
    assert data["summary"]["failures"] == 2


def test_github_annotations_escape_what_github_would_misread() -> None:
    assert report.github(make(FAIL, WARN, FLEET)).splitlines()[:3] == [
        "::error title=fleet.deny_primary_city::two primaries",
        "::warning file=dist/bandung/Deployment.web.k8s.yaml,line=1,title=main.warn_x::old: 50%25",
        "::error file=dist/jakarta/Deployment.web.k8s.yaml,line=1,title=main.deny_probes::Deployment/web: no probe, ok",
    ]
