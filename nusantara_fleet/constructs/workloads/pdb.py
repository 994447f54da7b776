"""PodDisruptionBudget: a drain or node upgrade always leaves a replica of a multi-replica workload serving."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import PDB_MIN_AVAILABLE, PDB_UNHEALTHY_EVICTION


class PodDisruptionBudget(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, name: str, component: str, version: str) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {
                    "labels": naming.labels(fleet=fleet, city=city, name=name, component=component, version=version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "minAvailable": PDB_MIN_AVAILABLE,
                    "selector": {"matchLabels": naming.selector_labels(name=name, city=city)},
                    "unhealthyPodEvictionPolicy": PDB_UNHEALTHY_EVICTION,
                },
            },
        )
