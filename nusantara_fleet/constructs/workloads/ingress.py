"""Ingress (ingress-nginx): one per public host (`api`, `web`), TLS for it, everything to the exposed service.

Each also lists the host's name in the delegated zone, which global DNS (k8gb) reads from it. A canary
of the exposed service gets a second Ingress per host with the same hosts and paths, which
ingress-nginx merges into the first and sends `canary-weight` % of requests to.

In the mesh the controller runs with a sidecar that intercepts only its outbound traffic
(`traffic.sidecar.istio.io/includeInboundPorts: ""`, set where the controller is installed); each
Ingress sends to its Service's address (`service-upstream`) under the Service's cluster-local name
(`upstream-vhost`), which the sidecar routes with mTLS and locality failover. Without the name the
sidecar sees an unknown host and passes the request through in plain text, which STRICT mTLS refuses.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Edge, Variant
from nusantara_fleet.model.workloads.plans import EdgeRoute


class Ingress(Manifest):
    def __init__(
        self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge, route: EdgeRoute, variant: Variant
    ) -> None:
        backend = {"service": {"name": variant.name, "port": {"name": "http"}}}
        spec: dict[str, Any] = {
            "ingressClassName": edge.ingress_class,
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [{"backend": backend, "path": path, "pathType": "Prefix"} for path in edge.paths]
                    },
                }
                for host in route.hostnames
            ],
        }
        # In the mesh: the Service's cluster-local name, so the controller's sidecar takes the request.
        annotations = {
            naming.NGINX_SERVICE_UPSTREAM: "true",
            naming.NGINX_UPSTREAM_VHOST: edge.upstream_hosts[variant.name],
        }
        if variant.track == "canary":
            annotations[f"{naming.NGINX_ANNOTATION_PREFIX}/canary"] = "true"
            annotations[f"{naming.NGINX_ANNOTATION_PREFIX}/canary-weight"] = str(variant.weight)
        else:
            annotations[f"{naming.NGINX_ANNOTATION_PREFIX}/force-ssl-redirect"] = "true"
            spec["tls"] = [{"hosts": [route.host], "secretName": edge.tls_secret}]
        name = edge.ingress_name(route, variant)
        super().__init__(
            scope,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "annotations": annotations,
                    "labels": workload_labels(city, name=name, version=variant.version),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": spec,
            },
            plan=edge,
        )
