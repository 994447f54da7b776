"""One city's probes and scrapes. The blackbox exporter's own egress is the chart's business (its
Addon, rendered as an Argo CD Application in dist/fleet): no policy of the fleet's limits the
monitoring namespace's egress."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.observability.probe import Probe
from nusantara_fleet.constructs.observability.service_monitor import Monitor
from nusantara_fleet.model import City, Fleet


def render_city_scrape(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    scrape = fleet.observability.scrape
    plan = scrape.city(city.name)
    for probe in plan.probes:
        Probe(chart, city=city, scrape=scrape, probe=probe)
    for monitor in plan.monitors:
        Monitor(chart, city=city, monitor=monitor, interval=scrape.interval)
