"""The SLA table's alerts: their PromQL and timing come from the model, and promtool proves each alert
fires in its scenario and not in the neighbouring one."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.spec.observability.sla import SEVERITY
from tests.support import ENVS, collect_variant, edit_yaml, set_primary, variant_envs

PROMTOOL = "/usr/bin/promtool"
CITIES = ("bandung", "surabaya", "jakarta")  # rollout order; jakarta is the primary
STEP = 15  # seconds between synthetic samples: the probe interval
SAMPLES = 100  # 25 minutes of samples: past the longest `for:` (780 s)
EVAL = "20m"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


@pytest.fixture(scope="module")
def rule_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rendered = collect_variant(tmp_path_factory.mktemp("sla"))
    (doc,) = [d for d in rendered["bandung"] if d["kind"] == "PrometheusRule" and d["metadata"]["name"] == "sla"]
    return doc


def test_one_alert_per_row_with_the_contract_labels(fleet: Fleet, rule_doc: dict[str, Any]) -> None:
    assert rule_doc["metadata"]["namespace"] == "monitoring"
    (group,) = rule_doc["spec"]["groups"]
    assert (group["name"], group["interval"]) == ("sla", "15s")
    rows = fleet.spec.observability.sla
    assert [rule["alert"] for rule in group["rules"]] == [row.alert for row in rows]
    for rule, row in zip(group["rules"], rows, strict=True):
        assert rule["labels"] == {"severity": SEVERITY[row.urgency], "urgency": row.urgency, "city": "bandung"}
        assert rule["annotations"] == {
            "summary": row.summary,
            "runbook_url": f"https://github.com/nusantaramart/nusantara-fleet/blob/main/runbooks/{row.alert}.md",
            "response_minutes": str(row.response_minutes),
            "resolution_minutes": str(row.resolution_minutes),
        }


def test_for_fits_inside_the_response_time(rule_doc: dict[str, Any]) -> None:
    """`for:` = response - probe interval (15 s) - evaluation interval (15 s) - group_wait (10 %)."""
    fors = {rule["alert"]: rule["for"] for rule in rule_doc["spec"]["groups"][0]["rules"]}
    assert fors == {
        "AllCitiesDown": "24s",
        "CitiesDown": "132s",
        "BranchCityDown": "240s",
        "ReportingDatabaseDownEverywhere": "132s",
        "ServiceMainDown": "510s",
        "ReportingDatabaseDown": "780s",
        "TrafficSurge": "510s",
        "ServerSlow": "510s",
    }


def test_promql_is_derived_from_the_model(rule_doc: dict[str, Any]) -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in rule_doc["spec"]["groups"][0]["rules"]}
    edge_down = 'max by (target_city) (probe_success{probe_kind="edge"}) == 0'
    reporting_down = 'max by (target_city) (probe_success{probe_kind="reporting"}) == 0'
    ksm = 'namespace="shop", deployment=~"gateway|order|payment|inventory|catalog|report"'
    assert exprs == {
        "AllCitiesDown": f"count({edge_down}) == 3",
        "CitiesDown": f"count({edge_down}) >= 2 < 3",
        "BranchCityDown": '(max by (target_city) (probe_success{probe_kind="edge", target_city!="jakarta"}) == 0) '
        f"and on () (count({edge_down}) == 1)",
        "ReportingDatabaseDownEverywhere": f"count({reporting_down}) == 3",
        "ReportingDatabaseDown": f"({reporting_down}) and on () (count({reporting_down}) < 3)",
        "ServiceMainDown": f"(kube_deployment_status_replicas_available{{{ksm}}} < on (namespace, deployment) "
        f"kube_deployment_spec_replicas{{{ksm}}}) and (kube_deployment_status_replicas_available{{{ksm}}} > 0)",
        "TrafficSurge": 'sum(rate(http_requests_total{service="gateway"}[5m])) > 1500',
        "ServerSlow": "histogram_quantile(0.95, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{service="gateway"}[5m]))) > 0.3',
    }


def test_the_model_figures_move_the_rules(tmp_path: Path) -> None:
    """Capacity, the latency SLO, the primary, a row's response time and the intervals each move their rule."""

    def change(doc: dict[str, Any]) -> None:
        doc["capacity"]["peak_rps"] = 6000
        doc["slo"]["latency_p95_ms"] = 250
        doc["observability"]["sla"][0]["response_minutes"] = 2
        doc["observability"]["scrape"] = {"interval_seconds": 20, "rule_interval_seconds": 10}

    def edit(envs: Path) -> None:
        edit_yaml(envs / "fleet.yaml", change)
        set_primary(envs, "bandung")

    rules = load_fleet(variant_envs(tmp_path, edit)).observability.sla
    alerts = {alert.name: alert for alert in rules.alerts}
    assert alerts["TrafficSurge"].expr.endswith("> 3000")  # 6000 + 50 % over three cities
    assert alerts["ServerSlow"].expr.endswith("> 0.25")
    assert 'target_city!="bandung"' in alerts["BranchCityDown"].expr
    assert alerts["AllCitiesDown"].for_seconds == 120 - 20 - 10 - 12  # group_wait: 10 % of 2 minutes
    assert rules.interval == "10s"


