"""Metadata every data-layer object shares: the standard labels, the database labels, the sync wave."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import DATA_LAYER, DatabaseRole
from nusantara_fleet.model.delivery import object_annotations

COMPONENT = "database"


def data_labels(
    *, fleet: Fleet, city: City, name: str, role: DatabaseRole | None = None, cluster: str | None = None
) -> dict[str, str]:
    """Standard labels; Patroni pods and StatefulSets add their cluster (Patroni scope) and database role."""
    labels = naming.labels(fleet=fleet, city=city, name=name, component=COMPONENT, version=fleet.spec.database.tag)
    if role is not None:
        labels[naming.DATABASE_ROLE_LABEL] = role
        labels[naming.DATABASE_CLUSTER_LABEL] = cluster or fleet.data.city(city.name).scope
    return labels


def data_metadata(
    *,
    fleet: Fleet,
    city: City,
    kind: str,
    name: str,
    role: DatabaseRole | None = None,
    cluster: str | None = None,
    app: str | None = None,
    namespaced: bool = True,
) -> dict[str, Any]:
    """`app` names the application in the labels when the object's name carries more (the city)."""
    metadata: dict[str, Any] = {
        "annotations": object_annotations(kind=kind, layer=DATA_LAYER),
        "labels": data_labels(fleet=fleet, city=city, name=app or name, role=role, cluster=cluster),
        "name": name,
    }
    if namespaced:
        metadata["namespace"] = fleet.spec.namespaces.data
    return metadata
