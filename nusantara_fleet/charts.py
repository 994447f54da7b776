"""The cdk8s app: one chart per city (`dist/<city>/`) and one for fleet-wide objects (`dist/fleet/`)."""

from __future__ import annotations

from pathlib import Path

from cdk8s import App, YamlOutputType
from constructs import Construct

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.platform import render_city_platform, render_fleet_platform
from nusantara_fleet.model import City, Fleet

FLEET_CHART = "fleet"


class CityChart(RenderChart):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City) -> None:
        super().__init__(scope, city.name)
        render_city_platform(self, fleet=fleet, city=city)


class FleetChart(RenderChart):
    def __init__(self, scope: Construct, *, fleet: Fleet) -> None:
        super().__init__(scope, FLEET_CHART)
        render_fleet_platform(self, fleet=fleet)


def build_app(fleet: Fleet, outdir: Path) -> tuple[App, list[RenderChart]]:
    app = App(outdir=str(outdir), yaml_output_type=YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE)
    charts: list[RenderChart] = [CityChart(app, fleet=fleet, city=city) for city in fleet.cities]
    charts.append(FleetChart(app, fleet=fleet))
    return app, charts
