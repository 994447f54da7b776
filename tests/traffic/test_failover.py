"""Locality failover: Istio's own ranking, run on the rendered DestinationRules, gives the design's orders."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import naming
from nusantara_fleet.charts import build_app
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.traffic.failover import FailoverPlan
from tests.support import add_canaries, edit_yaml, set_primary, variant_envs
from tests.traffic.failover_support import order, priorities, problems

CITIES = ["bandung", "surabaya", "jakarta"]  # rollout order, as the failover list is rendered
DEFAULT_ORDERS = {
    "bandung": ["bandung", "jakarta", "surabaya"],
    "surabaya": ["surabaya", "jakarta", "bandung"],
    "jakarta": ["jakarta", "bandung", "surabaya"],
}
BANDUNG_PRIMARY_ORDERS = {
    "bandung": ["bandung", "jakarta", "surabaya"],
    "surabaya": ["surabaya", "bandung", "jakarta"],
    "jakarta": ["jakarta", "bandung", "surabaya"],
}
DR = "DestinationRule"
VS = "VirtualService"

Rules = dict[str, dict[str, dict[str, Any]]]  # city -> name -> object


@dataclasses.dataclass(frozen=True)
class Render:
    fleet: Fleet
    objects: dict[str, dict[tuple[str, str], dict[str, Any]]]  # city -> (kind, name) -> object

    def rules(self, city: str) -> dict[str, dict[str, Any]]:
        return {name: doc for (kind, name), doc in self.objects[city].items() if kind == DR}


def _render(tmp: Path, *edits: Callable[[Path], None]) -> Render:
    fleet = load_fleet(variant_envs(tmp, *edits))
    _, charts = build_app(fleet, tmp / "unused", collect=True)
    objects = {
        chart.chart_id: {(doc["kind"], doc["metadata"]["name"]): doc for doc in chart.bodies}
        for chart in charts
        if chart.chart_id in CITIES
    }
    return Render(fleet, objects)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Render:
    return _render(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def bandung_primary(tmp_path_factory: pytest.TempPathFactory) -> Render:
    return _render(tmp_path_factory.mktemp("bandung-primary"), functools.partial(set_primary, city="bandung"))


def test_the_port_ranks_as_istio_documents() -> None:
    """Istio's table: same zone 0, same region 1-2, the `failover` target next, every other region last."""
    proxy = ("bandung", "z1", "")
    endpoints = [("bandung", "z1", ""), ("bandung", "z2", ""), ("jakarta", "z1", ""), ("surabaya", "z1", "")]
    assert priorities(proxy, endpoints, [{"from": "bandung", "to": "jakarta"}]) == [0, 1, 2, 3]
    assert priorities(proxy, endpoints, []) == [0, 1, 2, 2]  # no entry: the other cities share one priority
    first_wins = [{"from": "bandung", "to": "surabaya"}, {"from": "bandung", "to": "jakarta"}]
    assert priorities(proxy, endpoints, first_wins) == [0, 1, 3, 2]


def test_default_orders_from_the_rendered_rules(default: Render) -> None:
    for city, expected in DEFAULT_ORDERS.items():
        assert list(default.fleet.traffic.failover.orders[city]) == expected
        for name, rule in default.rules(city).items():
            assert order(rule, city, CITIES) == [{each} for each in expected], (city, name)


def test_the_failover_list_is_one_entry_per_city_to_its_second(default: Render) -> None:
    rule = default.rules("bandung")["catalog"]
    assert rule["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"] == {
        "enabled": True,
        "failover": [
            {"from": "bandung", "to": "jakarta"},
            {"from": "surabaya", "to": "jakarta"},
            {"from": "jakarta", "to": "bandung"},
        ],
    }


def test_orders_follow_the_primary(bandung_primary: Render) -> None:
    assert {city: list(o) for city, o in bandung_primary.fleet.traffic.failover.orders.items()} == (
        BANDUNG_PRIMARY_ORDERS
    )
    for city, expected in BANDUNG_PRIMARY_ORDERS.items():
        for name, rule in bandung_primary.rules(city).items():
            assert order(rule, city, CITIES) == [{each} for each in expected], (city, name)
            assert not problems(rule, CITIES), (city, name)


