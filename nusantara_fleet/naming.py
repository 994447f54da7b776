"""Every label, selector and object name in one place, so selectors agree across constructs."""

from __future__ import annotations

from nusantara_fleet.model import City, Fleet

MANAGED_BY = "nusantara-fleet"
CITY_LABEL = "fleet.nusantaramart.co.id/city"
ROLE_LABEL = "fleet.nusantaramart.co.id/role"


def selector_labels(*, name: str, city: City) -> dict[str, str]:
    """Labels a selector may use: never the version, since selectors are immutable."""
    return {"app.kubernetes.io/instance": f"{name}-{city.name}", "app.kubernetes.io/name": name}


def labels(*, fleet: Fleet, city: City, name: str, component: str, version: str) -> dict[str, str]:
    """The standard labels every object carries, plus the city and its database role."""
    return {
        **selector_labels(name=name, city=city),
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": fleet.spec.project,
        "app.kubernetes.io/version": version,
        CITY_LABEL: city.name,
        ROLE_LABEL: city.role,
    }


def fleet_labels(*, fleet: Fleet, name: str, component: str, version: str) -> dict[str, str]:
    """Labels of fleet-wide objects, which belong to no single city."""
    return {
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": f"{name}-fleet",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": fleet.spec.project,
        "app.kubernetes.io/version": version,
    }
