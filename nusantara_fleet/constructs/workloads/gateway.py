"""Gateway (Gateway API): one HTTPS listener per public host terminating TLS, plus plain HTTP for the redirect.

With Istio's implementation the Gateway's proxies are a Deployment `<gateway>-<class>` in the Gateway's
namespace, behind a LoadBalancer Service that takes `spec.addresses`.
"""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Edge


class Gateway(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, edge: Edge) -> None:
        same_namespace = {"namespaces": {"from": "Same"}}
        listeners = [
            {
                "allowedRoutes": same_namespace,
                "hostname": listener.host,
                "name": listener.name,
                "port": edge.https_port,
                "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"kind": "Secret", "name": edge.tls_secret}], "mode": "Terminate"},
            }
            for listener in edge.listeners
        ]
        listeners.append(
            {"allowedRoutes": same_namespace, "name": edge.http_listener, "port": edge.http_port, "protocol": "HTTP"}
        )
        super().__init__(
            scope,
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": {
                    "labels": workload_labels(city, name=edge.gateway, version=naming.GENERATOR_VERSION),
                    "name": edge.gateway,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    # The load balancer address global DNS answers with, so dist/ and DNS name the same one.
                    "addresses": [{"type": "IPAddress", "value": edge.address}],
                    "gatewayClassName": edge.gateway_class,
                    "listeners": listeners,
                },
            },
            plan=edge,
        )
