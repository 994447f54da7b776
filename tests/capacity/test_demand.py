"""Where a lost city's users go, and the load each city carries in every scenario, from envs/ alone."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.capacity.demand import Demand, resolve_demand
from nusantara_fleet.model.spec.capacity import CapacitySpec
from tests.support import ENVS, edit_yaml, set_primary

CAPACITY = CapacitySpec(peak_rps=3000, headroom_min_pct=30, headroom_max_pct=50)


def test_a_branch_s_users_go_to_the_primary_and_the_primary_s_to_the_next_in_the_preference() -> None:
    demand = resolve_demand(load_fleet(ENVS).spec)
    assert {lost: demand.takes_over(lost) for lost in demand.cities} == {
        "bandung": "jakarta",
        "surabaya": "jakarta",
        "jakarta": "bandung",
    }
    assert [demand.leader(scenario) for scenario in demand.scenarios] == ["jakarta", "jakarta", "jakarta", "bandung"]


def test_the_routing_follows_primary_and_preference_not_city_names(envs: Path) -> None:
    set_primary(envs, "bandung")
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"]["failover"].update(preference=["surabaya"]))
    demand = resolve_demand(load_fleet(envs).spec)
    assert {lost: demand.takes_over(lost) for lost in demand.cities} == {
        "bandung": "surabaya",
        "surabaya": "bandung",
        "jakarta": "bandung",
    }


def test_every_scenario_serves_all_the_users_at_the_top_of_the_band() -> None:
    demand = resolve_demand(load_fleet(ENVS).spec)
    assert demand.band == (3900, 4500)
    assert demand.shares == {
        "bandung": {None: 1, "surabaya": 1, "jakarta": 2},
        "surabaya": {None: 1, "bandung": 1, "jakarta": 1},
        "jakarta": {None: 1, "bandung": 2, "surabaya": 2},
    }
    for scenario in demand.scenarios:
        assert sum(demand.rps(city, scenario) for city in demand.up(scenario)) == 4500
    assert demand.rps("jakarta", "bandung") == 3000 and demand.rps("bandung", "bandung") == 0


def test_pods_round_up_in_whole_numbers_and_never_below_the_floor() -> None:
    demand = Demand(capacity=CAPACITY, cities=("a", "b", "c"), primary="a", successor="b")
    # 45 % of two shares of 1500 RPS is 1350 RPS: 5.4 pods at 250 RPS each
    assert demand.pods(shares=2, traffic_pct=45, rps_per_pod=250, floor=2) == 6
    assert demand.pods(shares=1, traffic_pct=10, rps_per_pod=150, floor=2) == 2  # 150 RPS is one pod
    assert demand.pods(shares=2, traffic_pct=100, rps_per_pod=500, floor=2, weight_pct=20) == 2  # 600 RPS
    assert demand.pods(shares=2, traffic_pct=100, rps_per_pod=500, floor=2, weight_pct=50) == 3  # 1500 RPS


def test_a_lone_city_has_no_one_to_take_its_users() -> None:
    demand = Demand(capacity=CAPACITY, cities=("a",), primary="a", successor=None)
    assert demand.scenarios == (None,)
    assert demand.shares == {"a": {None: 1}}
    assert demand.rps("a", None) == Fraction(4500)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (
            lambda fleet: fleet["capacity"].update(headroom_min_pct=60),
            "  headroom_max_pct: 50",
            "capacity.headroom_max_pct: 50 is below headroom_min_pct 60; the band runs from the lower headroom to "
            "the higher",
        ),
        (
            lambda fleet: fleet["hardware"].update(node_reserve={"memory": "4Gi"}),
            "  node_reserve:",
            "hardware.node_reserve: 500m CPU, 4Gi and 20 GB leave nothing of a light node (4 vCPU, 4 GiB, 50 GB); "
            "lower the reserve",
        ),
    ],
    ids=["headroom-band-upside-down", "reserve-as-large-as-a-node"],
)
def test_inconsistent_capacity_figures_are_refused(
    envs: Path, change: Callable[[dict[str, Any]], None], key: str, message: str
) -> None:
    edit_yaml(envs / "fleet.yaml", change)
    line = 1 + (envs / "fleet.yaml").read_text().splitlines().index(key)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert [str(problem) for problem in caught.value.problems] == [f"envs/fleet.yaml:{line}: {message}"]
