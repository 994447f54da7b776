"""The cross-object layer: each rule's deny fixture makes exactly it fire, with its messages; its allow passes;
the committed dist/ holds only the findings reported as defects, and the gate reports the layer like the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.validate import cross_object
from nusantara_fleet.validate.documents import load_documents
from nusantara_fleet.validate.findings import Finding
from tests.validate.support import POLICY

FIXTURES = Path(__file__).parent / "reference_fixtures"


def findings(case: Path) -> list[Finding]:
    return cross_object.check(load_documents(case))


def test_every_rule_has_a_deny_and_an_allow_fixture_and_nothing_else() -> None:
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(cross_object.RULES)
    missing = [
        f"{rule}/{part}"
        for rule in cross_object.RULES
        for part in ("deny", "allow", "expected.txt")
        if not (FIXTURES / rule / part).exists()
    ]
    assert not missing


@pytest.mark.parametrize("rule", cross_object.RULES)
def test_deny_fixture_fires_exactly_its_rule(rule: str) -> None:
    found = findings(FIXTURES / rule / "deny")
    assert {finding.rule for finding in found} == {rule}
    assert sorted(finding.message for finding in found) == (FIXTURES / rule / "expected.txt").read_text().splitlines()


@pytest.mark.parametrize("rule", cross_object.RULES)
def test_allow_fixture_passes_every_rule(rule: str) -> None:
    assert findings(FIXTURES / rule / "allow") == []


def test_an_app_needing_a_city_rolled_out_later_is_the_known_first_rollout_warning() -> None:
    late = [f for f in findings(FIXTURES / "order.wave" / "deny") if "first rollout" in f.message]
    assert [(f.severity, f.layer) for f in late] == [("warning", "cross-object")]
    assert {f.severity for f in findings(FIXTURES / "order.wave" / "deny") if f not in late} == {"failure"}


def test_the_gate_reports_the_layer_like_the_others_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    tree = FIXTURES / "refs.backend" / "deny"
    ingress = f"{tree}/bandung/Ingress.edge.yaml"
    message = "Ingress/edge: backend Service/gateway is not in namespace shop"

    def run(output: str) -> tuple[int, str]:
        code = main(["validate", str(tree), "--policy", str(POLICY), "--output", output])
        return code, capsys.readouterr().out

    code, human = run("human")
    lines = human.splitlines()
    assert code == 1
    start = lines.index(f"  {ingress}") + 1
    block = lines[start : next(i for i in range(start, len(lines)) if not lines[i].startswith("    "))]
    assert f"    FAIL refs.backend: {message}" in block
    code, out = run("json")
    entry = next(e for e in json.loads(out)["results"] if e["filename"] == ingress and e["namespace"] == "refs")
    assert {"msg": message, "metadata": {"layer": "cross-object", "rule": "refs.backend"}} in entry["failures"]
    assert entry["successes"] == len([rule for rule in cross_object.RULES if rule.startswith("refs.")]) - 1
    code, out = run("github")
    assert f"::error file={ingress},line=1,title=refs.backend::{message}" in out.splitlines()
