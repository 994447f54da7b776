"""Service: a stable name in front of one variant's pods (or the cache's)."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet


class Service(Manifest):
    def __init__(
        self,
        scope: Construct,
        *,
        fleet: Fleet,
        city: City,
        name: str,
        version: str,
        ports: dict[str, int],
        plan: object,
    ) -> None:
        """`ports` maps each named container port to the same Service port number."""
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "ports": [
                        {"name": port_name, "port": number, "protocol": "TCP", "targetPort": port_name}
                        for port_name, number in sorted(ports.items())
                    ],
                    "selector": city.selector(name),
                    "type": "ClusterIP",
                },
            },
            plan=plan,
        )
