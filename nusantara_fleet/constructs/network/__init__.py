"""The network policies of a city's apps namespace: deny everything, then open exactly what the model lists.

What is open (see `model/workloads/resolve.py` for where each need comes from):
- everyone: DNS to the cluster DNS pods;
- the exposed service: from the edge proxies (their namespace, and their pods' labels when they share the
  apps namespace); to the services it routes to;
- the Gateway API edge's proxies, when they run in the apps namespace: from any client on the listener
  ports (the public edge), to the exposed service;
- each routed service: from the exposed service; to its city's database namespace (PostgreSQL only:
  Patroni's REST API is not the apps'), and, when it writes, to the pod networks of the cities that may
  hold the leader;
- cache clients: to the cache; the cache: from its clients only;
- payment services: to the payment providers' published ranges and ports;
- the monitoring namespace: to every service's metrics port, and its port for the health probes;
- the mesh: every meshed pod to istiod's xDS port; callers that fail over to the other cities' east-west
  gateways (their sidecars reach remote pods only there); and services with such callers from the local
  east-west gateway's pods, which relay the remote callers' mTLS connections unopened.

Each service's ingress rules come from the same flow table (`App.network.inbound`) as its
AuthorizationPolicy (constructs/traffic/mesh.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.network.edge import EdgeProxiesPolicy
from nusantara_fleet.constructs.network.network_policy import (
    NetworkPolicy,
    mesh_egress,
    namespace_peer,
    pods_peer,
    services_peer,
    tcp,
)
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.mesh import MeshTransport
from nusantara_fleet.model.workloads import App
from nusantara_fleet.model.workloads.plans import InboundFlow


def _namespace_pods(namespace: str, pods: Mapping[str, str]) -> dict[str, Any]:
    return pods_peer(namespace, pods) if pods else namespace_peer(namespace)


def _ingress(flows: tuple[InboundFlow, ...]) -> list[dict[str, Any]]:
    """One rule per flow: callers named by service are pods of the policy's own (apps) namespace."""
    return [
        {
            "from": [services_peer(flow.services) if flow.services else _namespace_pods(flow.namespace, flow.pods)],
            "ports": tcp(*flow.ports),
        }
        for flow in flows
    ]


def _eastwest_ingress(mesh: MeshTransport, ports: tuple[int, ...]) -> list[dict[str, Any]]:
    """Remote callers' connections arrive from the local east-west gateway, the TCP source after it relays."""
    return [{"from": [pods_peer(mesh.namespace, mesh.eastwest_labels)], "ports": tcp(*ports)}] if ports else []


def _app_ingress(app: App) -> list[dict[str, Any]]:
    net = app.network
    return [*_ingress(net.inbound), *_eastwest_ingress(net.mesh, net.remote_ingress_ports)]


def _app_egress(app: App) -> list[dict[str, Any]]:
    net = app.network
    rules: list[dict[str, Any]] = [
        {"ports": tcp(peers.port), "to": [services_peer(peers.services)]} for peers in net.egress_services
    ]
    rules.extend(mesh_egress(net.mesh, net.remote_egress))
    # Traces and logs to the city's collector.
    rules.append({"ports": tcp(net.telemetry_port), "to": [namespace_peer(net.monitoring_namespace)]})
    if net.database_namespace is not None:
        rules.append({"ports": tcp(*net.database_ports), "to": [namespace_peer(net.database_namespace)]})
    if net.database_cidrs:
        rules.append({"ports": tcp(net.write_port), "to": [{"ipBlock": {"cidr": cidr}} for cidr in net.database_cidrs]})
    if net.cache:
        rules.append({"ports": tcp(net.cache_port), "to": [services_peer((net.cache_name,))]})
    for peer in net.peers:
        rules.append({"ports": tcp(*peer.ports), "to": [{"ipBlock": {"cidr": cidr}} for cidr in peer.cidrs]})
    return rules


def render_city_network(scope: Construct, *, fleet: Fleet, city: City) -> None:
    policy = fleet.spec.network_policy
    NetworkPolicy(
        scope, fleet=fleet, city=city, name=naming.DEFAULT_DENY, pod_selector={}, ingress=[], egress=[], plan=None
    )
    dns_ports = [{"port": policy.dns_port, "protocol": protocol} for protocol in ("TCP", "UDP")]
    dns_peer = {**namespace_peer(policy.dns_namespace), "podSelector": {"matchLabels": policy.dns_pod_labels}}
    NetworkPolicy(
        scope,
        fleet=fleet,
        city=city,
        name=naming.ALLOW_DNS,
        plan=policy,
        pod_selector={},
        ingress=None,
        egress=[{"ports": dns_ports, "to": [dns_peer]}],
    )
    plan = fleet.workloads.city(city)
    if plan.edge.proxies is not None:
        EdgeProxiesPolicy(scope, fleet=fleet, city=city, proxies=plan.edge.proxies)
    for app in plan.apps:
        NetworkPolicy(
            scope,
            fleet=fleet,
            city=city,
            name=app.name,
            plan=app,
            pod_selector=naming.service_selector(app.name),
            ingress=_app_ingress(app),
            egress=_app_egress(app),
        )
    if plan.cache is not None:
        NetworkPolicy(
            scope,
            fleet=fleet,
            city=city,
            name=plan.cache.name,
            plan=plan.cache,
            pod_selector=naming.service_selector(plan.cache.name),
            ingress=_ingress(plan.cache.inbound),
            egress=mesh_egress(plan.cache.mesh, remote=False),
        )
