"""One Application per city (app-of-apps strategy): syncs dist/<city> into that city's cluster.

Its sync wave in the root is the city's place in the rollout order, so with the Application health
check in argocd-cm the root applies a city only once the cities before it are healthy.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import application_source, delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import (
    CHILD_APP_SYNC_OPTIONS,
    CITY_IGNORE_DIFFERENCES,
    REVISION_HISTORY,
    sync_policy,
)


class CityApplication(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        annotations = {
            naming.MANIFEST_PATHS: ".",
            naming.SYNC_OPTIONS: CHILD_APP_SYNC_OPTIONS,
            naming.SYNC_WAVE: str(city.wave),
        }
        if city.gated:
            annotations[naming.GATE_ANNOTATION] = "true"
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "annotations": annotations,
                    "finalizers": [naming.RESOURCES_FINALIZER],
                    "labels": delivery_labels(fleet=fleet, name=delivery.city_app(city.name), city=city),
                    "name": delivery.city_app(city.name),
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": city.name, "namespace": delivery.default_namespace},
                    "ignoreDifferences": list(CITY_IGNORE_DIFFERENCES),
                    "project": delivery.project,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": application_source(delivery, delivery.city_path(city.name)),
                    "syncPolicy": sync_policy(automated=delivery.automated(city)),
                },
            },
            plan=(fleet.delivery, city),
        )
