from __future__ import annotations

from pathlib import Path

import pytest

from nusantara_fleet.validate.documents import Document, load_documents
from nusantara_fleet.validate.findings import FLEET_FILE, Finding
from nusantara_fleet.validate.policy import Policies, PolicyError
from tests.validate.support import FIXTURES, POLICY

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "dg=="}}


def policies(tmp_path: Path, source: str) -> Policies:
    (tmp_path / "policy.rego").write_text(source)
    return Policies(tmp_path)


def test_an_exception_turns_a_rule_into_an_exception_for_that_input(tmp_path: Path) -> None:
    engine = policies(
        tmp_path,
        """package main
deny_secret contains "secret" if input.kind == "Secret"
exception contains ["secret"] if input.metadata.name == "s"
""",
    )
    excepted = Document("dist/x/a.yaml", 0, SECRET)
    other = Document("dist/x/b.yaml", 0, {**SECRET, "metadata": {"name": "t"}})
    assert engine.evaluate([excepted, other]) == [
        Finding("dist/x/a.yaml", "main.deny_secret", 'data.main.exception[_][_] == "secret"', "exception"),
        Finding("dist/x/b.yaml", "main.deny_secret", "secret", "failure"),
    ]


def test_results_may_be_objects_with_a_msg_and_a_location(tmp_path: Path) -> None:
    engine = policies(
        tmp_path,
        """package fleet
deny_x contains {"msg": "bad", "_loc": {"file": item.path, "line": 1}} if some item in input
""",
    )
    assert engine.evaluate([Document("dist/x/a.yaml", 0, SECRET)]) == [
        Finding("dist/x/a.yaml", "fleet.deny_x", "bad", "failure")
    ]


def test_a_result_without_a_string_msg_is_an_error(tmp_path: Path) -> None:
    engine = policies(tmp_path, 'package main\ndeny contains {"message": "x"} if true\n')
    with pytest.raises(PolicyError, match='"msg" must be a string'):
        engine.evaluate([Document("a.yaml", 0, SECRET)])


def test_pre_v1_syntax_is_rejected_as_conftest_does(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy\.rego"):
        policies(tmp_path, 'package main\ndeny[msg] { msg := "x" }\n')


def test_only_conftest_rule_names_are_rules(tmp_path: Path) -> None:
    engine = policies(
        tmp_path,
        """package main
deny contains "a" if false
violation_b contains "b" if false
warn_c contains "c" if false
denied contains "d" if false
helper := 1
""",
    )
    assert [rule.qualified for rule in engine.rules] == ["main.deny", "main.violation_b", "main.warn_c"]
    assert [rule.severity for rule in engine.rules] == ["failure", "failure", "warning"]


def test_the_fleet_package_reads_the_combined_input_sorted_by_path(tmp_path: Path) -> None:
    engine = policies(
        tmp_path,
        """package fleet
deny_order contains concat(",", [item.path | some item in input]) if is_array(input)
""",
    )
    docs = [Document("dist/b/x.yaml", 0, SECRET), Document("dist/a/x.yaml", 0, SECRET)]
    assert engine.evaluate(docs) == [Finding(FLEET_FILE, "fleet.deny_order", "dist/a/x.yaml,dist/b/x.yaml")]


@pytest.mark.parametrize("rule", sorted(path.name for path in FIXTURES.iterdir()))
def test_fleet_rules_stay_silent_per_document_as_under_conftest_all_namespaces(rule: str) -> None:
    """`conftest test --all-namespaces dist/` also feeds the fleet package one document at a time."""
    engine = Policies(POLICY)
    fleet_rules = [r for r in engine.rules if r.namespace == "fleet"]
    for doc in load_documents(FIXTURES / rule / "deny"):
        engine.engine.set_input(doc.body)
        for fleet_rule in fleet_rules:
            assert engine.engine.eval_rule(f"data.fleet.{fleet_rule.name}") == set(), (rule, doc.path)
