"""The schema layer: every document against the real schema of its kind; a kind without one fails.

Built-in kinds are checked on every supported Kubernetes minor (`core_schemas.SUPPORTED_VERSIONS`), custom
resources against their vendored CRD (`crd_schemas`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial

from nusantara_fleet.validate import core_schemas, crd_schemas, parallel
from nusantara_fleet.validate.core_schemas import SUPPORTED_VERSIONS, span
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding, Severity

CORE_RULE = "schema.kubernetes"
CRD_RULE = "schema.crd"
UNKNOWN_RULE = "schema.unknown-kind"


def start(documents: list[Document]) -> Callable[[], list[Finding]]:
    """Begin checking: in a forked process for large trees (the caller evaluates the policies on the other
    core meanwhile), else when the findings are asked for. Returns the function that collects them."""
    kinds = Counter((doc.api_version, doc.kind) for doc in documents if not crd_schemas.handles(doc.api_version))
    frequent = frozenset(kind for kind, count in kinds.items() if count >= core_schemas.COMPILE_MIN_DOCUMENTS)
    return parallel.start(partial(check, compiled_kinds=frequent), documents, workers=1)


def check(doc: Document, compiled_kinds: frozenset[tuple[str, str]] = frozenset()) -> list[Finding]:
    """The schema findings of one document; kinds in `compiled_kinds` try the compiled core check first."""
    if not doc.api_version or not doc.kind:
        return [Finding(doc.path, CORE_RULE, f"{doc.label}: apiVersion and kind are required", layer="schema")]
    if crd_schemas.handles(doc.api_version):
        return _custom(doc)
    return _core(doc, fast=(doc.api_version, doc.kind) in compiled_kinds)


def _core(doc: Document, *, fast: bool) -> list[Finding]:
    verdict = core_schemas.check(doc.body, fast=fast)
    if len(verdict.missing) == len(SUPPORTED_VERSIONS):
        return [_unknown(doc, f"neither Kubernetes {span(SUPPORTED_VERSIONS)} nor a vendored CRD has it")]
    findings = []
    if verdict.missing:
        served = tuple(version for version in SUPPORTED_VERSIONS if version not in verdict.missing)
        findings.append(
            _finding(
                doc,
                CORE_RULE,
                f"{doc.api_version} {doc.kind} is not served by Kubernetes {span(verdict.missing)} "
                f"(only by {span(served)})",
            )
        )
    findings.extend(
        _finding(doc, CORE_RULE, f"{error} [Kubernetes {span(versions)}]") for error, versions in verdict.errors
    )
    return findings


def _custom(doc: Document) -> list[Finding]:
    outcome = crd_schemas.check_one(doc.body)
    if outcome.missing is not None:
        return [_unknown(doc, outcome.missing)]
    return [_finding(doc, CRD_RULE, error) for error in outcome.errors] + [
        _finding(doc, CRD_RULE, text, severity="warning") for text in outcome.unevaluated
    ]


def _finding(doc: Document, rule: str, message: str, *, severity: Severity = "failure") -> Finding:
    return Finding(doc.path, rule, f"{doc.label}: {message}", severity, "schema")


def _unknown(doc: Document, why: str) -> Finding:
    return _finding(doc, UNKNOWN_RULE, f"no schema for {doc.kind} in {doc.api_version}: {why}")
