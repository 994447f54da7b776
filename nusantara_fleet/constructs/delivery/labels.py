"""What every Argo CD object of the fleet shares: labels, setup metadata, and an Application's source."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import FLEET_SETUP_WAVE, Delivery

COMPONENT: naming.Component = "delivery"
ARGOCD = "argocd"  # the `part-of` value Argo CD requires on the ConfigMaps it reads


def delivery_labels(*, fleet: Fleet, name: str, city: City | None = None, layer: str | None = None) -> dict[str, str]:
    labels = naming.fleet_labels(
        project=fleet.spec.project, name=name, component=COMPONENT, version=naming.GENERATOR_VERSION
    )
    if city is not None:
        labels |= {
            naming.CITY_LABEL: city.name,
            naming.ROLE_LABEL: city.role,
            naming.ROLLOUT_STEP_LABEL: str(city.wave),
        }
    if layer is not None:
        labels[naming.LAYER_LABEL] = layer
    return labels


def argocd_labels(*, fleet: Fleet, name: str) -> dict[str, str]:
    """The standard labels, except `part-of: argocd`: Argo CD reads only ConfigMaps that carry it."""
    return {**delivery_labels(fleet=fleet, name=name), naming.PART_OF_LABEL: ARGOCD}


def setup_metadata(
    *, fleet: Fleet, name: str, labels: dict[str, str], sync_options: str | None = None
) -> dict[str, object]:
    """Metadata of the objects Argo CD needs before any city syncs (projects, its own config)."""
    annotations = {naming.SYNC_WAVE: str(FLEET_SETUP_WAVE)}
    if sync_options is not None:
        annotations[naming.SYNC_OPTIONS] = sync_options
    return {
        "annotations": annotations,
        "labels": labels,
        "name": name,
        "namespace": fleet.delivery.namespace,
    }


def application_source(
    delivery: Delivery, path: str, *, include: str | None = None, exclude: str | None = None
) -> dict[str, Any]:
    """One folder of `dist/` at the revision Argo CD follows; each folder is flat (one file per object).
    `include`/`exclude`: the file globs that split a city's folder into its data and apps Applications."""
    directory: dict[str, Any] = {"recurse": False}
    if include is not None:
        directory["include"] = include
    if exclude is not None:
        directory["exclude"] = exclude
    return {
        "directory": directory,
        "path": path,
        "repoURL": delivery.repo_url,
        "targetRevision": delivery.target_revision,
    }