def test_the_order_check_fires_on_a_broken_rule(default: Render) -> None:
    rule = default.rules("bandung")["catalog"]
    reordered = copy.deepcopy(rule)
    reordered["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"]["failover"][0]["to"] = "surabaya"
    assert order(reordered, "bandung", CITIES) == [{"bandung"}, {"surabaya"}, {"jakarta"}]
    blind = copy.deepcopy(rule)
    del blind["spec"]["trafficPolicy"]["outlierDetection"]
    assert order(blind, "bandung", CITIES) == [set(CITIES)]  # no outlier detection: no order at all


def test_every_rule_holds_the_invariants(default: Render) -> None:
    for city in CITIES:
        for name, rule in default.rules(city).items():
            assert problems(rule, CITIES) == [], (city, name)


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(rule: dict[str, Any]) -> None:
        node = rule
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


POLICY = ("spec", "trafficPolicy")
LOCALITY = (*POLICY, "loadBalancer", "localityLbSetting")
OUTLIER = (*POLICY, "outlierDetection")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_set(OUTLIER, None), "localityLbSetting without outlierDetection"),
        (_set((*OUTLIER, "maxEjectionPercent"), None), "maxEjectionPercent None, not an explicit 100"),
        (_set((*OUTLIER, "maxEjectionPercent"), 10), "maxEjectionPercent 10, not an explicit 100"),
        (_set((*OUTLIER, "consecutive5xxErrors"), None), "consecutive5xxErrors left to Istio's default"),
        (_set((*LOCALITY, "distribute"), [{"from": "bandung/*", "to": {"jakarta/*": 100}}]), "distribute given"),
        (_set((*LOCALITY, "failover"), [{"from": "bandung", "to": "bandung"}]), "failover from 'bandung' to itself"),
        (_set((*LOCALITY, "failover"), [{"from": "bandung", "to": "medan"}]), "'medan' is no city's region"),
        (_set((*LOCALITY, "failover"), [{"from": "bandung", "to": "jakarta/*"}]), "'jakarta/*' is not a plain"),
        (
            _set(
                (*LOCALITY, "failover"), [{"from": "bandung", "to": "jakarta"}, {"from": "bandung", "to": "surabaya"}]
            ),
            "several failover entries for one region",
        ),
    ],
)
def test_each_invariant_fires_on_a_broken_rule(
    default: Render, breakage: Callable[[dict[str, Any]], None], message: str
) -> None:
    rule = copy.deepcopy(default.rules("jakarta")["order"])
    breakage(rule)
    assert any(message in problem for problem in problems(rule, CITIES)), problems(rule, CITIES)


def test_every_service_and_the_cache_have_one_rule_the_same_in_every_city(default: Render) -> None:
    fleet = default.fleet
    expected = {service.name for service in fleet.services} | {fleet.spec.report_cache.name}
    bodies: dict[str, tuple[Any, Any]] = {}
    for city in CITIES:
        rules = default.rules(city)
        assert set(rules) == expected, city
        for name, rule in rules.items():
            assert rule["metadata"]["namespace"] == fleet.spec.namespaces.apps
            assert rule["spec"]["host"] == naming.cluster_local_host(name, fleet.spec.namespaces.apps)
            body = (rule["spec"], rule["metadata"]["annotations"])
            assert bodies.setdefault(name, body) == body, (city, name)


