"""HPA bounds come from the design capacity in the model, never go below two, and never past the nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import load_fleet
from tests.support import DIST, city_docs, edit_yaml


def _hpa(city: str, service: str) -> dict[str, Any]:
    spec: dict[str, Any] = city_docs(DIST, city)[("HorizontalPodAutoscaler", service)]["spec"]
    return spec


@pytest.mark.parametrize(
    ("service", "maxima"),
    [
        # 4500 RPS / 3 cities = 1500 RPS at 500 RPS per pod: 3 pods, but one per node on 2 general nodes
        ("gateway", {"bandung": 2, "surabaya": 2, "jakarta": 3}),
        # 45 % of 1500 = 675 RPS at 250 RPS per pod: 3 pods, capped the same way
        ("catalog", {"bandung": 2, "surabaya": 2, "jakarta": 3}),
        ("order", {"bandung": 2, "surabaya": 2, "jakarta": 2}),  # 15 % of 1500 = 225 RPS at 150 RPS per pod
        ("payment", {"bandung": 2, "surabaya": 2, "jakarta": 2}),  # 150 RPS needs one pod; never below two
    ],
)
def test_bounds_follow_the_design_capacity(service: str, maxima: dict[str, int]) -> None:
    for city, maximum in maxima.items():
        spec = _hpa(city, service)
        assert (spec["minReplicas"], spec["maxReplicas"]) == (2, maximum), city
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
        assert city_docs(DIST, city)[("Deployment", service)]["spec"]["replicas"] == 2


def test_capacity_the_pools_cannot_place_is_a_warning(envs: Path) -> None:
    fleet = load_fleet(envs)
    short = sorted((w.file, str(w).split(": ")[2].split()[0]) for w in fleet.warnings if w.field != "edge")
    assert short == [
        ("envs/bandung.yaml", "catalog"),
        ("envs/bandung.yaml", "gateway"),
        ("envs/surabaya.yaml", "catalog"),
        ("envs/surabaya.yaml", "gateway"),
    ]


def test_more_traffic_scales_further_but_not_past_one_pod_per_node(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["capacity"].update(peak_rps=6000))
    fleet = load_fleet(envs)
    gateway = next(app for app in fleet.workloads.city("jakarta").apps if app.name == "gateway")
    scaling = gateway.scaling
    assert (scaling.share_rps, scaling.needed, scaling.max_replicas) == (3000, 6, 3)
    messages = [str(w) for w in fleet.warnings if w.field == "node_pools.general.nodes"]
    line = 1 + (envs / "jakarta.yaml").read_text().splitlines().index("  general: {nodes: 3}")
    assert (
        f"envs/jakarta.yaml:{line}: node_pools.general.nodes: gateway needs 6 pods for its 3000 RPS share of the "
        "design capacity at 500 RPS per pod, but one pod per node on 3 general node(s) caps it at 3; add general nodes"
    ) in messages


def test_a_surge_pod_is_used_only_when_a_node_is_free() -> None:
    docs = city_docs(DIST, "jakarta")
    # The gateway may run on all three nodes, so a rollout replaces a pod before starting the next.
    assert city_docs(DIST, "bandung")[("Deployment", "order")]["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
    assert docs[("Deployment", "gateway")]["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    assert docs[("Deployment", "order")]["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def test_a_design_without_headroom_still_keeps_two_replicas(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["capacity"].update(peak_rps=1, headroom_max_pct=0))
    fleet = load_fleet(envs)
    apps = fleet.workloads.city(fleet.city("bandung")).apps
    assert {(app.scaling.min_replicas, app.scaling.max_replicas) for app in apps} == {(2, 2)}