# --- promtool --------------------------------------------------------------------------------------------


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ", ".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


def _probes(kind: str, down: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        _series("probe_success", {"probe_kind": kind, "target_city": city}, f"{0 if city in down else 1}x{SAMPLES}")
        for city in CITIES
    ]


def _counter(per_second: float) -> str:
    return f"0+{per_second * STEP:g}x{SAMPLES}"


def _baseline(**overrides: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every city up, every Deployment whole, traffic and latency inside the design: no SLA alert fires."""
    parts = {
        "edge": _probes("edge", ()),
        "reporting": _probes("reporting", ()),
        "ksm": [
            _series(
                "kube_deployment_status_replicas_available",
                {"namespace": "shop", "deployment": "order"},
                f"3x{SAMPLES}",
            ),
            _series("kube_deployment_spec_replicas", {"namespace": "shop", "deployment": "order"}, f"3x{SAMPLES}"),
        ],
        "requests": [_series("http_requests_total", {"service": "gateway", "status": "200"}, _counter(1000))],
        "latency": _latency(fast=100, slower=0),
    }
    parts.update(overrides)
    return [series for group in parts.values() for series in group]


def _latency(*, fast: int, slower: int) -> list[dict[str, str]]:
    """Requests per second at or under 0.3 s (`fast`) and between 0.3 s and 1 s (`slower`)."""
    buckets = {"0.3": fast, "1": fast + slower, "+Inf": fast + slower}
    return [
        _series("http_request_duration_seconds_bucket", {"service": "gateway", "le": le}, _counter(count))
        for le, count in buckets.items()
    ]


def _alert(rule: dict[str, Any], **series_labels: str) -> dict[str, Any]:
    return {"exp_labels": {**rule["labels"], **series_labels}, "exp_annotations": rule["annotations"]}


PROBE_ALERTS = ("AllCitiesDown", "CitiesDown", "BranchCityDown")
REPORTING_ALERTS = ("ReportingDatabaseDownEverywhere", "ReportingDatabaseDown")


def _scenarios(rules: dict[str, dict[str, Any]]) -> list[tuple[str, list[dict[str, str]], dict[str, list[Any]]]]:
    """(name, input series, alert → expected alerts at EVAL): each fires in its scenario, its neighbours not."""
    edge: dict[str, list[Any]] = {name: [] for name in PROBE_ALERTS}
    reporting: dict[str, list[Any]] = {name: [] for name in REPORTING_ALERTS}
    ksm = {"namespace": "shop", "deployment": "order"}

    def deployment(available: int) -> list[dict[str, str]]:
        return [
            _series("kube_deployment_status_replicas_available", ksm, f"{available}x{SAMPLES}"),
            _series("kube_deployment_spec_replicas", ksm, f"3x{SAMPLES}"),
        ]

    return [
        (
            "everything up",
            _baseline(),
            {**edge, **reporting, "ServiceMainDown": [], "TrafficSurge": [], "ServerSlow": []},
        ),
        (
            "every edge down",
            _baseline(edge=_probes("edge", CITIES)),
            {**edge, "AllCitiesDown": [_alert(rules["AllCitiesDown"])]},
        ),
        (
            "two edges down",
            _baseline(edge=_probes("edge", CITIES[:2])),
            {**edge, "CitiesDown": [_alert(rules["CitiesDown"])]},
        ),
        (
            "one branch edge down",
            _baseline(edge=_probes("edge", ("surabaya",))),
            {**edge, "BranchCityDown": [_alert(rules["BranchCityDown"], target_city="surabaya")]},
        ),
        ("the primary's edge down", _baseline(edge=_probes("edge", ("jakarta",))), edge),
        (
            "every reporting database down",
            _baseline(reporting=_probes("reporting", CITIES)),
            {**reporting, "ReportingDatabaseDownEverywhere": [_alert(rules["ReportingDatabaseDownEverywhere"])]},
        ),
        (
            "one reporting database down",
            _baseline(reporting=_probes("reporting", ("jakarta",))),
            {**reporting, "ReportingDatabaseDown": [_alert(rules["ReportingDatabaseDown"], target_city="jakarta")]},
        ),
        (
            "two reporting databases down",
            _baseline(reporting=_probes("reporting", CITIES[1:])),
            {
                **reporting,
                "ReportingDatabaseDown": [
                    _alert(rules["ReportingDatabaseDown"], target_city=city) for city in CITIES[1:]
                ],
            },
        ),
        (
            "a service lost a replica",
            _baseline(ksm=deployment(1)),
            {"ServiceMainDown": [_alert(rules["ServiceMainDown"], **ksm)]},
        ),
        ("a service lost every replica", _baseline(ksm=deployment(0)), {"ServiceMainDown": []}),
        (
            "traffic over the city's share",
            _baseline(
                requests=[_series("http_requests_total", {"service": "gateway", "status": "200"}, _counter(1600))]
            ),
            {"TrafficSurge": [_alert(rules["TrafficSurge"])]},
        ),
        (
            "traffic just under the city's share",
            _baseline(
                requests=[_series("http_requests_total", {"service": "gateway", "status": "200"}, _counter(1490))]
            ),
            {"TrafficSurge": []},
        ),
        (
            "p95 over the SLO",
            _baseline(latency=_latency(fast=80, slower=20)),
            {"ServerSlow": [_alert(rules["ServerSlow"])]},
        ),
        ("p95 under the SLO", _baseline(latency=_latency(fast=97, slower=3)), {"ServerSlow": []}),
    ]


def _for_seconds(rule: dict[str, Any]) -> int:
    return int(rule["for"].removesuffix("s"))


def _tests(rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    tests = []
    for name, series, expected in _scenarios(rules):
        checks = [{"eval_time": EVAL, "alertname": alert, "exp_alerts": alerts} for alert, alerts in expected.items()]
        # where an alert fires, it is still pending one sample before its `for:` has passed
        checks += [
            {"eval_time": f"{_for_seconds(rules[alert]) - STEP}s", "alertname": alert, "exp_alerts": []}
            for alert, alerts in expected.items()
            if alerts
        ]
        tests.append({"name": name, "interval": f"{STEP}s", "input_series": series, "alert_rule_test": checks})
    return tests


def test_promtool_checks_and_tests_the_sla_rules(rule_doc: dict[str, Any], tmp_path: Path) -> None:
    rules_file = tmp_path / "sla.yml"
    rules_file.write_text(yaml.safe_dump({"groups": rule_doc["spec"]["groups"]}))
    rules = {rule["alert"]: rule for rule in rule_doc["spec"]["groups"][0]["rules"]}
    tests = _tests(rules)
    assert len(tests) == 14
    test_file = tmp_path / "sla_test.yml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [rules_file.name], "evaluation_interval": "15s", "tests": tests})
    )
    check = subprocess.run([PROMTOOL, "check", "rules", str(rules_file)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 8 rules found" in check.stdout
    run = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_promtool_fails_a_wrong_expectation(rule_doc: dict[str, Any], tmp_path: Path) -> None:
    """The harness can fail: claiming CitiesDown fires when every edge is down is rejected."""
    rules_file = tmp_path / "sla.yml"
    rules_file.write_text(yaml.safe_dump({"groups": rule_doc["spec"]["groups"]}))
    rules = {rule["alert"]: rule for rule in rule_doc["spec"]["groups"][0]["rules"]}
    wrong = {
        "interval": f"{STEP}s",
        "input_series": _baseline(edge=_probes("edge", CITIES)),
        "alert_rule_test": [
            {"eval_time": EVAL, "alertname": "CitiesDown", "exp_alerts": [_alert(rules["CitiesDown"])]}
        ],
    }
    test_file = tmp_path / "wrong_test.yml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [rules_file.name], "evaluation_interval": "15s", "tests": [wrong]})
    )
    run = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert "alertname: CitiesDown" in run.stdout + run.stderr


def test_every_city_evaluates_the_same_alerts_under_its_own_name(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path)
    rules = {
        city: next(d for d in rendered[city] if d["kind"] == "PrometheusRule" and d["metadata"]["name"] == "sla")
        for city in CITIES
    }
    for city, doc in rules.items():
        group = doc["spec"]["groups"][0]
        assert {rule["labels"]["city"] for rule in group["rules"]} == {city}
        assert [rule["expr"] for rule in group["rules"]] == [
            rule["expr"] for rule in rules["bandung"]["spec"]["groups"][0]["rules"]
        ]