def test_a_rule_ejects_on_gateway_and_local_errors_only_and_states_its_times(default: Render) -> None:
    objects = default.objects["surabaya"]
    rule = objects[(DR, "payment")]
    assert rule["spec"]["trafficPolicy"]["outlierDetection"] == {
        "baseEjectionTime": "30s",
        "consecutive5xxErrors": 0,
        "consecutiveGatewayErrors": 3,
        "consecutiveLocalOriginFailures": 3,
        "interval": "5s",
        "maxEjectionPercent": 100,
        "splitExternalLocalOriginErrors": True,
    }
    assert rule["spec"]["trafficPolicy"]["loadBalancer"]["simple"] == "LEAST_REQUEST"
    # readiness 3 x 5 s + the last probe's 2 s + istiod's 10 s push bound; 3 timeouts of 5 s
    assert rule["metadata"]["annotations"] == {naming.FAILOVER_SECONDS: "27", naming.EJECTION_SECONDS: "15"}
    assert objects[(VS, "payment")]["spec"] == {
        "hosts": ["payment.shop.svc.cluster.local"],
        "http": [{"route": [{"destination": {"host": "payment.shop.svc.cluster.local"}}], "timeout": "5s"}],
    }
    assert (VS, default.fleet.spec.report_cache.name) not in objects  # Redis is TCP: no HTTP timeout


def test_times_follow_the_probes_and_the_timeout(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["workloads"] = {
            "probes": {"readiness": {"period_seconds": 10, "timeout_seconds": 3, "failure_threshold": 2}}
        }
        fleet["traffic"]["failover"] = {"request_timeout_seconds": 8, "consecutive_local_origin_failures": 4}

    render = _render(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    times = render.fleet.traffic.failover.times
    assert (times.readiness_seconds, times.not_ready_seconds, times.ejection_seconds) == (23, 33, 32)
    annotations = render.rules("bandung")["catalog"]["metadata"]["annotations"]
    assert annotations == {naming.FAILOVER_SECONDS: "33", naming.EJECTION_SECONDS: "32"}


def test_a_canary_service_gets_its_own_rule_in_its_city(tmp_path: Path) -> None:
    render = _render(tmp_path, add_canaries)
    bandung = render.rules("bandung")
    for name in ("gateway", "order"):
        canary = bandung[naming.canary_name(name)]
        assert canary["spec"]["host"] == f"{naming.canary_name(name)}.shop.svc.cluster.local"
        assert canary["spec"]["trafficPolicy"] == bandung[name]["spec"]["trafficPolicy"]
        assert (VS, naming.canary_name(name)) in render.objects["bandung"]
    assert not {name for name in render.rules("surabaya") if name.endswith(naming.CANARY_SUFFIX)}


def _with_orders(plan: FailoverPlan, orders: dict[str, tuple[str, ...]]) -> FailoverPlan:
    return dataclasses.replace(plan, orders=orders)


def test_more_than_three_cities_warn_that_istio_cannot_rank_the_rest(default: Render) -> None:
    fleet = default.fleet
    assert not fleet.traffic.failover.warnings(fleet.sources)
    assert not [warning for warning in fleet.warnings if "Istio ranks" in warning.message]
    four = _with_orders(
        fleet.traffic.failover,
        {
            "bandung": ("bandung", "jakarta", "surabaya", "medan"),
            "jakarta": ("jakarta", "bandung", "surabaya", "medan"),
            "surabaya": ("surabaya", "jakarta", "bandung", "medan"),
            "medan": ("medan", "jakarta", "bandung", "surabaya"),
        },
    )
    warnings = four.warnings(fleet.sources)
    assert [warning.field for warning in warnings] == ["database.failover.preference"] * 4
    assert warnings[0].file.endswith("fleet.yaml") and warnings[0].line is not None
    assert warnings[0].message == (
        "bandung's callers fail over to jakarta first, but Istio ranks only one fallback city per city: "
        "surabaya, medan then share one priority and get that traffic evenly, in no order"
    )


def test_node_locality_is_the_city_name_and_checkable(default: Render) -> None:
    plan = default.fleet.traffic.failover
    assert plan.region_label == "topology.kubernetes.io/region"
    assert dict(plan.regions) == {city: city for city in CITIES}
    assert plan.node_check("surabaya") == (
        "kubectl --context surabaya get nodes -l 'topology.kubernetes.io/region!=surabaya' "
        "-L topology.kubernetes.io/region"
    )
