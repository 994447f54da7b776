"""The network policies of a city's apps namespace: deny everything, then open exactly what the model lists.

What is open (see `model/workloads/resolve.py` for where each need comes from):
- everyone: DNS to the cluster DNS pods;
- the exposed service: from the edge proxies' namespace; to the services it routes to;
- each routed service: from the exposed service; to its city's database namespace (PostgreSQL only:
  Patroni's REST API is not the apps'), and, when it writes, to the pod networks of the cities that may
  hold the leader;
- cache clients: to the cache; the cache: from its clients only;
- payment services: to the payment providers' published ranges and ports;
- the monitoring namespace: to every service's metrics port, and its port for the health probes.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.network.network_policy import (
    NetworkPolicy,
    namespace_peer,
    services_peer,
    tcp,
)
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import App


def _app_ingress(app: App) -> list[dict[str, Any]]:
    net = app.network
    rules = []
    if net.ingress_namespace is not None:
        rules.append({"from": [namespace_peer(net.ingress_namespace)], "ports": tcp(app.port)})
    if net.ingress_services:
        rules.append({"from": [services_peer(net.ingress_services)], "ports": tcp(app.port)})
    # Scrapes reach the metrics port; the blackbox exporter's health probes reach the service port.
    rules.append({"from": [namespace_peer(net.monitoring_namespace)], "ports": tcp(app.port, app.metrics_port)})
    return rules


def _app_egress(app: App) -> list[dict[str, Any]]:
    net = app.network
    rules: list[dict[str, Any]] = [
        {"ports": tcp(peers.port), "to": [services_peer(peers.services)]} for peers in net.egress_services
    ]
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
            ingress=[{"from": [services_peer(plan.cache.clients)], "ports": tcp(plan.cache.port)}],
            egress=[],
        )
