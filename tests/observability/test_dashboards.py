"""Dashboards: ConfigMaps per city, the JSON the SDK builds, explicit layout, queries promtool parses, and
thresholds that follow the model."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as sdk_model

from nusantara_fleet import naming
from nusantara_fleet.constructs.observability.dashboards import dashboard_json, dashboard_model
from nusantara_fleet.model import Fleet, load_fleet
from tests.support import ENVS, Edit, Rendered, collect_variant, edit_yaml, variant_envs

MONITORING = "monitoring"
PROMTOOL = "/usr/bin/promtool"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return collect_variant(tmp_path_factory.mktemp("dashboards"))


def dashboard_maps(rendered: Rendered, city: str) -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc
        for doc in rendered[city]
        if doc["kind"] == "ConfigMap" and naming.GRAFANA_DASHBOARD_LABEL in doc["metadata"]["labels"]
    }


def panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    return list(model["panels"])


def exprs(model: dict[str, Any]) -> Iterator[str]:
    for panel in panels(model):
        for target in panel.get("targets", []):
            yield target["expr"]


def by_title(model: dict[str, Any], title: str) -> dict[str, Any]:
    (panel,) = [p for p in panels(model) if p["title"] == title]
    return panel


def steps(panel: dict[str, Any]) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def sdk_round_trip(model: dict[str, Any]) -> dict[str, Any]:
    """The model read into the SDK's Dashboard type and written back: drops whatever the SDK does not model."""
    result: dict[str, Any] = json.loads(json.dumps(sdk_model.Dashboard.from_json(model), cls=JSONEncoder))
    return result


def overlaps(model: dict[str, Any]) -> list[tuple[int, int]]:
    """Pairs of panel ids whose grid rectangles intersect, or any panel off the 24-column grid."""
    boxes = [(p["id"], p["gridPos"]) for p in panels(model)]
    clashes = [(i, i) for i, g in boxes if g["x"] < 0 or g["x"] + g["w"] > 24]
    for n, (a, ga) in enumerate(boxes):
        for b, gb in boxes[n + 1 :]:
            across = ga["x"] < gb["x"] + gb["w"] and gb["x"] < ga["x"] + ga["w"]
            if across and ga["y"] < gb["y"] + gb["h"] and gb["y"] < ga["y"] + ga["h"]:
                clashes.append((a, b))
    return clashes


def test_every_city_carries_its_dashboard_and_the_fleets(rendered: Rendered, fleet: Fleet) -> None:
    for city in fleet.cities:
        own = naming.city_dashboard(city.name)
        maps = dashboard_maps(rendered, city.name)
        assert sorted(maps) == sorted(
            [naming.dashboard_configmap(own), naming.dashboard_configmap(naming.DASHBOARD_FLEET)]
        )
        for plan in fleet.observability.dashboards.rendered_in(city.name):
            doc = maps[naming.dashboard_configmap(plan.name)]
            assert doc["metadata"]["namespace"] == MONITORING
            assert doc["metadata"]["labels"][naming.GRAFANA_DASHBOARD_LABEL] == "1"
            assert doc["metadata"]["labels"][naming.CITY_LABEL] == city.name
            assert list(doc["data"]) == [f"{plan.name}.json"]
            # what the SDK builds from the model, byte for byte
            assert doc["data"][f"{plan.name}.json"] == json.dumps(dashboard_model(plan), sort_keys=True, indent=2)


def test_the_json_is_the_sdks_dashboard_model(fleet: Fleet) -> None:
    for plan in (*fleet.observability.dashboards.city.values(), fleet.observability.dashboards.fleet):
        model = json.loads(dashboard_json(plan))
        assert sdk_round_trip(model) == model
        assert model["uid"] == plan.uid and len(plan.uid) == 16
        assert "version" not in model and "id" not in model  # nothing Grafana stamps per instance
        assert dashboard_json(plan) == dashboard_json(plan)
    hand_written = {**model, "handWritten": True}
    assert sdk_round_trip(hand_written) != hand_written  # the check sees a key the SDK does not model


def test_panel_ids_and_positions_are_explicit_and_disjoint(fleet: Fleet) -> None:
    for plan in (*fleet.observability.dashboards.city.values(), fleet.observability.dashboards.fleet):
        model = dashboard_model(plan)
        assert [p["id"] for p in panels(model)] == list(range(1, len(panels(model)) + 1))
        assert overlaps(model) == []
    stacked = {"panels": [{"id": 1, "gridPos": {"x": 0, "y": 0, "w": 8, "h": 8}}] * 2}
    assert overlaps(stacked) == [(1, 1)]


def test_every_query_is_a_rule_promtool_accepts(fleet: Fleet, tmp_path: Path) -> None:
    queries = sorted(
        {
            e
            for plan in (*fleet.observability.dashboards.city.values(), fleet.observability.dashboards.fleet)
            for e in exprs(dashboard_model(plan))
        }
    )
    assert len(queries) > 20

    def check(rules: list[str]) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "dashboards.rules.yaml"
        records = [{"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(rules)]
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": records}]}))
        return subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False)

    result = check(queries)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(queries)} rules found" in result.stdout
    broken = check([*queries, "sum(rate(http_requests_total[5m])"])  # a missing paren
    assert broken.returncode == 1


def slo_edit(**values: float) -> Edit:
    def edit(envs: Path) -> None:
        edit_yaml(envs / "fleet.yaml", lambda spec: spec["slo"].update(values))

    return edit


def dashboards_edit(**values: object) -> Edit:
    def edit(envs: Path) -> None:
        edit_yaml(envs / "fleet.yaml", lambda spec: spec["observability"].update(dashboards=values))

    return edit


