"""Every rule in policy/ is proven: its deny fixture makes exactly it fire, with its message; its allow passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nusantara_fleet.validate.documents import load_documents
from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.policy import Policies
from tests.validate.support import FIXTURES, POLICY

POLICIES = Policies(POLICY)
RULES = {rule.name: rule for rule in POLICIES.rules}


def findings(case: Path) -> list[Finding]:
    return POLICIES.evaluate(load_documents(case))


def test_every_rule_has_a_deny_and_an_allow_fixture() -> None:
    missing = [
        f"{rule.qualified} ({rule.file}:{rule.line}) needs policy/fixtures/{name}/{part}"
        for name, rule in RULES.items()
        for part in ("deny", "allow", "expected.txt")
        if not (FIXTURES / name / part).exists()
    ]
    assert not missing, "\n".join(missing)


def test_every_fixture_belongs_to_a_rule() -> None:
    strays = sorted(path.name for path in FIXTURES.iterdir() if path.name not in RULES)
    assert not strays, f"fixtures for rules that do not exist: {strays}"


def test_rule_names_are_unique_across_packages() -> None:
    assert len(RULES) == len(POLICIES.rules), "fixtures are keyed by rule name; a name may be used once"


@pytest.mark.parametrize("name", sorted(RULES))
def test_deny_fixture_fires_exactly_its_rule(name: str) -> None:
    found = findings(FIXTURES / name / "deny")
    expected = (FIXTURES / name / "expected.txt").read_text().splitlines()
    assert {finding.rule for finding in found} == {RULES[name].qualified}
    assert sorted(finding.message for finding in found) == expected


@pytest.mark.parametrize("name", sorted(RULES))
def test_allow_fixture_passes_every_rule(name: str) -> None:
    assert findings(FIXTURES / name / "allow") == []


def test_warnings_and_failures_follow_conftest_names() -> None:
    assert RULES["warn_ingress_nginx"].severity == "warning"
    assert RULES["deny_privilege_escalation"].severity == "failure"


def test_every_definition_of_every_rule_fires_on_its_deny_fixture() -> None:
    """A rule with several bodies (`deny_x contains msg if {…}` twice) is proven only if each one fires."""
    policies = Policies(POLICY)
    policies.engine.set_enable_coverage(True)
    for name in RULES:
        policies.evaluate(load_documents(FIXTURES / name / "deny"))
    report = json.loads(policies.engine.get_coverage_report_as_json())
    covered = {(entry["path"], line) for entry in report["files"] for line in entry["covered"]}
    heads = [
        (module["source"]["file"], rule["Spec"]["head"]["Set"]["span"]["line"], name)
        for module in json.loads(policies.engine.get_ast_as_json())
        for rule in module["ast"]["rules"]
        if "Set" in rule.get("Spec", {}).get("head", {})
        and (name := rule["Spec"]["head"]["Set"]["refr"].get("Var", {}).get("value")) in RULES
    ]
    assert len(heads) > len(RULES)  # some rules have several definitions
    silent = [f"{file}:{line} ({name})" for file, line, name in heads if (file, line) not in covered]
    assert not silent, f"definitions no deny fixture makes fire: {silent}"
