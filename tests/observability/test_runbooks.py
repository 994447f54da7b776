"""Every alert the fleet renders has its runbook page, and every page serves an alert."""

from __future__ import annotations

from pathlib import Path

from nusantara_fleet.model import load_fleet
from tests.support import ENVS, all_docs

RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"
DIST = Path(__file__).resolve().parents[2] / "dist"
SECTIONS = (
    "## Triage (first five minutes)",
    "## Quick mitigation",
    "## Escalation",
    "## Recovery check",
    "## Root-cause analysis template",
)


def _alerts(dist: Path) -> dict[str, set[str]]:
    """Alert name -> the runbook URLs its rules carry, over every PrometheusRule in dist/."""
    alerts: dict[str, set[str]] = {}
    for _, doc in all_docs(dist):
        if doc.get("kind") != "PrometheusRule":
            continue
        for group in doc["spec"]["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    alerts.setdefault(rule["alert"], set()).add(rule["annotations"]["runbook_url"])
    return alerts


def _mismatches(alerts: dict[str, set[str]], pages: set[str], base: str) -> list[str]:
    problems = [f"{name}: no runbooks/{name}.md" for name in sorted(alerts.keys() - pages)]
    problems += [f"runbooks/{name}.md: no alert uses it" for name in sorted(pages - alerts.keys())]
    problems += [
        f"{name}: runbook_url {url} is not its page"
        for name, urls in sorted(alerts.items())
        for url in sorted(urls)
        if url != f"{base}/{name}.md"
    ]
    return problems


def test_alerts_and_pages_match_one_to_one() -> None:
    base = load_fleet(ENVS).spec.observability.runbook_base_url
    alerts = _alerts(DIST)
    pages = {page.stem for page in RUNBOOKS.glob("*.md")}
    assert len(alerts) == 11
    assert _mismatches(alerts, pages, base) == []


def test_the_check_fires_on_a_missing_page_an_unused_page_and_a_wrong_url() -> None:
    base = "https://example.test/runbooks"
    alerts = {"Used": {f"{base}/Used.md"}, "Missing": {f"{base}/Missing.md"}, "Wrong": {f"{base}/Other.md"}}
    assert _mismatches(alerts, {"Used", "Wrong", "Unused"}, base) == [
        "Missing: no runbooks/Missing.md",
        "runbooks/Unused.md: no alert uses it",
        f"Wrong: runbook_url {base}/Other.md is not its page",
    ]


def test_every_page_has_the_design_sections_in_order() -> None:
    for page in sorted(RUNBOOKS.glob("*.md")):
        text = page.read_text()
        assert text.startswith(f"# {page.stem}\n"), page.name
        positions = [text.find(section) for section in SECTIONS]
        assert -1 not in positions and positions == sorted(positions), page.name
