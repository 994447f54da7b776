"""`fleet diff` reports: plain text for a terminal, Markdown for a pull-request comment.

Both lead with what the change releases in each city, then its risks, then the details. Objects whose only
change is a label or a checksum annotation are one line per city, not a diff each. The Markdown report fits
a GitHub comment: when the whole does not, the per-object diffs are shortened city by city, each city keeping
a fair share and saying what it left out, while every city's summary stays whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.diff.compare import ChartChanges, FleetDiff, ObjectChange
from nusantara_fleet.diff.risks import Topology
from nusantara_fleet.diff.summary import release_lines

SIGN = {"added": "+", "removed": "-", "changed": "±"}
MAX_PATHS = 12  # beyond this the unified diff says it better
# GitHub refuses a comment body over 65,536 characters; sizes are counted in UTF-8 bytes, which is never less.
COMMENT_LIMIT = 65_536
# Room for what the comment action adds to the body (its hidden marker) and for line endings it rewrites.
COMMENT_MARGIN = 512
# Where the whole report is: an https URL, which the comment shows as a link (`<…>` keeps it one).
LINK = re.compile(r"https://[^\s<>]+")
RESTARTS = "↻"  # marks a collapsed workload whose pods restart (its pod template changed)


@dataclass(frozen=True)
class _Fit:
    """How much of the summaries a comment shows; the loosest that fits wins, details fill what is left."""

    names: bool  # list collapsed objects by name, else count them per kind
    lines: int | None  # release lines per city (None: all)
    risks: int | None  # risk lines (None: all)
    mermaid: bool
    details: bool = True  # a collapsible section per city (else one line pointing at the full report)


FITS = (
    _Fit(names=True, lines=None, risks=None, mermaid=True),
    _Fit(names=False, lines=None, risks=None, mermaid=True),
    _Fit(names=False, lines=None, risks=None, mermaid=False, details=False),
    _Fit(names=False, lines=12, risks=40, mermaid=False, details=False),
    _Fit(names=False, lines=4, risks=12, mermaid=False, details=False),
    _Fit(names=False, lines=1, risks=4, mermaid=False, details=False),
)
WHOLE = FITS[0]


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _code(text: str) -> str:
    """`text` as inline code that nothing in it can close."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _counts(chart: ChartChanges) -> str:
    return f"+{chart.count('added')} -{chart.count('removed')} ±{chart.count('changed')}"


def _paths(change: ObjectChange) -> str:
    shown = list(change.paths[:MAX_PATHS])
    if len(change.paths) > MAX_PATHS:
        shown.append(f"… {len(change.paths) - MAX_PATHS} more")
    return ", ".join(shown)


def _charts(diff: FleetDiff) -> list[ChartChanges]:
    """Every city of either side in rollout order, changed or not, then other charts, the fleet chart last."""
    changed = {chart.chart: chart for chart in diff.charts}
    cities = list(dict.fromkeys((*diff.after.order, *diff.before.order, *changed)))
    cities.sort(key=lambda chart: chart == naming.FLEET_FOLDER)
    charts = [changed.get(city, ChartChanges(city, ())) for city in cities]
    fleet_moves = release_lines(ChartChanges(naming.FLEET_FOLDER, ()), diff.before, diff.after)
    if naming.FLEET_FOLDER not in changed and fleet_moves:
        charts.append(ChartChanges(naming.FLEET_FOLDER, ()))
    return charts


def _cosmetic(chart: ChartChanges) -> list[ObjectChange]:
    return [change for change in chart.changes if change.cosmetic]


def _shown(chart: ChartChanges) -> list[ObjectChange]:
    """The changes that get a diff of their own, what the change releases first."""

    def rank(change: ObjectChange) -> int:
        facts = change.shipped
        releases = facts.images or facts.canary_of or facts.weights_before != facts.weights_after
        return 0 if releases else 1 if change.status != "changed" else 2

    return sorted((change for change in chart.changes if not change.cosmetic), key=rank)


def _wave(chart: str, topo: Topology) -> str:
    return f"wave {topo.order.index(chart)}" if chart in topo.order else ""


def _heading(chart: ChartChanges, diff: FleetDiff, *, rich: bool = True) -> str:
    parts = [f"**{html.escape(chart.chart)}**" if rich else chart.chart]
    if wave := _wave(chart.chart, diff.after):
        parts.append(wave)
    if not chart.changes:
        parts.append("no change")
    else:
        cosmetic = len(_cosmetic(chart))
        parts.append(_counts(chart) + (f" ({cosmetic} only labels or checksums)" if cosmetic else ""))
    return " · ".join(parts)


def _capped(lines: list[str], cap: int | None, what: str) -> list[str]:
    if cap is None or len(lines) <= cap:
        return lines
    return [*lines[:cap], f"… and {len(lines) - cap} more {what} in the full report"]


