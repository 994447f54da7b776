"""What the traffic plans are resolved from: the resolved cities, services, data layer and workloads."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.cities import City, Service
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.workloads import Workloads


@dataclass(frozen=True)
class Inputs:
    spec: FleetSpec
    cities: tuple[City, ...]
    services: tuple[Service, ...]
    layer: DataLayer
    workloads: Workloads

    @property
    def primary(self) -> City:
        return next(city for city in self.cities if city.is_primary)
