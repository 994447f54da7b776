"""A city's three Applications: its platform, its data layer and its apps, all on dist/<city>, split by file name.

The platform Application (the add-ons' project, automated in every city like the charts) syncs what the city's
charts read at start, a wave before them (`PLATFORM_WAVE`).

The data Applications of every city share one wave of the root (`DATA_WAVE`): etcd needs a quorum of members
and the replicas need the primary city's member, so the cities' data layers come up together. The apps
Application (app-of-apps strategy) takes the city's place in the rollout order after them, so with the
Application health check in argocd-cm the root applies a city's apps only once the cities before it are
healthy. The gated city's Applications never sync by themselves: a release manager syncs them.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import application_source, delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import (
    CHILD_APP_SYNC_OPTIONS,
    CITY_IGNORE_DIFFERENCES,
    DATA_WAVE,
    PLATFORM_WAVE,
    REVISION_HISTORY,
    sync_policy,
)


def _annotations(*, wave: int, gated: bool) -> dict[str, str]:
    annotations = {
        naming.MANIFEST_PATHS: ".",
        naming.SYNC_OPTIONS: CHILD_APP_SYNC_OPTIONS,
        naming.SYNC_WAVE: str(wave),
    }
    if gated:
        annotations[naming.GATE_ANNOTATION] = "true"
    return annotations


class CityApplication(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        name = delivery.city_app(city.name)
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "annotations": _annotations(wave=delivery.apps_wave(city), gated=city.gated),
                    "finalizers": [naming.RESOURCES_FINALIZER],
                    "labels": delivery_labels(fleet=fleet, name=name, city=city, layer="apps"),
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": city.name, "namespace": delivery.default_namespace},
                    "ignoreDifferences": list(CITY_IGNORE_DIFFERENCES),
                    "project": delivery.project,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": application_source(
                        delivery, delivery.city_path(city.name), exclude=delivery.apps_exclude(city.name)
                    ),
                    "syncPolicy": sync_policy(automated=delivery.automated(city)),
                },
            },
            plan=(fleet.delivery, city),
        )


class DataApplication(Manifest):
    """Rendered for both strategies: the ApplicationSet's RollingSync orders the apps only."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        name = delivery.data_app(city.name)
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "annotations": _annotations(wave=DATA_WAVE, gated=city.gated),
                    "finalizers": [naming.RESOURCES_FINALIZER],
                    "labels": delivery_labels(fleet=fleet, name=name, city=city, layer="data"),
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": city.name, "namespace": delivery.default_namespace},
                    "project": delivery.project,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": application_source(
                        delivery, delivery.city_path(city.name), include=delivery.data_glob(city.name)
                    ),
                    "syncPolicy": sync_policy(automated=delivery.automated(city)),
                },
            },
            plan=(fleet.delivery, city),
        )


class PlatformApplication(Manifest):
    """Rendered for both strategies, before the charts; it creates the charts' namespace no city renders."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        name = delivery.platform_app(city.name)
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "annotations": _annotations(wave=PLATFORM_WAVE, gated=False),
                    "finalizers": [naming.RESOURCES_FINALIZER],
                    "labels": delivery_labels(fleet=fleet, name=name, city=city, layer="platform"),
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": city.name, "namespace": delivery.platform_namespace},
                    "project": delivery.addons_project,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": application_source(
                        delivery, delivery.city_path(city.name), include=delivery.platform_glob(city.name)
                    ),
                    "syncPolicy": delivery.platform_sync_policy(),
                },
            },
            plan=(fleet.delivery, city),
        )
