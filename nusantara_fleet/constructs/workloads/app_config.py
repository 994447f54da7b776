"""ConfigMap `<service>-config`: the endpoints a service reads at start (local reads, primary-city writes)."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import App


class AppConfig(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, app: App) -> None:
        name = naming.config_name(app.name)
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "data": app.config,
                "kind": "ConfigMap",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=app.stable.version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
            },
            plan=app,
        )