def _collapsed_keys(changes: list[ObjectChange]) -> str:
    keys = sorted({key for change in changes for key in change.cosmetic or ()})
    return ", ".join(_code(key) for key in keys)


def _collapsed_objects(changes: list[ObjectChange], names: bool) -> str:
    """`ConfigMap shop/a, Deployment shop/b ↻`, or per kind `9 ConfigMap, 5 Deployment ↻`."""
    if names:
        return ", ".join(f"{change.key}{' ' + RESTARTS if change.restarts_pods else ''}" for change in changes)
    kinds: dict[str, list[ObjectChange]] = {}
    for change in changes:
        kinds.setdefault(change.key.kind, []).append(change)
    return ", ".join(
        f"{len(group)} {kind}{' ' + RESTARTS if any(c.restarts_pods for c in group) else ''}"
        for kind, group in sorted(kinds.items())
    )


def _collapsed_line(chart: ChartChanges, names: bool) -> str:
    changes = _cosmetic(chart)
    if not changes:
        return ""
    head = f"Only labels or checksums ({_collapsed_keys(changes)}) changed on {len(changes)} object(s)"
    restarting = [change for change in changes if change.restarts_pods]
    if not restarting:
        return f"{head}: {_collapsed_objects(changes, names)}"
    # Apart, so an object no pod template holds (a dashboard ConfigMap) never reads as restarting pods.
    still = [change for change in changes if not change.restarts_pods]
    line = f"{head}; pods restart ({RESTARTS}): {_collapsed_objects(restarting, names)}"
    return f"{line}; nothing restarts: {_collapsed_objects(still, names)}" if still else line


def text(diff: FleetDiff) -> str:
    out = [f"fleet diff {diff.labels[0]} -> {diff.labels[1]}"]
    out.extend(f"note: {note}" for note in diff.notes)
    if diff.empty:
        out.append("no changes")
        return "\n".join(out) + "\n"
    if diff.transitions:
        out.append(f"TRANSITIONS ({len(diff.transitions)}):")
        out.extend(f"  ! {risk}" for risk in diff.transitions)
    out.append("releases:")
    for chart in _charts(diff):
        out.append(f"  {_heading(chart, diff, rich=False)}")
        out.extend(f"    - {line}" for line in _verdict_lines(diff, chart.chart))
        out.extend(f"    - {line}" for line in release_lines(chart, diff.before, diff.after))
    if diff.risks:
        out.append(f"RISKS ({len(diff.risks)}):")
        out.extend(f"  ! {risk}" for risk in diff.risks)
    out.append("changes (+added -removed ±changed):")
    out.extend(f"  {chart.chart:<12} {_counts(chart)}" for chart in diff.charts)
    for chart in diff.charts:
        out.append(f"== {chart.chart}")
        if collapsed := _collapsed_line(chart, names=True):
            out.append(collapsed)
        for change in _shown(chart):
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


def _fence(body: str) -> str:
    """A code fence longer than any run of backticks in `body`, so no line of it ends the block."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _block(change: ObjectChange) -> str:
    lines = [f"#### {SIGN[change.status]} {html.escape(str(change.key))}"]
    if change.paths:
        lines.append(f"Changed: {', '.join(_code(p) for p in change.paths[:MAX_PATHS])}")
    body = change.diff.rstrip("\n")
    fence = _fence(body)
    lines.extend(["", f"{fence}diff", body, fence, ""])
    return "\n".join(lines) + "\n"


def _full_report(link: str | None) -> str:
    return f"[the full report](<{link}>)" if link else "the full report (`fleet diff --full FILE`)"


def _verdict_lines(diff: FleetDiff, chart: str) -> list[str]:
    """The head side's capacity and scenario verdict of a city: always shown, never capped."""
    return [verdict.line() for verdict in diff.verdicts if verdict.city == chart]


def _summaries(diff: FleetDiff, fit: _Fit) -> list[str]:
    out = ["#### What this change releases", ""]
    for chart in _charts(diff):
        out.append(_heading(chart, diff))
        lines = _capped(list(release_lines(chart, diff.before, diff.after)), fit.lines, "release line(s)")
        out.extend(f"- {line}" for line in (*_verdict_lines(diff, chart.chart), *lines))
        out.append("")
    return out


def _transitions(diff: FleetDiff) -> list[str]:
    """What the change does to running pods and memberships: always whole, it is what a reviewer reads first."""
    if not diff.transitions:
        return []
    count = len(diff.transitions)
    out = ["> [!WARNING]", f"> **{count} transition flag(s)**: what syncing this does to running pods", ">"]
    out.extend(f"> - **{html.escape(risk.chart)}** {risk.subject}: {risk.message}" for risk in diff.transitions)
    return [*out, ""]


