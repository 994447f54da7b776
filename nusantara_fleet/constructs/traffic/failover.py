"""Traffic objects of one city: failover."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City, Fleet


def render_city_failover(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    return None
