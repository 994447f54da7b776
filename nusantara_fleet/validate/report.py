"""The three ways a run is reported: for people, for programs (conftest's JSON), for GitHub annotations."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from nusantara_fleet.validate.findings import FLEET_FILE, Finding
from nusantara_fleet.validate.policy import COMBINED_NAMESPACES
from nusantara_fleet.validate.run import Report

_LABEL = {"failure": "FAIL", "warning": "WARN", "exception": "EXCP"}
_SEVERITY_ORDER = {"failure": 0, "warning": 1, "exception": 2}


def summary(report: Report) -> str:
    seconds = report.seconds
    return (
        f"{len(report.documents)} documents, {report.kinds} kinds, {sum(report.rules.values())} rules: "
        f"{report.count('failure')} failures, {report.count('warning')} warnings, "
        f"{report.count('exception')} exceptions in {seconds['total']:.2f} s "
        f"(load {seconds['load']:.2f} s, policy {seconds['policy']:.2f} s, "
        f"cross-object {seconds['cross-object']:.2f} s, schema +{seconds['schema']:.2f} s)"
    )


def _group(finding: Finding) -> str:
    """The city a finding is about: the directory of its file, or `fleet-wide` for the combined input."""
    return "fleet-wide" if finding.path == FLEET_FILE else Path(finding.path).parent.name


def human(report: Report) -> str:
    """Findings grouped by city, then file, then rule; a summary line last."""
    tree: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in report.findings:
        tree[_group(finding)][finding.path].append(finding)
    lines = []
    for group in sorted(tree):
        lines.append(group)
        for path in sorted(tree[group]):
            lines.append(f"  {path}")
            ordered = sorted(tree[group][path], key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule, f.message))
            lines.extend(f"    {_LABEL[f.severity]} {f.rule}: {f.message}" for f in ordered)
    if lines:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """`results`: conftest's `-o json` entries (one per file and namespace, results as {msg, metadata});
    `summary`: the counts and seconds of the summary line."""
    entries: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    per_document = [ns for ns in report.rules if ns not in COMBINED_NAMESPACES]
    for doc in report.documents:
        for namespace in per_document:
            entries[(doc.path, namespace)]  # every file appears, as in conftest, even when it passes
    for namespace in COMBINED_NAMESPACES & set(report.rules):
        entries[(FLEET_FILE, namespace)]
    for finding in report.findings:
        result = {"msg": finding.message, "metadata": {"rule": finding.rule, "layer": finding.layer}}
        entries[(finding.path, finding.namespace)][f"{finding.severity}s"].append(result)
    out = []
    for (path, namespace), results in sorted(entries.items()):
        fired = {result["metadata"]["rule"] for key in results for result in results[key]}
        successes = max(report.rules.get(namespace, 0) - len(fired), 0)
        entry: dict[str, Any] = {"filename": path, "namespace": namespace, "successes": successes}
        entry.update({key: results[key] for key in ("warnings", "failures", "exceptions") if results.get(key)})
        out.append(entry)
    summary_entry = {
        "documents": len(report.documents),
        "kinds": report.kinds,
        "rules": sum(report.rules.values()),
        "failures": report.count("failure"),
        "warnings": report.count("warning"),
        "exceptions": report.count("exception"),
        "seconds": {layer: round(value, 3) for layer, value in report.seconds.items()},
    }
    return json.dumps({"results": out, "summary": summary_entry}, indent="\t", sort_keys=True)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding on its file, then the summary."""
    command = {"failure": "error", "warning": "warning", "exception": "notice"}
    lines = []
    for finding in report.findings:
        title = _escape_property(finding.rule)
        where = "" if finding.path == FLEET_FILE else f"file={_escape_property(finding.path)},line=1,"
        lines.append(f"::{command[finding.severity]} {where}title={title}::{_escape_data(finding.message)}")
    lines.append(summary(report))
    return "\n".join(lines)


FORMATS = {"human": human, "json": as_json, "github": github}
