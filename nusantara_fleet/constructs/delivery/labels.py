"""Labels and metadata of the Argo CD objects: the fleet's standard labels, plus the city for per-city objects."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import FLEET_SETUP_WAVE, SYNC_WAVE

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


def setup_metadata(*, fleet: Fleet, name: str, labels: dict[str, str]) -> dict[str, object]:
    """Metadata of the objects Argo CD needs before any city syncs (projects, its own config)."""
    return {
        "annotations": {SYNC_WAVE: str(FLEET_SETUP_WAVE)},
        "labels": labels,
        "name": name,
        "namespace": fleet.delivery.namespace,
    }
