"""The cross-object layer: the rendered objects checked against each other, folder by folder and across
the fleet (`refs.*` in `references`, `order.*` in `order`, `network.*` in `flows`)."""

from __future__ import annotations

from nusantara_fleet.validate import flows, order, references
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.tree import folders

RULES = (*references.RULES, *order.RULES, *flows.RULES)


def rule_counts() -> dict[str, int]:
    """Rules per namespace (`refs`, `order`, `network`), as the report counts the Rego packages."""
    counts: dict[str, int] = {}
    for rule in RULES:
        namespace = rule.rpartition(".")[0]
        counts[namespace] = counts.get(namespace, 0) + 1
    return counts


def check(documents: list[Document]) -> list[Finding]:
    tree = folders(documents)
    return references.check(tree) + order.check(tree) + flows.check(tree)
