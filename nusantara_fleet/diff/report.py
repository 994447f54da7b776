"""`fleet diff` reports: plain text for a terminal, Markdown for a pull-request comment."""

from __future__ import annotations

from nusantara_fleet.diff.compare import ChartChanges, FleetDiff, ObjectChange
from nusantara_fleet.diff.risks import Topology

SIGN = {"added": "+", "removed": "-", "changed": "±"}
MAX_PATHS = 12  # beyond this the unified diff says it better


def _counts(chart: ChartChanges) -> str:
    return f"+{chart.count('added')} -{chart.count('removed')} ±{chart.count('changed')}"


def _paths(change: ObjectChange) -> str:
    shown = list(change.paths[:MAX_PATHS])
    if len(change.paths) > MAX_PATHS:
        shown.append(f"… {len(change.paths) - MAX_PATHS} more")
    return ", ".join(shown)


def text(diff: FleetDiff) -> str:
    out = [f"fleet diff {diff.labels[0]} -> {diff.labels[1]}"]
    out.extend(f"note: {note}" for note in diff.notes)
    if diff.empty:
        out.append("no changes")
        return "\n".join(out) + "\n"
    if diff.risks:
        out.append(f"RISKS ({len(diff.risks)}):")
        out.extend(f"  ! {risk}" for risk in diff.risks)
    out.append("changes (+added -removed ±changed):")
    out.extend(f"  {chart.chart:<12} {_counts(chart)}" for chart in diff.charts)
    for chart in diff.charts:
        out.append(f"== {chart.chart}")
        for change in chart.changes:
            detail = f": {_paths(change)}" if change.paths else ""
            out.append(f"{SIGN[change.status]} {change.key}{detail}")
            out.append(change.diff.rstrip("\n"))
    return "\n".join(out) + "\n"


def _node(city: str) -> str:
    return city.replace("-", "_")


def mermaid(topo: Topology, changed: dict[str, str]) -> str:
    """Rollout waves in order (the gate on its edge) and replication from the primary city."""
    lines = ["```mermaid", "flowchart LR"]
    for step, city in enumerate(topo.order):
        tags = [f"wave {step}"]
        if city == topo.primary:
            tags.append("primary")
        if city in topo.gates:
            tags.append("manual gate")
        if city in changed:
            tags.append(changed[city])
        lines.append(f'  {_node(city)}["{city}<br/>{" · ".join(tags)}"]')
    for step in range(1, len(topo.order)):
        city = topo.order[step]
        arrow = "-->|manual sync|" if city in topo.gates else "-->|healthy|"
        lines.append(f"  {_node(topo.order[step - 1])} {arrow} {_node(city)}")
    if topo.primary is not None:
        lines.extend(
            f"  {_node(topo.primary)} -. replication .-> {_node(city)}" for city in topo.order if city != topo.primary
        )
    lines.append("```")
    return "\n".join(lines)


def markdown(diff: FleetDiff) -> str:
    out = [f"### `fleet diff` {diff.labels[0]} → {diff.labels[1]}", ""]
    out.extend(f"> [!NOTE]\n> {note}\n" for note in diff.notes)
    if diff.empty:
        out.append("No changes to the rendered fleet.")
        return "\n".join(out) + "\n"
    out.extend(["| city | added | removed | changed |", "| --- | ---: | ---: | ---: |"])
    out.extend(
        f"| {chart.chart} | {chart.count('added')} | {chart.count('removed')} | {chart.count('changed')} |"
        for chart in diff.charts
    )
    out.append("")
    if diff.risks:
        out.extend(["> [!CAUTION]", f"> **{len(diff.risks)} risk(s)**", ">"])
        out.extend(f"> - **{risk.chart}** {risk.subject}: {risk.message}" for risk in diff.risks)
        out.append("")
    changed = {chart.chart: _counts(chart) for chart in diff.charts}
    out.extend([mermaid(diff.after, changed), ""])
    for chart in diff.charts:
        out.extend([f"<details><summary><b>{chart.chart}</b> {_counts(chart)}</summary>", ""])
        for change in chart.changes:
            out.append(f"#### {SIGN[change.status]} {change.key}")
            if change.paths:
                out.append(f"Changed: {', '.join(f'`{p}`' for p in change.paths[:MAX_PATHS])}")
            out.extend(["", "```diff", change.diff.rstrip("\n"), "```", ""])
        out.extend(["</details>", ""])
    return "\n".join(out)
