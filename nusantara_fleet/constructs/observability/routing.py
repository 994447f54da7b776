"""The receivers' credentials of each city's Alertmanager: an ExternalSecret, no value rendered.

The routes and receivers themselves are Alertmanager configuration inside the kube-prometheus-stack
add-on's values (model/observability/stack.py); Alertmanager reads the credentials from the files this
Secret becomes (`alertmanagerSpec.secrets`).
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import object_annotations
from nusantara_fleet.model.observability.routing import ReceiversSecretPlan


class ReceiversExternalSecret(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, plan: ReceiversSecretPlan) -> None:
        kind = "ExternalSecret"
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": kind,
                "metadata": {
                    "annotations": object_annotations(kind=kind, layer="apps"),
                    "labels": city.labels(name=plan.name, component="observability", version=naming.GENERATOR_VERSION),
                    "name": plan.name,
                    "namespace": plan.namespace,
                },
                "spec": {
                    "data": [
                        {"remoteRef": {"key": plan.store_key, "property": prop}, "secretKey": prop}
                        for prop in plan.properties
                    ],
                    "refreshInterval": plan.refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": plan.store},
                    "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": plan.name},
                },
            },
            plan=plan,
        )


def render_city_routing(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    ReceiversExternalSecret(chart, city=city, plan=fleet.observability.routing.secret)
