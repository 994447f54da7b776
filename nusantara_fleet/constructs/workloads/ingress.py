"""Ingress (ingress-nginx): TLS for the public hosts, everything to the exposed service.

A canary of the exposed service gets a second Ingress with the same hosts and paths, which
ingress-nginx merges into the first and sends `canary-weight` % of requests to.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Edge, Variant


class Ingress(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge, variant: Variant) -> None:
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
                for host in edge.hosts
            ],
        }
        if variant.track == "canary":
            annotations = {
                f"{naming.NGINX_ANNOTATION_PREFIX}/canary": "true",
                f"{naming.NGINX_ANNOTATION_PREFIX}/canary-weight": str(variant.weight),
            }
        else:
            annotations = {f"{naming.NGINX_ANNOTATION_PREFIX}/force-ssl-redirect": "true"}
            spec["tls"] = [{"hosts": list(edge.hosts), "secretName": edge.tls_secret}]
        super().__init__(
            scope,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "annotations": annotations,
                    "labels": workload_labels(city, name=variant.name, version=variant.version),
                    "name": variant.name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": spec,
            },
            plan=edge,
        )
