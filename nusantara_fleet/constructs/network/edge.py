"""NetworkPolicy of the Gateway API edge's proxies, which Istio runs in the apps namespace beside the Gateway.

The namespace denies everything by default, so the proxies get their own policy: any client may reach the
listener ports (the edge is public: its load balancer forwards the internet's connections, and there is
no narrower peer to name), and the proxies may send only to the exposed service (here or, when it is
down, through the other cities' east-west gateways) and to istiod.
"""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.network.network_policy import NetworkPolicy, mesh_egress, services_peer, tcp
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads.plans import EdgeProxies


class EdgeProxiesPolicy(NetworkPolicy):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, proxies: EdgeProxies) -> None:
        super().__init__(
            scope,
            fleet=fleet,
            city=city,
            name=proxies.policy,
            plan=proxies,
            pod_selector=dict(proxies.labels),
            # A rule without `from` admits every source. This is the fleet's one deliberately public port set;
            # `deny_open_ingress` (policy/network.rego) still refuses any 0.0.0.0/0 peer elsewhere.
            ingress=[{"ports": tcp(*proxies.ports)}],
            # The proxies are mesh Envoys: istiod configures them, and the backend fails over to other cities.
            egress=[
                {"ports": tcp(proxies.backend_port), "to": [services_peer(proxies.backends)]},
                *mesh_egress(proxies.mesh, remote=True),
            ],
        )
