"""What every observability area resolves from: the specs and the views resolved before it."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.capacity.demand import Demand
from nusantara_fleet.model.cities import City, Service
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.workloads import Workloads


@dataclass(frozen=True)
class Inputs:
    spec: FleetSpec
    cities: tuple[City, ...]  # in rollout order
    services: tuple[Service, ...]
    layer: DataLayer
    workloads: Workloads
    demand: Demand
