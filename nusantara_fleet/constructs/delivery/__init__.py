"""Argo CD objects that roll the fleet out city by city, rendered into dist/fleet."""

from __future__ import annotations

from nusantara_fleet.constructs.delivery.addon_application import AddonApplication
from nusantara_fleet.constructs.delivery.app_project import AddonsProject, CitiesProject, FleetProject
from nusantara_fleet.constructs.delivery.application_set import CityApplicationSet
from nusantara_fleet.constructs.delivery.argocd_cm import ArgoCdConfig
from nusantara_fleet.constructs.delivery.city_application import CityApplication, DataApplication, PlatformApplication
from nusantara_fleet.constructs.delivery.cluster_secret import ClusterSecret
from nusantara_fleet.constructs.delivery.cmd_params import ArgoCdCmdParams
from nusantara_fleet.constructs.delivery.root_application import RootApplication
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import Fleet


def render_fleet_delivery(chart: RenderChart, *, fleet: Fleet) -> None:
    RootApplication(chart, fleet=fleet)
    FleetProject(chart, fleet=fleet)
    CitiesProject(chart, fleet=fleet)
    ArgoCdConfig(chart, fleet=fleet)
    for city in fleet.cities:
        ClusterSecret(chart, fleet=fleet, city=city)
    if fleet.addons:
        AddonsProject(chart, fleet=fleet)
        for addon in fleet.addons:
            AddonApplication(chart, fleet=fleet, addon=addon)
    for city in fleet.cities:
        PlatformApplication(chart, fleet=fleet, city=city)
        DataApplication(chart, fleet=fleet, city=city)
    if fleet.delivery.strategy == "application-set":
        ArgoCdCmdParams(chart, fleet=fleet)
        CityApplicationSet(chart, fleet=fleet)
    else:
        for city in fleet.cities:
            CityApplication(chart, fleet=fleet, city=city)
