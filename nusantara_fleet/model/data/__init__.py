"""The data layer, resolved: Patroni timings from the RTO and RPO, who may lead and in which order,
the endpoints the apps use (`layer.py`), and one plan per object each city renders (`resolve.py`)."""

from __future__ import annotations

from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.layer import CityData, DataLayer
from nusantara_fleet.model.data.plans import CityDataPlan
from nusantara_fleet.model.data.resolve import plan_city
from nusantara_fleet.model.spec import FleetSpec


def plan_data(spec: FleetSpec, layer: DataLayer, cities: tuple[City, ...]) -> dict[str, CityDataPlan]:
    """Each city's plans from the checked layer (plans depend on the whole layer)."""
    return {city.name: plan_city(spec, layer, city) for city in cities}


__all__ = ["CityData", "CityDataPlan", "DataLayer", "plan_data"]
