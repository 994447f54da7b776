"""Metadata every data-layer object shares: the standard labels, the database labels, the sync wave."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import Identity
from nusantara_fleet.model.delivery import Layer, object_annotations

COMPONENT: naming.Component = "data"
LAYER: Layer = "data"


def data_labels(city: City, identity: Identity) -> dict[str, str]:
    """Standard labels; Patroni pods and StatefulSets add their cluster (Patroni scope) and database role."""
    labels = city.labels(name=identity.app, component=COMPONENT, version=identity.version)
    if identity.role is not None:
        labels[naming.DATABASE_ROLE_LABEL] = identity.role
    if identity.cluster is not None:
        labels[naming.DATABASE_CLUSTER_LABEL] = identity.cluster
    return labels


def data_metadata(city: City, identity: Identity, *, kind: str, namespace: str | None) -> dict[str, Any]:
    """`namespace` None for cluster-scoped kinds."""
    metadata: dict[str, Any] = {
        "annotations": object_annotations(kind=kind, layer=LAYER),
        "labels": data_labels(city, identity),
        "name": identity.name,
    }
    if namespace is not None:
        metadata["namespace"] = namespace
    return metadata
