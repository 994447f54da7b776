"""What each city's cluster needs before the fleet can run there: add-ons the fleet installs, and checks."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.spec import FleetSpec


@dataclass(frozen=True)
class Prerequisites:
    addons: tuple[Addon, ...] = ()


def resolve_prerequisites(spec: FleetSpec, cities: tuple[City, ...]) -> Prerequisites:
    return Prerequisites()
