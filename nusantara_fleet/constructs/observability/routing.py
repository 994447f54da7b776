"""Placeholder of the routing area's constructs."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City, Fleet


def render_city_routing(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    """Objects of this area in one city's chart."""
