"""HorizontalPodAutoscaler of a service's stable Deployment, between the bounds the model derives from capacity."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import App


class HorizontalPodAutoscaler(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, app: App) -> None:
        name = app.stable.name
        super().__init__(
            scope,
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=app.stable.version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "maxReplicas": app.scaling.max_replicas,
                    "metrics": [
                        {
                            "resource": {
                                "name": "cpu",
                                "target": {"averageUtilization": app.cpu_utilization_pct, "type": "Utilization"},
                            },
                            "type": "Resource",
                        }
                    ],
                    "minReplicas": app.scaling.min_replicas,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                },
            },
            plan=app,
        )
