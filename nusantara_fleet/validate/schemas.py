"""The schema layer: every document against the real schema of its kind; a kind without one fails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial

from nusantara_fleet.validate import core_schemas, crd_schemas, parallel
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding

CORE_RULE = f"schema.kubernetes-{core_schemas.KUBERNETES_VERSION}"
CRD_RULE = "schema.crd"
UNKNOWN_RULE = "schema.unknown-kind"


def start(documents: list[Document]) -> Callable[[], list[Finding]]:
    """Begin checking in the background: core kinds in a forked process (for large trees), custom
    resources in one Node process. Returns the function that waits for both and collects the findings.
    """
    core = [doc for doc in documents if not crd_schemas.handles(doc.api_version)]
    custom = [doc for doc in documents if crd_schemas.handles(doc.api_version)]
    kinds = Counter((doc.api_version, doc.kind) for doc in core)
    frequent = frozenset(kind for kind, count in kinds.items() if count >= core_schemas.COMPILE_MIN_DOCUMENTS)
    # One background process: the caller evaluates the policies on the other core meanwhile.
    finish_core = parallel.start(partial(_core, compiled_kinds=frequent), core, workers=1)
    pending = crd_schemas.Pending([doc.body for doc in custom])  # after the fork: workers must not hold its pipe

    def finish() -> list[Finding]:
        findings = finish_core()
        for doc, outcome in zip(custom, pending.outcomes(), strict=True):
            if outcome.missing is not None:
                findings.append(_unknown(doc, f"{crd_schemas.group_of(doc.api_version)} has no such kind"))
            findings.extend(
                Finding(doc.path, CRD_RULE, f"{doc.label}: {error}", layer="schema") for error in outcome.errors
            )
        return findings

    return finish


def _core(doc: Document, compiled_kinds: frozenset[tuple[str, str]] = frozenset()) -> list[Finding]:
    if not doc.api_version or not doc.kind:
        return [Finding(doc.path, CORE_RULE, f"{doc.label}: apiVersion and kind are required", layer="schema")]
    checker = core_schemas.validator(doc.api_version, doc.kind)
    if checker is None:
        return [_unknown(doc, f"neither Kubernetes {core_schemas.KUBERNETES_VERSION} nor a pinned CRD package has it")]
    if (doc.api_version, doc.kind) in compiled_kinds and core_schemas.passes(doc.body, doc.api_version, doc.kind):
        return []
    return [
        Finding(doc.path, CORE_RULE, f"{doc.label}: {error}", layer="schema")
        for error in core_schemas.errors(doc.body, checker)
    ]


def _unknown(doc: Document, why: str) -> Finding:
    return Finding(
        doc.path,
        UNKNOWN_RULE,
        f"{doc.label}: no schema for {doc.kind} in {doc.api_version}: {why}",
        layer="schema",
    )
