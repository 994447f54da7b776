"""The cdk8s app: one chart per city (`dist/<city>/`) and one for fleet-wide objects (`dist/fleet/`)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from cdk8s import App, YamlOutputType
from constructs import Construct

from nusantara_fleet.constructs.data import render_city_data
from nusantara_fleet.constructs.delivery import render_fleet_delivery
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.network import render_city_network
from nusantara_fleet.constructs.observability import render_city_observability
from nusantara_fleet.constructs.platform import render_city_platform, render_fleet_platform
from nusantara_fleet.constructs.traffic import render_city_traffic, render_fleet_traffic
from nusantara_fleet.constructs.workloads import render_city_workloads
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.naming import FLEET_FOLDER


class CityChart(RenderChart):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, collect: bool = False) -> None:
        super().__init__(scope, city.name, collect=collect)
        render_city_platform(self, fleet=fleet, city=city)
        render_city_data(self, fleet=fleet, city=city)
        render_city_workloads(self, fleet=fleet, city=city)
        render_city_network(self, fleet=fleet, city=city)
        render_city_observability(self, fleet=fleet, city=city)
        render_city_traffic(self, fleet=fleet, city=city)


class FleetChart(RenderChart):
    def __init__(self, scope: Construct, *, fleet: Fleet, collect: bool = False) -> None:
        super().__init__(scope, FLEET_FOLDER, collect=collect)
        render_fleet_platform(self, fleet=fleet)
        render_fleet_delivery(self, fleet=fleet)
        render_fleet_traffic(self, fleet=fleet)


def chart_ids(fleet: Fleet) -> list[str]:
    return [*(city.name for city in fleet.cities), FLEET_FOLDER]


def build_app(
    fleet: Fleet, outdir: Path, *, collect: bool = False, only: Collection[str] | None = None
) -> tuple[App, list[RenderChart]]:
    """The app with every chart (or those named in `only`).

    With `collect`, charts keep their bodies (`chart.bodies`) and synth writes nothing.
    """
    wanted = set(chart_ids(fleet) if only is None else only)
    app = App(outdir=str(outdir), yaml_output_type=YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE)
    charts: list[RenderChart] = [
        CityChart(app, fleet=fleet, city=city, collect=collect) for city in fleet.cities if city.name in wanted
    ]
    if FLEET_FOLDER in wanted:
        charts.append(FleetChart(app, fleet=fleet, collect=collect))
    return app, charts
