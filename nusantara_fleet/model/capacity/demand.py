"""The load on each city, with every city up and with any one city lost, at the design capacity.

The design gives one fleet-wide figure, so every city serves an equal share of the users. Its failure
scenarios say where a lost city's users go:

    a branch city is lost   ─▶ its users go to the primary city (Jakarta in the default fleet)
    the primary is lost     ─▶ its users go to the next city of `database.failover.preference`
                               (Bandung), which also takes over the writes

So in any scenario a city serves no share (it is the lost one), its own, or two (its own and the lost
city's). Loads are sized at the upper end of the headroom band: peak 3000 RPS + 50 % = 4500 RPS at
the edge, 1500 RPS a share in a fleet of three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from nusantara_fleet.model.data.layer import preference_order
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.capacity import CapacitySpec

ALL_TRAFFIC_PCT = 100
# None: every city up; otherwise the name of the one city that is lost.
Scenario = str | None
NORMAL: Scenario = None


def design_capacity_rps(capacity: CapacitySpec) -> tuple[int, int]:
    """Peak plus the design's headroom band: 3000 RPS at 30-50 % gives 3900-4500 RPS."""
    return (
        capacity.peak_rps * (100 + capacity.headroom_min_pct) // 100,
        capacity.peak_rps * (100 + capacity.headroom_max_pct) // 100,
    )


def scenario_name(scenario: Scenario) -> str:
    return "normal" if scenario is None else f"{scenario} lost"


@dataclass(frozen=True)
class Demand:
    """Who serves whom in each scenario. The RPS figures are derived on each use from `capacity`, so
    whatever reads one (an HPA's bounds) reads the design figures behind it, for `fleet explain`."""

    capacity: CapacitySpec
    cities: tuple[str, ...]  # in rollout order
    primary: str
    successor: str | None  # takes the primary's users and writes; None in a fleet of one city

    @property
    def band(self) -> tuple[int, int]:
        return design_capacity_rps(self.capacity)

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Every city up, then each city lost in rollout order (a lone city has nobody to take its users)."""
        return (NORMAL, *self.cities) if self.successor is not None else (NORMAL,)

    def takes_over(self, lost: str) -> str:
        """The city a lost city's users go to."""
        return self.successor if lost == self.primary and self.successor is not None else self.primary

    def leader(self, scenario: Scenario) -> str:
        """The city whose database takes the writes in `scenario`."""
        return self.takes_over(scenario) if scenario == self.primary else self.primary

    @cached_property
    def shares(self) -> Mapping[str, Mapping[Scenario, int]]:
        """City -> each scenario it is up in -> the users' shares it serves there (one, or two)."""
        return {
            city: {
                scenario: 2 if scenario is not None and self.takes_over(scenario) == city else 1
                for scenario in self.scenarios
                if scenario != city
            }
            for city in self.cities
        }

    def up(self, scenario: Scenario) -> tuple[str, ...]:
        return tuple(city for city in self.cities if city != scenario)

    def rps(self, city: str, scenario: Scenario) -> Fraction:
        """Requests per second at the city's edge in `scenario`, at the upper end of the design capacity."""
        return Fraction(self.band[1] * self.shares[city].get(scenario, 0), len(self.cities))

    def pods(self, *, shares: int, traffic_pct: int, rps_per_pod: int, floor: int, weight_pct: int = 100) -> int:
        """Pods that carry `weight_pct` % of a service's part (`traffic_pct` %) of `shares` of the users, never
        fewer than `floor`; in whole numbers, so every city and scenario rounds alike."""
        load = self.band[1] * shares * traffic_pct * weight_pct
        per_pod = len(self.cities) * ALL_TRAFFIC_PCT * ALL_TRAFFIC_PCT * rps_per_pod
        return max(floor, -(-load // per_pod))


def resolve_demand(spec: FleetSpec) -> Demand:
    order = preference_order(spec)
    return Demand(
        capacity=spec.capacity,
        cities=tuple(spec.rollout.order),
        primary=spec.primary,
        successor=order[1] if len(order) > 1 else None,
    )