def bandung(fleet: Fleet) -> dict[str, Any]:
    return dashboard_model(fleet.observability.dashboards.city["bandung"])


def test_the_three_widgets_and_budget_take_their_thresholds_from_the_model(fleet: Fleet) -> None:
    model = bandung(fleet)
    status = by_title(model, "gateway status")
    assert steps(status) == [(None, "green"), (1, "orange"), (2, "red")]
    (expr,) = [t["expr"] for t in status["targets"]]
    for warning, bound in (("0.0032", "0.004"), ("0.24", "0.3"), ("0.0004", "0.0005")):
        assert f"> bool {warning})" in expr and f"> bool {bound})" in expr
    # a third of the 4500 RPS design capacity, two thirds when Bandung takes a lost city's users
    assert steps(by_title(model, "gateway requests per second")) == [(None, "green"), (1500, "orange"), (3000, "red")]
    latency = by_title(model, "gateway latency")
    assert steps(latency) == [(None, "green"), (0.3, "red")]
    assert [t["legendFormat"] for t in latency["targets"]] == ["p50", "p95", "p99"]
    assert steps(by_title(model, "gateway error budget remaining")) == [(None, "red"), (0, "orange"), (0.2, "green")]
    edge = by_title(
        dashboard_model(fleet.observability.dashboards.fleet), "Edge requests per second (gateway), every city"
    )
    assert steps(edge) == [(None, "green"), (4500, "red")]
    assert [t["datasource"]["uid"] for t in edge["targets"]] == [f"prometheus-{c.name}" for c in fleet.cities]


def test_thresholds_follow_the_slos(tmp_path: Path) -> None:
    fleet = load_fleet(variant_envs(tmp_path, slo_edit(latency_p95_ms=250, availability_pct=99.9)))
    model = bandung(fleet)
    assert steps(by_title(model, "gateway latency")) == [(None, "green"), (0.25, "red")]
    (expr,) = [t["expr"] for t in by_title(model, "gateway status")["targets"]]
    for warning, bound in (("0.0032", "0.004"), ("0.2", "0.25"), ("0.0008", "0.001")):
        assert f"> bool {warning})" in expr and f"> bool {bound})" in expr
    assert "0.0005" not in expr and "> bool 0.3)" not in expr


def test_dashboard_settings_reach_the_json(tmp_path: Path) -> None:
    fleet = load_fleet(variant_envs(tmp_path, dashboards_edit(warning_pct=90, datasource_uid="prom-local")))
    model = bandung(fleet)
    assert {p["datasource"]["uid"] for p in panels(model) if "datasource" in p} == {"prom-local"}
    assert steps(by_title(model, "gateway error budget remaining"))[2] == (0.1, "green")
    (expr,) = [t["expr"] for t in by_title(model, "gateway status")["targets"]]
    assert "> bool 0.0036)" in expr and "> bool 0.27)" in expr


# (errors ratio, p95 seconds, unavailable ratio) -> the light, against the default SLOs (99.6 %, 300 ms, 99.95 %)
LIGHTS = [
    ((0.001, 0.1, 0.0), 0),
    ((0.001, 0.25, 0.0), 1),  # p95 over 80 % of 300 ms
    ((0.005, 0.1, 0.0), 2),  # errors over the 0.4 % budget
    ((0.001, 0.1, 0.0006), 2),  # unavailable over 0.05 %
    ((0.0035, 0.1, 0.00045), 1),  # two signals orange, none red
    ((0.0035, 0.31, 0.0), 2),  # the worst signal wins
]


def test_the_traffic_light_turns_at_the_slo_bounds(fleet: Fleet, tmp_path: Path) -> None:
    (expr,) = [t["expr"] for t in by_title(bandung(fleet), "gateway status")["targets"]]
    (tmp_path / "status.rules.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "status", "rules": [{"record": "test:status", "expr": expr}]}]})
    )
    labels = 'service="gateway", city="bandung"'
    names = (
        f"service:http_errors:ratio_rate5m{{{labels}}}",
        f"service:http_request_duration_seconds:p95_5m{{{labels}}}",
        f'slo:sli_error:ratio_rate5m{{{labels}, sloth_slo="availability"}}',
    )
    series = [
        {"series": name, "values": " ".join(str(signals[n]) for signals, _ in LIGHTS)} for n, name in enumerate(names)
    ]
    tests = [
        {
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": [
                {
                    "expr": "test:status",
                    "eval_time": f"{minute}m",
                    "exp_samples": [{"labels": "test:status", "value": light}],
                }
                for minute, (_, light) in enumerate(LIGHTS)
            ],
        }
    ]
    unit = tmp_path / "status.test.yaml"
    unit.write_text(yaml.safe_dump({"rule_files": ["status.rules.yaml"], "evaluation_interval": "1m", "tests": tests}))
    result = subprocess.run([PROMTOOL, "test", "rules", str(unit)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # the same run fails when one expected light is wrong
    tests[0]["promql_expr_test"][1]["exp_samples"][0]["value"] = 0  # type: ignore[index]
    unit.write_text(yaml.safe_dump({"rule_files": ["status.rules.yaml"], "evaluation_interval": "1m", "tests": tests}))
    assert (
        subprocess.run([PROMTOOL, "test", "rules", str(unit)], capture_output=True, text=True, check=False).returncode
        == 1
    )


def test_the_fleet_overview_holds_each_citys_edge_row_only(fleet: Fleet) -> None:
    """It is rendered in every city: per service it would grow with cities x services past a ConfigMap's 1 MiB."""
    rows = fleet.observability.dashboards.fleet.cities
    assert [row.city for row in rows] == [city.name for city in fleet.cities]
    assert all([panels.service for panels in row.services] == [fleet.spec.edge_service] for row in rows)
