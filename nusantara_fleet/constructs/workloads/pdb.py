"""PodDisruptionBudget: a drain or node upgrade always leaves a replica of a multi-replica workload serving."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet


class PodDisruptionBudget(Manifest):
    def __init__(
        self,
        scope: Construct,
        *,
        fleet: Fleet,
        city: City,
        name: str,
        version: str,
        min_available: int,
        unhealthy_eviction: str,
        plan: object,
    ) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "minAvailable": min_available,
                    "selector": {"matchLabels": city.selector(name)},
                    "unhealthyPodEvictionPolicy": unhealthy_eviction,
                },
            },
            plan=plan,
        )
