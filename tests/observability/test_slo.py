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
