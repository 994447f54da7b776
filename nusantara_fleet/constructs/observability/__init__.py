"""The observability objects of one city: rules, scrapes, probes, routing, dashboards, pipelines."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.observability.dashboards import render_city_dashboards
from nusantara_fleet.constructs.observability.logs import render_city_logs
from nusantara_fleet.constructs.observability.prometheus_mesh import render_city_prometheus_mesh
from nusantara_fleet.constructs.observability.routing import render_city_routing
from nusantara_fleet.constructs.observability.scrape import render_city_scrape
from nusantara_fleet.constructs.observability.sla import render_city_sla
from nusantara_fleet.constructs.observability.slo import render_city_slo
from nusantara_fleet.constructs.observability.stack import render_city_stack
from nusantara_fleet.constructs.observability.traces import render_city_traces
from nusantara_fleet.model import City, Fleet


def render_city_observability(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    render_city_slo(chart, fleet=fleet, city=city)
    render_city_sla(chart, fleet=fleet, city=city)
    render_city_scrape(chart, fleet=fleet, city=city)
    render_city_routing(chart, fleet=fleet, city=city)
    render_city_stack(chart, fleet=fleet, city=city)
    render_city_dashboards(chart, fleet=fleet, city=city)
    render_city_prometheus_mesh(chart, fleet=fleet, city=city)
    render_city_logs(chart, fleet=fleet, city=city)
    render_city_traces(chart, fleet=fleet, city=city)
