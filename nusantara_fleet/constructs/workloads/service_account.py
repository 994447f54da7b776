"""ServiceAccount of one service: its own identity, with no API token mounted (no service calls the API)."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet


class ServiceAccount(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, name: str, version: str, plan: object) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "automountServiceAccountToken": False,
                "kind": "ServiceAccount",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
            },
            plan=plan,
        )
