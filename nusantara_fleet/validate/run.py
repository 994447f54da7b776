"""`fleet validate`: schema, policy and cross-object layers over a rendered tree, timed per layer."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

from nusantara_fleet.validate import cross_object, schemas
from nusantara_fleet.validate.documents import Document, load_documents
from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.policy import Policies


@dataclass(frozen=True)
class Report:
    """What one run found, over how much, and how long each step took (seconds): `schema` is the wait for
    the schema layer once the policies and the cross-object layer are done, since it runs alongside them."""

    documents: list[Document]
    findings: list[Finding]
    rules: dict[str, int]  # rules per namespace (Rego package, `schema`, or a cross-object family)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def kinds(self) -> int:
        return len({(doc.api_version, doc.kind) for doc in self.documents})

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def exit_code(self, *, fail_on_warn: bool = False) -> int:
        """conftest's: 1 on any failure; with `fail_on_warn`, 1 on warnings only and 2 on failures."""
        failures, warnings = self.count("failure"), self.count("warning")
        if fail_on_warn:
            return 2 if failures else 1 if warnings else 0
        return 1 if failures else 0


def validate(dist: Path, policy_dir: Path) -> Report:
    """Check every document under `dist` against its schema, every policy in `policy_dir`, and the
    documents against each other."""
    started = time.perf_counter()
    documents = _load(dist)
    try:
        loaded = time.perf_counter()
        policies = Policies(policy_dir)  # compiled first: a policy error leaves no checker running
        finish_schemas = schemas.start(documents)  # runs alongside the policies (a fork for large trees)
        policy_findings = policies.evaluate(documents)
        evaluated = time.perf_counter()
        cross_findings = cross_object.check(documents)
        crossed = time.perf_counter()
        schema_findings = finish_schemas()
        done = time.perf_counter()
    finally:
        gc.unfreeze()
    return Report(
        documents=documents,
        findings=sorted(schema_findings + policy_findings + cross_findings),
        rules={"schema": 1, **policies.rule_counts, **cross_object.rule_counts()},
        seconds={
            "load": loaded - started,
            "policy": evaluated - loaded,
            "cross-object": crossed - evaluated,
            "schema": done - crossed,
            "total": done - started,
        },
    )


def _load(dist: Path) -> list[Document]:
    """The documents, parsed with the cyclic garbage collector paused, then kept out of its later passes
    (`gc.freeze`, undone when the run ends): they are millions of plain values without a cycle, which each
    full collection would walk again, a third of the parse time on a 30-city tree."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        documents = load_documents(dist)
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return documents
