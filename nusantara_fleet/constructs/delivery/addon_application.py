"""One Application per add-on chart and city: a pinned Helm chart with values from the model."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.delivery import ADDON_SYNC_OPTIONS, ADDON_WAVES, RETRY, REVISION_HISTORY


class AddonApplication(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, addon: Addon) -> None:
        delivery = fleet.delivery
        name = naming.addon_app(addon.name, addon.city)
        labels = delivery_labels(fleet=fleet, name=name, city=fleet.city(addon.city))
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "annotations": {naming.SYNC_WAVE: str(ADDON_WAVES[addon.stage])},
                    "finalizers": [naming.RESOURCES_FINALIZER],
                    "labels": labels,
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": addon.city, "namespace": addon.namespace},
                    "project": delivery.addons_project,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": {
                        "chart": addon.chart,
                        "helm": {"releaseName": addon.name, "valuesObject": dict(addon.values)},
                        "repoURL": addon.repo_url,
                        "targetRevision": addon.version,
                    },
                    # Every city's add-ons sync on their own, the gated city's too: the gate holds releases
                    # of the shop, not the monitoring that watches them.
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "retry": RETRY,
                        "syncOptions": list(ADDON_SYNC_OPTIONS),
                        **(
                            {"managedNamespaceMetadata": {"labels": dict(addon.namespace_labels)}}
                            if addon.namespace_labels
                            else {}
                        ),
                    },
                },
            },
            plan=addon,
        )
