"""HPA bounds come from the capacity model: a city's share of the design capacity with any one city lost,
never below two replicas, and with no cap from the pool's node count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.workloads import App
from tests.support import DIST, ENVS, city_docs, edit_yaml, set_primary


def _hpa(city: str, service: str) -> dict[str, Any]:
    spec: dict[str, Any] = city_docs(DIST, city)[("HorizontalPodAutoscaler", service)]["spec"]
    return spec


def _app(fleet: Fleet, city: str, service: str) -> App:
    return next(app for app in fleet.workloads.city(city).apps if app.name == service)


@pytest.mark.parametrize(
    ("service", "maxima"),
    [
        # 4500 RPS in three shares of 1500; Jakarta takes a lost branch's, Bandung a lost Jakarta's:
        # 3000 RPS at 500 RPS per pod is 6 pods; Surabaya never takes over, 1500 RPS is 3.
        ("gateway", {"bandung": 6, "surabaya": 3, "jakarta": 6}),
        ("catalog", {"bandung": 6, "surabaya": 3, "jakarta": 6}),  # 45 % of 3000 = 1350 RPS at 250 per pod
        ("order", {"bandung": 3, "surabaya": 2, "jakarta": 3}),  # 15 % of 3000 = 450 RPS at 150 per pod
        ("payment", {"bandung": 2, "surabaya": 2, "jakarta": 2}),  # 150 RPS needs one pod; never below two
    ],
)
def test_bounds_carry_the_city_s_load_with_another_city_lost(service: str, maxima: dict[str, int]) -> None:
    for city, maximum in maxima.items():
        spec = _hpa(city, service)
        assert (spec["minReplicas"], spec["maxReplicas"]) == (2, maximum), city
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
        assert city_docs(DIST, city)[("Deployment", service)]["spec"]["replicas"] == 2


def test_each_scenario_has_its_pods_and_the_hpa_reaches_the_most() -> None:
    fleet = load_fleet(ENVS)
    jakarta, bandung, surabaya = (_app(fleet, city, "gateway").scaling for city in ("jakarta", "bandung", "surabaya"))
    assert jakarta.pods == {None: 3, "bandung": 6, "surabaya": 6}
    assert bandung.pods == {None: 3, "surabaya": 3, "jakarta": 6}
    assert surabaya.pods == {None: 3, "bandung": 3, "jakarta": 3}


def test_the_primary_s_users_follow_the_failover_preference(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"]["failover"].update(preference=["surabaya"]))
    fleet = load_fleet(envs)
    maxima = {city: _app(fleet, city, "gateway").scaling.max_replicas for city in ("bandung", "surabaya", "jakarta")}
    assert maxima == {"bandung": 3, "surabaya": 6, "jakarta": 6}


def test_a_new_primary_takes_the_branches_users(envs: Path) -> None:
    set_primary(envs, "bandung")  # preference [bandung, jakarta, surabaya]: Jakarta takes Bandung's users
    fleet = load_fleet(envs)
    assert _app(fleet, "bandung", "gateway").scaling.pods == {None: 3, "surabaya": 6, "jakarta": 6}
    assert _app(fleet, "jakarta", "gateway").scaling.pods == {None: 3, "bandung": 6, "surabaya": 3}


def test_more_traffic_scales_past_one_pod_per_node(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["capacity"].update(peak_rps=6000))
    fleet = load_fleet(envs)
    gateway = _app(fleet, "jakarta", "gateway")
    # 9000 RPS: a share is 3000, Jakarta with a branch lost 6000 at 500 per pod, on 5 general nodes
    assert (gateway.scaling.max_replicas, fleet.city("jakarta").pools["general"].nodes) == (12, 5)


def test_a_design_without_headroom_still_keeps_two_replicas(envs: Path) -> None:
    edit_yaml(
        envs / "fleet.yaml", lambda fleet: fleet["capacity"].update(peak_rps=1, headroom_min_pct=0, headroom_max_pct=0)
    )
    fleet = load_fleet(envs)
    apps = fleet.workloads.city(fleet.city("bandung")).apps
    assert {(app.scaling.min_replicas, app.scaling.max_replicas) for app in apps} == {(2, 2)}


def test_a_rollout_starts_a_new_pod_before_stopping_an_old_one() -> None:
    for city in ("bandung", "surabaya", "jakarta"):
        for (kind, name), doc in city_docs(DIST, city).items():
            if kind == "Deployment":
                strategy = doc["spec"]["strategy"]["rollingUpdate"]
                assert strategy == {"maxSurge": 1, "maxUnavailable": 0}, f"{city}/{name}"


@pytest.mark.parametrize(("weight", "replicas"), [(20, 2), (50, 3)])
def test_a_canary_carries_its_slice_of_the_busiest_load(envs: Path, weight: int, replicas: int) -> None:
    canary = {"gateway": {"canary": {"tag": "1.9.0-rc.1", "weight": weight}}}
    edit_yaml(envs / "bandung.yaml", lambda city: {**city, "services": canary})
    fleet = load_fleet(envs)
    # Bandung takes Jakarta's users: 3000 RPS; the slice at 500 RPS per pod, never below two
    variant = _app(fleet, "bandung", "gateway").canary
    assert variant is not None and variant.replicas == replicas
