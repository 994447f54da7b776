"""The policy layer: the Rego in `policy/`, run in process with regorus the way conftest runs it.

Conventions followed (conftest v0.60+, Rego v1): a rule named `deny`/`violation` (optionally `_suffix`)
is a failure, `warn…` a warning; each evaluates to a set of strings or of objects with a string `msg`.
`exception contains ["suffix", …] if …` in the same package turns that rule's results for the input into
exceptions (`""` names the bare `deny`/`violation`/`warn`). Every package but `fleet` is evaluated per
document, as `conftest test --all-namespaces` does; `fleet` is evaluated once over the combined input
`[{path, contents}]`, as `conftest test --combine --namespace fleet` does.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regorus

from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import FLEET_FILE, Finding, Severity

COMBINED_NAMESPACES = frozenset({"fleet"})
_FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")  # conftest's own patterns
_WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
_PREFIX = re.compile(r"^(deny|violation|warn)_?")

# A Rust backtrace would bury the one line of a compile error that names the file and line.
os.environ["RUST_BACKTRACE"] = "0"


class PolicyError(RuntimeError):
    """The policies do not load, or a rule returned something conftest would reject."""


@dataclass(frozen=True, order=True)
class Rule:
    """One conftest rule: a name in a package, defined at `file:line` (its first body)."""

    namespace: str
    name: str
    file: str
    line: int

    @property
    def severity(self) -> Severity:
        return "failure" if _FAILURE.match(self.name) else "warning"

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def exception_name(self) -> str:
        """How an `exception` rule names this rule: the suffix after `deny_`, or "" for a bare `deny`."""
        return _PREFIX.sub("", self.name)


def policy_files(policy_dir: Path) -> list[Path]:
    """Every `.rego` file under `policy_dir`, as conftest loads them (tests included), in a stable order."""
    if not policy_dir.is_dir():
        raise PolicyError(f"{policy_dir}: no such policy directory")
    return sorted(policy_dir.rglob("*.rego"))


class Policies:
    """The loaded policy set: one regorus engine plus the rules conftest would run."""

    def __init__(self, policy_dir: Path) -> None:
        self.engine = regorus.Engine()
        try:
            for path in policy_files(policy_dir):
                self.engine.add_policy(str(path), path.read_text(encoding="utf-8"))
        except RuntimeError as exc:
            raise PolicyError(str(exc)) from exc
        self.rules, self._exceptions = _discover(json.loads(self.engine.get_ast_as_json()))
        self._namespaces = sorted({rule.namespace for rule in self.rules})
        # One query per input for all rules of a package: regorus then computes shared helpers
        # (the fleet package's index of every object) once instead of once per rule.
        self.engine.add_policy(_GATHER_FILE, _gather_module(self._namespaces, self.rules, self._exceptions))

    @property
    def rule_counts(self) -> dict[str, int]:
        return dict(Counter(rule.namespace for rule in self.rules))

    def evaluate(self, documents: list[Document]) -> list[Finding]:
        """Every finding of every rule: per document for most packages, once over all for `fleet`."""
        findings: list[Finding] = []
        per_document = [ns for ns in self._namespaces if ns not in COMBINED_NAMESPACES]
        for doc in documents:
            self.engine.set_input(doc.body)
            for namespace in per_document:
                findings.extend(self._run(namespace, doc.path))
        combined = [ns for ns in self._namespaces if ns in COMBINED_NAMESPACES]
        if combined:
            ordered = sorted(documents, key=lambda doc: (doc.path, doc.index))
            self.engine.set_input([{"path": doc.path, "contents": doc.body} for doc in ordered])
            for namespace in combined:
                findings.extend(self._run(namespace, FLEET_FILE))
        return findings

    def _run(self, namespace: str, path: str) -> list[Finding]:
        gathered = json.loads(self.engine.eval_rule_as_json(f"data.{_GATHER_PACKAGE}.{_gather_rule(namespace)}"))
        excepted = {str(name) for names in gathered.get("exception", []) for name in names}
        findings = []
        for rule in self.rules:
            results = gathered[rule.name] if rule.namespace == namespace else []
            if not results:
                continue
            if rule.exception_name in excepted:
                query = f'data.{rule.namespace}.exception[_][_] == "{rule.exception_name}"'
                findings.append(Finding(path, rule.qualified, query, severity="exception"))
                continue
            findings.extend(
                Finding(_location(item, path), rule.qualified, _message(rule, item), rule.severity) for item in results
            )
        return findings


_GATHER_FILE = "<nusantara-fleet gather>"
_GATHER_PACKAGE = "nusantara_fleet_gather"


def _gather_rule(namespace: str) -> str:
    return "ns_" + namespace.replace(".", "_")


def _gather_module(namespaces: list[str], rules: list[Rule], exceptions: set[str]) -> str:
    """A package with one object per policy package: every conftest rule's value (and `exception`)."""
    lines = [f"package {_GATHER_PACKAGE}", ""]
    for namespace in namespaces:
        names = [rule.name for rule in rules if rule.namespace == namespace]
        if namespace in exceptions:
            names.append("exception")
        lines.append(f"{_gather_rule(namespace)} := {{")
        lines.extend(f'\t"{name}": data.{namespace}.{name},' for name in names)
        lines.extend(["}", ""])
    return "\n".join(lines)


def _message(rule: Rule, item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("msg"), str):
        return str(item["msg"])
    raise PolicyError(f'{rule.file}:{rule.line}: {rule.qualified} returned {item!r}; "msg" must be a string')


def _location(item: Any, path: str) -> str:
    """The file a result is about: its `_loc.file` when a fleet-wide rule names one (as conftest reads it)."""
    if isinstance(item, dict) and isinstance(item.get("_loc"), dict) and isinstance(item["_loc"].get("file"), str):
        return str(item["_loc"]["file"])
    return path


def _discover(modules: list[dict[str, Any]]) -> tuple[list[Rule], set[str]]:
    """conftest's rules (set rules named deny/violation/warn…) and the packages defining `exception`."""
    rules: dict[tuple[str, str], Rule] = {}
    exceptions: set[str] = set()
    for module in modules:
        file = module["source"]["file"]
        namespace = _dotted(module["ast"]["package"]["refr"])
        for entry in module["ast"]["rules"]:
            head = entry.get("Spec", {}).get("head", {})
            if "Set" not in head or "Var" not in head["Set"]["refr"]:
                continue
            name = head["Set"]["refr"]["Var"]["value"]
            if name == "exception":
                exceptions.add(namespace)
            elif _FAILURE.match(name) or _WARNING.match(name):
                line = head["Set"]["span"]["line"]
                rules.setdefault((namespace, name), Rule(namespace, name, file, line))
    return sorted(rules.values()), exceptions


def _dotted(ref: dict[str, Any]) -> str:
    """`package a.b` as regorus's AST spells it: nested RefDot nodes around a Var."""
    if "Var" in ref:
        return str(ref["Var"]["value"])
    inner = ref["RefDot"]
    return f"{_dotted(inner['refr'])}.{inner['field'][1]}"
