"""HTTPRoutes (Gateway API): the same routing as the Ingress.

`api`, `web`: one route per public host, on that host's HTTPS listener, to the exposed service, split by
weight with its canary when it has one; each also lists the host's name in the delegated zone, which
global DNS (k8gb) reads from the route. `<service>-https-redirect`: plain HTTP on those hosts answers 301 to HTTPS.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Edge
from nusantara_fleet.model.workloads.plans import EdgeRoute


def _route(
    fleet: Fleet, city: City, edge: Edge, name: str, hostnames: tuple[str, ...], spec: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "labels": workload_labels(city, name=name, version=edge.app.stable.version),
            "name": name,
            "namespace": fleet.spec.namespaces.apps,
        },
        "spec": {**spec, "hostnames": list(hostnames)},
    }


class HTTPRoute(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge, route: EdgeRoute) -> None:
        backends = [
            {"kind": "Service", "name": variant.name, "port": edge.app.port, "weight": variant.weight}
            for variant in edge.backends
        ]
        spec = {
            # One parent (k8gb takes the route's addresses from exactly one Gateway), on the host's listener.
            "parentRefs": [{"name": edge.gateway, "sectionName": route.listener}],
            "rules": [
                {"backendRefs": backends, "matches": [{"path": {"type": "PathPrefix", "value": path}}]}
                for path in edge.paths
            ],
        }
        super().__init__(scope, _route(fleet, city, edge, route.name, route.hostnames, spec), plan=edge)


class HTTPSRedirect(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge) -> None:
        spec = {
            "parentRefs": [{"name": edge.gateway, "sectionName": edge.http_listener}],
            "rules": [
                {"filters": [{"requestRedirect": {"scheme": "https", "statusCode": 301}, "type": "RequestRedirect"}]}
            ],
        }
        super().__init__(scope, _route(fleet, city, edge, edge.redirect_route, edge.hosts, spec), plan=edge)
