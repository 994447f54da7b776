"""The stack renders nothing into a city's chart: kube-prometheus-stack is an add-on Application in
dist/fleet (constructs/delivery/addon_application.py), its values from model/observability/stack.py."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City, Fleet


def render_city_stack(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    """Nothing per city: the aggregate's `addons` carry the stack into dist/fleet."""