def _risks(diff: FleetDiff, fit: _Fit) -> list[str]:
    if not diff.risks:
        return []
    lines = [f"- **{html.escape(risk.chart)}** {risk.subject}: {risk.message}" for risk in diff.risks]
    out = ["> [!CAUTION]", f"> **{len(diff.risks)} risk(s)**", ">"]
    out.extend(f"> {line}" for line in _capped(lines, fit.risks, "risk(s)"))
    return [*out, ""]


def _render(diff: FleetDiff, fit: _Fit, shown: dict[str, int] | None, link: str | None) -> str:
    """The report with the first `shown[chart]` diffs of each chart (None: all of them)."""
    out = [f"### `fleet diff` {_code(diff.labels[0])} → {_code(diff.labels[1])}", ""]
    out.extend(f"> [!NOTE]\n> {note}\n" for note in diff.notes)
    if diff.empty:
        out.append("No changes to the rendered fleet.")
        return "\n".join(out) + "\n"
    details = {chart.chart: _shown(chart) for chart in diff.charts}
    left_out = {
        chart: len(changes) - (len(changes) if shown is None else shown[chart]) for chart, changes in details.items()
    }
    if shown is not None:
        count = sum(left_out.values())
        capped = "" if fit.lines is None else f" and each city lists at most {fit.lines} release line(s)"
        out.extend(
            [
                "> [!WARNING]",
                f"> Shortened to fit a pull-request comment: {count} object diff(s) are left out{capped}, every "
                f"city is summarised; {_full_report(link)} has everything.",
                "",
            ]
        )
    out.extend(_transitions(diff))
    out.extend(_summaries(diff, fit))
    out.extend(_risks(diff, fit))
    if fit.mermaid:
        out.extend([mermaid(diff.after, {chart.chart: _counts(chart) for chart in diff.charts}), ""])
    out.extend(["#### Details", ""])
    if not fit.details:
        count = sum(len(chart.changes) for chart in diff.charts)
        out.append(f"The details of {count} changed object(s) are left out; {_full_report(link)} has them.")
        return "\n".join(out) + "\n"
    for chart in diff.charts:
        out.extend([f"<details><summary><b>{html.escape(chart.chart)}</b> {_counts(chart)}</summary>", ""])
        if collapsed := _collapsed_line(chart, fit.names):
            out.extend([collapsed, ""])
        changes = details[chart.chart]
        out.extend(_block(change) for change in changes[: len(changes) - left_out[chart.chart]])
        if left_out[chart.chart]:
            out.extend(
                [
                    f"_{left_out[chart.chart]} more object diff(s) of {html.escape(chart.chart)} are left out to fit "
                    f"the comment; {_full_report(link)} has them._",
                    "",
                ]
            )
        out.extend(["</details>", ""])
    return "\n".join(out)


def _share(needs: dict[str, int], budget: int) -> dict[str, int]:
    """Fair shares of `budget`: the smallest needs are met in full, the rest split what remains evenly."""
    shares: dict[str, int] = {}
    for done, chart in enumerate(sorted(needs, key=lambda c: (needs[c], c))):
        shares[chart] = min(needs[chart], budget // (len(needs) - done))
        budget -= shares[chart]
    return shares


def _fitted(diff: FleetDiff, fit: _Fit, budget: int, link: str | None) -> str | None:
    """The report at `fit` with as many diffs per chart as its share holds, or None when even none fit."""
    skeleton = _size(_render(diff, fit, {chart.chart: 0 for chart in diff.charts}, link))
    if skeleton > budget:
        return None
    blocks = {chart.chart: [_size(_block(change)) + 1 for change in _shown(chart)] for chart in diff.charts}
    shares = _share({chart: sum(sizes) for chart, sizes in blocks.items()}, budget - skeleton)
    shown = {chart: len(list(_within(sizes, shares[chart]))) for chart, sizes in blocks.items()}
    report = _render(diff, fit, shown, link)
    return report if _size(report) <= budget else None


def _within(sizes: list[int], share: int) -> Iterator[int]:
    """The leading sizes whose sum stays within `share`."""
    total = 0
    for size in sizes:
        total += size
        if total > share:
            return
        yield size


def markdown(diff: FleetDiff, *, limit: int | None = COMMENT_LIMIT, link: str | None = None) -> str:
    """The pull-request comment: the whole report when it fits in `limit` (None: no limit), else shortened.

    `link` is where readers find the whole report (the workflow run), named wherever something is left out.
    """
    whole = _render(diff, WHOLE, None, link)
    if limit is None or _size(whole) <= limit - COMMENT_MARGIN:
        return whole
    for fit in FITS:
        report = _fitted(diff, fit, limit - COMMENT_MARGIN, link)
        if report is not None:
            return report
    return _render(diff, FITS[-1], {chart.chart: 0 for chart in diff.charts}, link)
