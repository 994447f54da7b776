"""`fleet scenarios` output: a table for the terminal, JSON, and markdown for a pull-request comment.

Rows are per scenario and user. The service-level scenarios run per service; services whose rows read the
same are one row, so the table stays a page long.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from nusantara_fleet.scenarios.design import RULES
from nusantara_fleet.scenarios.run import DEVIATION, DIVERGENCE, Report, Result, UserView

COLUMNS = ("scenario", "user in", "served by", "DNS api", "DNS web", "db reads", "writes", "recovery", "verdict")
MARKS = {DIVERGENCE: "!", DEVIATION: "~"}  # after a cell whose check diverges or deviates


def _cell(view: UserView, field: str) -> str:
    check = view.check(field)
    if check is None:
        return "-"
    return check.observed + MARKS.get(check.verdict, "")


def _times(view: UserView) -> str:
    return "; ".join(f"{t.what} {t.seconds if t.seconds is not None else '?'} s" for t in view.times) or "-"


def _verdict(view: UserView) -> str:
    diverging = sum(check.verdict == DIVERGENCE for check in view.checks)
    if diverging:
        return f"{diverging} divergence{'' if diverging == 1 else 's'}"
    return view.verdict


def _cells(report: Report, result: Result, view: UserView) -> tuple[str, ...]:
    calls = next((c for c in view.checks if c.field.startswith("calls of ") or c.field == "requests"), None)
    served = (calls.observed + MARKS.get(calls.verdict, "")) if calls else "-"
    return (
        served,
        _cell(view, f"DNS {report.hosts['api']}"),
        _cell(view, f"DNS {report.hosts['web']}"),
        _cell(view, "database reads"),
        _cell(view, "writes"),
        _times(view),
        _verdict(view),
    )


def rows(report: Report) -> list[tuple[str, ...]]:
    """(scenario, user, cells…) per shown view; service-level rows that read alike are merged."""
    merged: dict[tuple[str, ...], list[str]] = {}
    order: list[tuple[str, ...]] = []
    for result in report.results:
        scenario = result.scenario
        place = scenario.subject.rsplit(" in ", 1)[-1] if scenario.service else scenario.subject
        for view in result.views:
            if not view.shown:
                continue
            key = (scenario.key, place, view.user, *_cells(report, result, view))
            if key not in merged:
                merged[key] = []
                order.append(key)
            if scenario.service:
                merged[key].append(scenario.service)
    out = []
    for key in order:
        scenario_key, place, user, *cells = key
        services = merged[key]
        subject = f"{', '.join(services)} in {place}" if services else place
        out.append((f"{scenario_key}: {subject}", user, *cells))
    return out


def _summary(report: Report) -> str:
    diverging = report.divergences()
    if diverging:
        return f"{len(diverging)} divergence(s) from the design"
    deviations = len(report.deviations())
    stated = f", {deviations} stated deviation(s)" if deviations else ""
    return f"every scenario matches the design{stated}"


def _header(report: Report) -> list[str]:
    return [
        f"primary {report.primary}; cities {', '.join(report.cities)}; failover preference "
        f"{', '.join(report.preference) or 'none'}",
        f"hosts: api {report.hosts['api']}, web {report.hosts['web']}; edge addresses: "
        + ", ".join(f"{city} {address or 'none'}" for city, address in report.edges.items()),
    ]


def table(report: Report) -> str:
    body = rows(report)
    widths = [max(len(row[i]) for row in [COLUMNS, *body]) for i in range(len(COLUMNS) - 1)]
    out = [*_header(report), ""]
    for row in [COLUMNS, *body]:
        out.append("  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])), row[-1]]).rstrip())
    out.extend(["", "! diverges from the design, ~ a stated deviation", ""])
    out.extend(_rules(lambda key, title, rule: f"  {key}  {title}: {rule}", "design rules:"))
    for line in report.deviations():
        out.append(f"deviation: {line}")
    for line in report.divergences():
        out.append(f"DIVERGENCE {line}")
    out.append(_summary(report))
    return "\n".join(out) + "\n"


def _rules(line: Callable[[str, str, str], str], heading: str) -> Iterator[str]:
    yield heading
    for key, (title, rule) in RULES.items():
        yield line(key, title, rule)
    yield ""


def as_json(report: Report) -> str:
    document: dict[str, Any] = {
        "primary": report.primary,
        "cities": list(report.cities),
        "preference": list(report.preference),
        "hosts": report.hosts,
        "edges": report.edges,
        "passed": report.passed,
        "divergences": report.divergences(),
        "deviations": report.deviations(),
        "scenarios": [
            {
                "key": result.scenario.key,
                "title": result.scenario.title,
                "rule": RULES[result.scenario.key][1],
                "notes": list(result.notes),
                "users": [
                    {
                        "user": view.user,
                        "verdict": view.verdict,
                        "checks": [asdict(check) for check in view.checks],
                        "times": [asdict(time) for time in view.times],
                        "addresses": dict(view.addresses),
                    }
                    for view in result.views
                ],
            }
            for result in report.results
        ],
    }
    return json.dumps(document, indent="\t", sort_keys=True, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def markdown(report: Report) -> str:
    out = ["### `fleet scenarios`", "", f"**{_summary(report)}** · " + " · ".join(_md(h) for h in _header(report)), ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    out.extend("| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows(report))
    out.extend(["", "`!` diverges from the design, `~` a stated deviation", ""])
    if report.divergences():
        out.extend(["> [!CAUTION]", f"> **{len(report.divergences())} divergence(s)**", ">"])
        out.extend(f"> - {_md(line)}" for line in report.divergences())
        out.append("")
    if report.deviations():
        out.append("Stated deviations (what k8gb cannot express):")
        out.extend(f"- {_md(line)}" for line in report.deviations())
        out.append("")
    out.extend(
        _rules(
            lambda key, title, rule: f"| {key} | {_md(title)} | {_md(rule)} |",
            "| | scenario | the design expects |\n|---|---|---|",
        )
    )
    return "\n".join(out)


FORMATS: dict[str, Callable[[Report], str]] = {"table": table, "json": as_json, "markdown": markdown}
