"""ExternalSecret: a database Secret from the cluster's secret store; no value is ever rendered.

Every city gets the same credentials and certificates (a standby streams the primary's catalog, so its
users are the primary's) and its own object-storage key. A certificate's ExternalSecret says what the
certificate stored for it must carry: the DNS names its clients verify and its usages.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import SecretPlan


class ExternalSecret(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: SecretPlan) -> None:
        metadata = data_metadata(city, plan.identity, kind="ExternalSecret", namespace=namespace)
        if plan.certificate is not None:
            if plan.certificate.dns_names:
                metadata["annotations"][naming.TLS_DNS_NAMES] = ",".join(plan.certificate.dns_names)
            metadata["annotations"][naming.TLS_USAGES] = ",".join(plan.certificate.usages)
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": metadata,
                "spec": {
                    "data": [
                        {"remoteRef": {"key": plan.store_key, "property": prop}, "secretKey": prop}
                        for prop in plan.properties
                    ],
                    "refreshInterval": plan.refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": plan.store},
                    "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": plan.identity.name},
                },
            },
            plan=plan,
        )
