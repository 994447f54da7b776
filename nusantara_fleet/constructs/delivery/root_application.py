"""The root Application (app of apps): syncs dist/fleet, which holds the projects, the city
Applications or the ApplicationSet, the cluster registrations and the health check.

Bootstrapped once by hand (`kubectl apply -n argocd -f dist/fleet/AppProject.<project>-fleet.k8s.yaml
-f dist/fleet/Application.<project>-fleet.k8s.yaml`); from then on it manages itself from Git.
"""

from __future__ import annotations

from nusantara_fleet.constructs.delivery.labels import delivery_labels
from nusantara_fleet.constructs.delivery.sync_policy import sync_policy
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import APP_SYNC_OPTIONS, IN_CLUSTER, REVISION_HISTORY


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
                    "destination": {"name": IN_CLUSTER, "namespace": delivery.namespace},
                    "project": delivery.root_app,
                    "revisionHistoryLimit": REVISION_HISTORY,
                    "source": {
                        "directory": {"recurse": False},
                        "path": delivery.fleet_path,
                        "repoURL": delivery.repo_url,
                        "targetRevision": delivery.target_revision,
                    },
                    "syncPolicy": sync_policy(automated=True, options=APP_SYNC_OPTIONS),
                },
            },
        )
