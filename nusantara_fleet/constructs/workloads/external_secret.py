"""ExternalSecret of the apps namespace: a service's database password, or PostgreSQL's CA; no value rendered."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data.plans import SecretPlan


class AppExternalSecret(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, plan: SecretPlan) -> None:
        name = plan.identity.name
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {
                    "labels": workload_labels(city, name=name, version=plan.identity.version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "data": [
                        {"remoteRef": {"key": plan.store_key, "property": prop}, "secretKey": prop}
                        for prop in plan.properties
                    ],
                    "refreshInterval": plan.refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": plan.store},
                    "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": name},
                },
            },
            plan=plan,
        )
