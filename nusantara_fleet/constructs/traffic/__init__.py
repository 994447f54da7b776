"""Traffic between cities, rendered per city: the mesh, locality failover and global DNS."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.traffic.dns import render_city_dns, render_fleet_dns
from nusantara_fleet.constructs.traffic.failover import render_city_failover
from nusantara_fleet.constructs.traffic.mesh import render_city_mesh
from nusantara_fleet.model import City, Fleet


def render_city_traffic(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    render_city_mesh(chart, fleet=fleet, city=city)
    render_city_failover(chart, fleet=fleet, city=city)
    render_city_dns(chart, fleet=fleet, city=city)


def render_fleet_traffic(chart: RenderChart, *, fleet: Fleet) -> None:
    render_fleet_dns(chart, fleet=fleet)
