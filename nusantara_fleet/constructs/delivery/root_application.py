"""The root Application (app of apps): syncs dist/fleet, which holds the projects, the city
Applications or the ApplicationSet, the cluster registrations and the health check.

Bootstrapped once by hand (`kubectl apply -n argocd -f dist/fleet/AppProject.<project>-fleet.k8s.yaml
-f dist/fleet/Application.<project>-fleet.k8s.yaml`); from then on it manages itself from Git.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import application_source, delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import REVISION_HISTORY, sync_policy


class RootApplication(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        delivery = fleet.delivery
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    "labels": delivery_labels(fleet=fleet, name=delivery.root_app),
                    "name": delivery.root_app,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "destination": {"name": naming.IN_CLUSTER, "namespace": delivery.namespace},
                    "project": delivery.root_app,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": application_source(delivery, delivery.fleet_path),
                    "syncPolicy": sync_policy(automated=True),
                },
            },
            plan=fleet.delivery,
        )
