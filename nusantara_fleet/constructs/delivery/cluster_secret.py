"""Secret `cluster-<city>`: registers a city's cluster with Argo CD under the city's name.

A template without credentials: the bearer token or exec provider is added to `config` out of band
(the root Application ignores `/data/config` once the Secret exists), so nothing secret is in Git.
"""

from __future__ import annotations

import json

from nusantara_fleet.constructs.delivery.labels import delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import FLEET_SETUP_WAVE, SYNC_OPTIONS, SYNC_WAVE

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
# Verified TLS and nothing else: credentials never live in the rendered output.
CONFIG = json.dumps({"tlsClientConfig": {"insecure": False}}, sort_keys=True)


class ClusterSecret(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        delivery = fleet.delivery
        name = f"cluster-{city.name}"
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    # Removing a cluster by mistake would orphan its Applications: never prune it.
                    "annotations": {SYNC_OPTIONS: "Prune=false", SYNC_WAVE: str(FLEET_SETUP_WAVE)},
                    "labels": {**delivery_labels(fleet=fleet, name=name, city=city), SECRET_TYPE_LABEL: "cluster"},
                    "name": name,
                    "namespace": delivery.namespace,
                },
                "stringData": {"config": CONFIG, "name": city.name, "server": delivery.cluster_server(city)},
                "type": "Opaque",
            },
        )
