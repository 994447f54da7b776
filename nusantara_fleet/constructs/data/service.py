"""Service of the data layer: the members' governing Service, the write (leader only), read and reporting
endpoints, and etcd's.

Names other cities must reach (the write Service, the reporting Service, etcd) are headless and published as
`<service>.<city>.<zone>` by external-dns: they resolve to pod IPs, which are routable fleet-wide.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import ServicePlan


class Service(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: ServicePlan) -> None:
        metadata = data_metadata(city, plan.identity, kind="Service", namespace=namespace)
        if plan.dns_host is not None:
            metadata["annotations"][naming.EXTERNAL_DNS_HOSTNAME] = plan.dns_host
            metadata["annotations"][naming.EXTERNAL_DNS_TTL] = str(plan.dns_ttl)
        spec: dict[str, Any] = {
            "ports": [{"name": p.name, "port": p.port, "protocol": "TCP", "targetPort": p.port} for p in plan.ports],
            "selector": plan.selector,
            "type": "ClusterIP",
        }
        if plan.headless:
            spec["clusterIP"] = "None"
        if plan.publish_not_ready:
            spec["publishNotReadyAddresses"] = True
        super().__init__(scope, {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}, plan=plan)
