"""HTTPRoutes (Gateway API): the same routing as the Ingress.

`<service>`: the public hosts' HTTPS listeners to the exposed service, split by weight with its canary
when it has one. `<service>-https-redirect`: plain HTTP on those hosts answers 301 to HTTPS.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Edge


def _route(fleet: Fleet, city: City, edge: Edge, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "labels": workload_labels(city, name=name, version=edge.app.stable.version),
            "name": name,
            "namespace": fleet.spec.namespaces.apps,
        },
        "spec": {**spec, "hostnames": list(edge.hosts)},
    }


class HTTPRoute(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge) -> None:
        backends = [
            {"kind": "Service", "name": variant.name, "port": edge.app.port, "weight": variant.weight}
            for variant in edge.backends
        ]
        spec = {
            "parentRefs": [{"name": edge.gateway, "sectionName": listener.name} for listener in edge.listeners],
            "rules": [
                {"backendRefs": backends, "matches": [{"path": {"type": "PathPrefix", "value": path}}]}
                for path in edge.paths
            ],
        }
        super().__init__(scope, _route(fleet, city, edge, edge.app.name, spec), plan=edge)


class HTTPSRedirect(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge) -> None:
        spec = {
            "parentRefs": [{"name": edge.gateway, "sectionName": edge.http_listener}],
            "rules": [
                {"filters": [{"requestRedirect": {"scheme": "https", "statusCode": 301}, "type": "RequestRedirect"}]}
            ],
        }
        super().__init__(scope, _route(fleet, city, edge, edge.redirect_route, spec), plan=edge)
