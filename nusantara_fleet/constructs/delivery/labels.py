"""Labels of the Argo CD objects: the fleet's standard labels, plus the city for per-city objects."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.model import City, Fleet

COMPONENT = "delivery"


def delivery_labels(*, fleet: Fleet, name: str, city: City | None = None) -> dict[str, str]:
    labels = naming.fleet_labels(fleet=fleet, name=name, component=COMPONENT, version=naming.GENERATOR_VERSION)
    if city is not None:
        labels |= {
            naming.CITY_LABEL: city.name,
            naming.ROLE_LABEL: city.role,
            naming.ROLLOUT_STEP_LABEL: str(city.wave),
        }
    return labels
