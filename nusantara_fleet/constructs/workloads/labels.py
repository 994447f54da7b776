"""Labels of the workload objects: the standard ones, plus the service and track on every pod."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.model import City

COMPONENT: naming.Component = "workloads"


def workload_labels(city: City, *, name: str, version: str) -> dict[str, str]:
    return city.labels(name=name, component=COMPONENT, version=version)


def pod_labels(city: City, *, name: str, version: str, service: str, track: str) -> dict[str, str]:
    """A workload pod's labels: the standard ones plus the service it belongs to and its track."""
    return {
        **naming.template_labels(workload_labels(city, name=name, version=version)),
        naming.SERVICE_LABEL: service,
        naming.TRACK_LABEL: track,
    }
