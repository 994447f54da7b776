"""ExternalSecrets: the database Secrets come from the cluster's secret store; no value is rendered.

Every city gets the same credentials and CA (a standby streams the primary's catalog, so its users
are the primary's) and its own object-storage key.
"""

from __future__ import annotations

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import CREDENTIALS_SECRET, OBJECT_STORAGE_SECRET, TLS_SECRET


def secret_keys(city: City) -> dict[str, tuple[str, list[str]]]:
    """Secret name → (store key, properties copied from it)."""
    return {
        CREDENTIALS_SECRET: ("credentials", ["app-password", "replication-password", "superuser-password"]),
        OBJECT_STORAGE_SECRET: (f"object-storage/{city.name}", ["access-key-id", "secret-access-key"]),
        TLS_SECRET: ("tls", ["ca.crt", "tls.crt", "tls.key"]),
    }


class ExternalSecret(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, name: str) -> None:
        secrets = fleet.spec.database.secrets
        key, properties = secret_keys(city)[name]
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": data_metadata(fleet=fleet, city=city, kind="ExternalSecret", name=name),
                "spec": {
                    "data": [
                        {"remoteRef": {"key": f"{secrets.path}/{key}", "property": prop}, "secretKey": prop}
                        for prop in properties
                    ],
                    "refreshInterval": secrets.refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": secrets.store},
                    "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": name},
                },
            },
        )
