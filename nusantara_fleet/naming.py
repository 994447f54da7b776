"""Every label, selector and object name in one place, so selectors agree across constructs."""

from __future__ import annotations

from importlib.metadata import version

from nusantara_fleet.model import City, Fleet

MANAGED_BY = "nusantara-fleet"
# Objects that are not a versioned app (namespaces, fleet facts) carry the generator's version.
GENERATOR_VERSION = version("nusantara-fleet")
CITY_LABEL = "fleet.nusantaramart.co.id/city"
ROLE_LABEL = "fleet.nusantaramart.co.id/role"
# On the gated city's Application: the Application health check lets the parent finish while it waits.
GATE_ANNOTATION = "fleet.nusantaramart.co.id/manual-gate"
ROLLOUT_STEP_LABEL = "fleet.nusantaramart.co.id/rollout-step"
# On Patroni StatefulSets and their pods: primary | replica | reporting, so a fleet-wide policy can
# require exactly one primary database across cities.
DATABASE_ROLE_LABEL = "fleet.nusantaramart.co.id/database-role"
# On every Patroni pod of a city (members and reporting): one node per pod (anti-affinity) and DNS.
DATABASE_CLUSTER_LABEL = "fleet.nusantaramart.co.id/database-cluster"
# Set by Patroni (or its role callback) on its own pod at runtime; the write and read Services select it.
PATRONI_ROLE_LABEL = "fleet.nusantaramart.co.id/patroni-role"
# On every pod of a service, stable and canary alike: network policies select a service by it.
SERVICE_LABEL = "fleet.nusantaramart.co.id/service"
# stable | canary, so dashboards and `kubectl` can compare the two versions of one service.
TRACK_LABEL = "fleet.nusantaramart.co.id/track"


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


def service_selector(service: str) -> dict[str, str]:
    """Selects every pod of a service, whichever version or track (NetworkPolicy peers and targets)."""
    return {SERVICE_LABEL: service}


def pod_labels(
    *, fleet: Fleet, city: City, name: str, component: str, version: str, service: str, track: str
) -> dict[str, str]:
    """A workload pod's labels: the standard ones plus the service it belongs to and its track."""
    return {
        **labels(fleet=fleet, city=city, name=name, component=component, version=version),
        SERVICE_LABEL: service,
        TRACK_LABEL: track,
    }
