"""`fleet plan`: the capacity plan of the model (`model/capacity/plan.py`) as a table, JSON or markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nusantara_fleet.model.capacity.demand import scenario_name
from nusantara_fleet.model.capacity.plan import CapacityPlan, Line, figure
from nusantara_fleet.model.source import format_loc

COLUMNS = ("city", "subject", "scenario", "check", "needed", "available", "use", "verdict", "detail")


def _use(line: Line) -> str:
    return f"{round(line.needed / line.available * 100)} %" if line.available else "-"


def _verdict(line: Line) -> str:
    return "fits" if line.fits else "SHORT"


def _row(line: Line) -> tuple[str, ...]:
    return (
        line.where,
        line.subject,
        line.label,
        line.check,
        figure(line.needed, line.unit),
        figure(line.available, line.unit),
        _use(line),
        _verdict(line),
        line.detail,
    )


def _design(plan: CapacityPlan) -> str:
    low, high = plan.band
    lowest, highest = plan.headroom_pct
    return (
        f"design capacity {low:,}-{high:,} RPS (peak {plan.peak_rps:,} RPS + {lowest}-{highest} % headroom), "
        f"sized for {high:,} RPS"
    )


def _routing(plan: CapacityPlan, arrow: str) -> str:
    moves = ", ".join(f"{lost} {arrow} {to}" for lost, to in plan.routing.items())
    return f"a lost city's users go to: {moves}" if moves else "one city: no city can be lost"


def _verdict_line(plan: CapacityPlan) -> str:
    total = len(plan.lines)
    if plan.fits:
        return f"every line fits ({total} lines)"
    return f"{len(plan.short)} of {total} lines do not fit"


def text(plan: CapacityPlan) -> str:
    rows = [COLUMNS, *(_row(line) for line in plan.lines)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    right = {4, 5, 6}  # figures line up on their units
    out = [f"capacity plan: {_design(plan)}", _routing(plan, "->"), ""]
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    if plan.notes:
        out.extend(["", "notes:", *(f"  - {note}" for note in plan.notes)])
    out.extend(["", _verdict_line(plan)])
    for line in plan.short:
        out.append(f"  SHORT {line.where} {line.summary()}; {line.fix.advice}")
    return "\n".join(out) + "\n"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _markdown_table(lines: tuple[Line, ...]) -> list[str]:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for line in lines:
        cells = list(_row(line))
        if not line.fits:
            cells[7] = "**short**"
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return out


def markdown(plan: CapacityPlan) -> str:
    """The pull-request comment: the verdict, the lines that do not fit, then the whole plan folded."""
    out = [
        f"### Capacity plan: {_verdict_line(plan)}",
        "",
        f"{_sentence(_design(plan))}; {_routing(plan, '→')}.",
        "",
    ]
    if plan.short:
        out.extend(["**Lines that do not fit**", "", *_markdown_table(plan.short), ""])
        out.extend(f"- {line.where}: {line.fix.advice}" for line in plan.short)
        out.append("")
    out.extend(["<details><summary>Every line</summary>", "", *_markdown_table(plan.lines), "", "</details>"])
    if plan.notes:
        out.extend(["", "**Notes**", "", *(f"- {note}" for note in plan.notes)])
    return "\n".join(out) + "\n"


def _number(value: float) -> float:
    return round(value, 3)


def _record(line: Line) -> dict[str, Any]:
    return {
        "available": _number(float(line.available)),
        "check": line.check,
        "city": line.city,
        "detail": line.detail,
        "fits": line.fits,
        "fix": {"advice": line.fix.advice, "city": line.fix.city, "field": format_loc(line.fix.loc)},
        "needed": _number(float(line.needed)),
        "scenario": line.label,
        "scenarios": [scenario_name(scenario) for scenario in line.scenarios],
        "subject": line.subject,
        "unit": line.unit,
    }


def json_report(plan: CapacityPlan) -> str:
    document = {
        "design": {"band_rps": list(plan.band), "headroom_pct": list(plan.headroom_pct), "peak_rps": plan.peak_rps},
        "fits": plan.fits,
        "lines": [_record(line) for line in plan.lines],
        "notes": list(plan.notes),
        "routing": dict(plan.routing),
    }
    return json.dumps(document, indent="\t", sort_keys=True) + "\n"


FORMATS: dict[str, Callable[[CapacityPlan], str]] = {"table": text, "json": json_report, "markdown": markdown}
