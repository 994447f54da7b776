"""ExternalSecret `cluster-<city>`: registers a city's cluster with Argo CD under the city's name.

The Secret it creates is Argo CD's declarative cluster Secret (label `argocd.argoproj.io/secret-type:
cluster`, keys `name`, `server`, `config`). Name and server are rendered here; `config` (bearer token or
exec provider, TLS data) comes from the secret store, so no credential is ever in Git.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import CLUSTER_CONFIG_KEY as CONFIG
from nusantara_fleet.model.delivery import CLUSTER_SECRET_SYNC_OPTIONS, FLEET_SETUP_WAVE


class ClusterSecret(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        name = naming.cluster_secret(city.name)
        labels = delivery_labels(fleet=fleet, name=name, city=city)
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {
                    "annotations": {
                        naming.SYNC_OPTIONS: CLUSTER_SECRET_SYNC_OPTIONS,
                        naming.SYNC_WAVE: str(FLEET_SETUP_WAVE),
                    },
                    "labels": labels,
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "data": [
                        {
                            "remoteRef": {"key": delivery.cluster_credentials(city.name), "property": CONFIG},
                            "secretKey": CONFIG,
                        }
                    ],
                    "refreshInterval": delivery.secret_refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": delivery.secret_store},
                    "target": {
                        "creationPolicy": "Owner",
                        "deletionPolicy": "Retain",
                        "name": name,
                        "template": {
                            "data": {
                                CONFIG: "{{ .config }}",
                                "name": city.name,
                                "server": delivery.cluster_server(city.name),
                            },
                            "metadata": {"labels": {**labels, naming.ARGOCD_SECRET_TYPE_LABEL: "cluster"}},
                            "type": "Opaque",
                        },
                    },
                },
            },
            plan=(fleet.delivery, city),
        )
