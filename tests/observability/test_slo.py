"""The SLO rules: derived factors, promtool-valid rule files, and burn alerts that fire just above their threshold."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.constructs.observability.slo import _group
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.observability.slo import Slo, budget_text

FLEET: Fleet = load_fleet(Path("envs"))
PLAN = FLEET.observability.slo


def test_factors_derive_from_budget_share_and_period() -> None:
    slo = PLAN.services[0].slos[0]
    assert [w.factor for w in (*slo.page, *slo.ticket)] == [14.4, 6.0, 3.0, 1.0]
    assert [w.severity for w in (*slo.page, *slo.ticket)] == ["critical", "critical", "warning", "warning"]
    budgets = {s.slo: budget_text(s.budget) for s in PLAN.services[0].slos}
    assert budgets == {"success": "0.004", "latency": "0.05", "availability": "0.0005"}


def test_every_service_has_three_slos() -> None:
    assert [s.service for s in PLAN.services] == [s.name for s in FLEET.services]
    assert all([slo.slo for slo in s.slos] == ["success", "latency", "availability"] for s in PLAN.services)


def _rules_file(tmp_path: Path, name: str, groups: list[dict[str, Any]]) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    return path


def test_promtool_checks_every_rule_file(tmp_path: Path) -> None:
    files = [_rules_file(tmp_path, s.name, [_group(g) for g in s.groups]) for s in PLAN.services]
    result = subprocess.run(["promtool", "check", "rules", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    bad = _rules_file(tmp_path, "bad", [{"name": "g", "rules": [{"record": "x", "expr": "sum(rate(y[5m])"}]}])
    assert subprocess.run(["promtool", "check", "rules", str(bad)], capture_output=True).returncode != 0


def _alert_test(slo: Slo, scale: float) -> list[dict[str, Any]]:
    """One promtool test per window pair: each pair's windows burn at `scale` times its threshold."""
    tests = []
    for pair in (slo.page, slo.ticket):
        for window in pair:
            labels = f'sloth_id="{slo.sloth_id}", sloth_service="{slo.service}", sloth_slo="{slo.slo}"'
            value = min(window.factor * slo.budget * scale, 1.0)
            series = [
                {
                    "series": f'slo:sli_error:ratio_rate{w}{{{labels}, sloth_window="{w}", service="{slo.service}"}}',
                    "values": f"{value}x10",
                }
                for w in (window.short_window, window.long_window)
            ]
            expected = (
                [
                    {
                        "exp_labels": {
                            "sloth_id": slo.sloth_id,
                            "sloth_service": slo.service,
                            "sloth_slo": slo.slo,
                            "service": slo.service,
                            "severity": window.severity,
                            "sloth_severity": window.sloth_severity,
                            "urgency": window.urgency,
                        }
                    }
                ]
                if scale > 1
                else []
            )
            alerts = [{"eval_time": "5m", "alertname": slo.alert, "exp_alerts": expected}]
            tests.append({"interval": "1m", "input_series": series, "alert_rule_test": alerts})
    return tests


def test_burn_alerts_fire_just_above_threshold_only(tmp_path: Path) -> None:
    service = PLAN.services[0]
    groups = [_group(g) for g in service.groups if g.name.startswith("sloth-slo-alerts-")]
    for group in groups:  # exp_labels compare every label: drop annotations' templated text only
        for rule in group["rules"]:
            rule.pop("annotations")
    rules = _rules_file(tmp_path, "alerts", groups)
    tests = []
    for slo in service.slos:
        tests += _alert_test(slo, 1.01) + _alert_test(slo, 0.99)
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": [str(rules)], "tests": tests}))
    result = subprocess.run(["promtool", "test", "rules", str(test_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- raw series through the recording rules ---------------------------------------------------------------

RAW_STEP = "5m"  # one sample every 5 minutes: the 5-minute rate window still holds two samples
# 7 hours: past the longest page window (6h). rate() extrapolates over the samples a longer window holds, so
# a steady ratio of two counters reads the same in the 1-day and 3-day windows as in the full ones.
RAW_SAMPLES = 84
RAW_EVAL = "6h50m"
PER_STEP = 3000  # requests between two samples


def _raw_series(slo: Slo, bad_ratio: float) -> list[dict[str, str]]:
    """The metrics the service itself exposes, with `bad_ratio` of its requests failing the SLO."""
    bad = PER_STEP * bad_ratio
    service = slo.service
    counts = f"0+{PER_STEP}x{RAW_SAMPLES}"
    good = f"0+{PER_STEP - bad}x{RAW_SAMPLES}"
    if slo.slo == "success":
        return [
            {"series": f'http_requests_total{{service="{service}", status="200"}}', "values": good},
            {"series": f'http_requests_total{{service="{service}", status="500"}}', "values": f"0+{bad}x{RAW_SAMPLES}"},
        ]
    assert slo.slo == "latency"
    bound = f"{FLEET.spec.slo.latency_p95_ms / 1000:g}"
    return [
        {"series": f'http_request_duration_seconds_count{{service="{service}"}}', "values": counts},
        {"series": f'http_request_duration_seconds_bucket{{service="{service}", le="{bound}"}}', "values": good},
    ]


def _fired(slo: Slo, severities: tuple[str, ...]) -> list[dict[str, Any]]:
    windows = {w.severity: w for w in (*slo.page, *slo.ticket)}
    return [
        {
            "exp_labels": {
                "sloth_id": slo.sloth_id,
                "sloth_service": slo.service,
                "sloth_slo": slo.slo,
                "service": slo.service,
                "severity": severity,
                "sloth_severity": windows[severity].sloth_severity,
                "urgency": windows[severity].urgency,
            }
        }
        for severity in severities
    ]


def test_burn_alerts_fire_from_the_raw_request_metrics(tmp_path: Path) -> None:
    """`http_requests_total` and `http_request_duration_seconds_bucket` as the service exposes them, through
    the SLI recording rules into the alerts. A steady bad ratio burns every window alike, so the page (its
    slow pair: 6x) fires just above 6x the budget and not just below, where the ticket (3x) still does; the
    ticket fires just above 1x the budget and not just below."""
    service = PLAN.services[0]
    groups = [
        _group(g)
        for g in service.groups
        if g.name.startswith(("sloth-slo-sli-recordings-", "sloth-slo-alerts-")) and "availability" not in g.name
    ]
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    rules = _rules_file(tmp_path, "raw", groups)
    tests = []
    for slo in (s for s in service.slos if s.slo in ("success", "latency")):
        page = next(w for w in slo.page if w.factor == min(p.factor for p in slo.page))
        ticket = next(w for w in slo.ticket if w.factor == min(t.factor for t in slo.ticket))
        cases = [
            (page.factor * slo.budget * 1.01, ("critical", "warning")),
            (page.factor * slo.budget * 0.99, ("warning",)),
            (ticket.factor * slo.budget * 1.01, ("warning",)),
            (ticket.factor * slo.budget * 0.99, ()),
        ]
        for ratio, severities in cases:
            alerts = [{"eval_time": RAW_EVAL, "alertname": slo.alert, "exp_alerts": _fired(slo, severities)}]
            tests.append({"interval": RAW_STEP, "input_series": _raw_series(slo, ratio), "alert_rule_test": alerts})
    assert len(tests) == 8
    test_file = tmp_path / "raw_test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": [str(rules)], "evaluation_interval": RAW_STEP, "tests": tests}))
    result = subprocess.run(["promtool", "test", "rules", str(test_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
