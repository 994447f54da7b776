"""Traffic objects of one city: the mesh (Istio's root namespace, CA and remote secrets, the cross-network
Gateway, mesh-wide STRICT mTLS, and one AuthorizationPolicy per service of the apps namespace).

The charts themselves (istio-base, istio-cni, istiod, the east-west gateway) are add-on Applications
(constructs/delivery/addon_application.py) with the values `model/traffic/mesh.py` derives.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.constructs.network.network_policy import NetworkPolicy, namespace_peer, tcp
from nusantara_fleet.constructs.platform.namespace import Namespace
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.delivery import object_annotations
from nusantara_fleet.model.traffic.mesh import AuthorizationPlan, MeshPlan, PermissivePort, StoreSecret

COMPONENT: naming.Component = "network"


def _metadata(city: City, *, kind: str, name: str, namespace: str) -> dict[str, Any]:
    # The apps' wave: the data layer's is for the data layer alone. On a first install, pods may start a
    # moment before STRICT mTLS and their AuthorizationPolicy apply (Istio then allows plaintext and every caller).
    return {
        "annotations": object_annotations(kind=kind, layer="apps"),
        "labels": city.labels(name=name, component=COMPONENT, version=naming.GENERATOR_VERSION),
        "name": name,
        "namespace": namespace,
    }


class MeshExternalSecret(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, plan: StoreSecret) -> None:
        kind = "ExternalSecret"
        target: dict[str, Any] = {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": plan.name}
        if plan.labels or plan.annotations:
            target["template"] = {
                "metadata": {"annotations": dict(plan.annotations), "labels": dict(plan.labels)},
            }
        super().__init__(
            scope,
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": kind,
                "metadata": _metadata(city, kind=kind, name=plan.name, namespace=plan.namespace),
                "spec": {
                    "data": [
                        {"remoteRef": {"key": plan.store_key, "property": prop}, "secretKey": key}
                        for prop, key in zip(plan.properties, plan.secret_keys, strict=True)
                    ],
                    "refreshInterval": plan.refresh,
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": plan.store},
                    "target": target,
                },
            },
            plan=plan,
        )


class CrossNetworkGateway(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, mesh: MeshPlan) -> None:
        kind = "Gateway"
        name = mesh.cross_network_gateway
        super().__init__(
            scope,
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": kind,
                "metadata": _metadata(city, kind=kind, name=name, namespace=mesh.namespace),
                "spec": {
                    "selector": dict(mesh.eastwest_selector),
                    "servers": [
                        {
                            "hosts": list(mesh.cross_network_hosts),
                            "port": {"name": "tls", "number": mesh.cross_network_port, "protocol": "TLS"},
                            "tls": {"mode": "AUTO_PASSTHROUGH"},
                        }
                    ],
                },
            },
            plan=mesh,
        )


class MeshPeerAuthentication(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, mesh: MeshPlan) -> None:
        kind = "PeerAuthentication"
        super().__init__(
            scope,
            {
                "apiVersion": "security.istio.io/v1",
                "kind": kind,
                "metadata": _metadata(city, kind=kind, name=naming.MESH_PEER_AUTHENTICATION, namespace=mesh.namespace),
                "spec": {"mtls": {"mode": mesh.mtls_mode}},
            },
            plan=mesh,
        )


class PermissivePortAuthentication(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, plan: PermissivePort) -> None:
        kind = "PeerAuthentication"
        super().__init__(
            scope,
            {
                "apiVersion": "security.istio.io/v1",
                "kind": kind,
                "metadata": _metadata(city, kind=kind, name=plan.name, namespace=plan.namespace),
                "spec": {
                    "mtls": {"mode": "STRICT"},
                    "portLevelMtls": {str(plan.port): {"mode": "PERMISSIVE"}},
                    "selector": {"matchLabels": dict(plan.selector)},
                },
            },
            plan=plan,
        )


class AuthorizationPolicy(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, plan: AuthorizationPlan) -> None:
        kind = "AuthorizationPolicy"
        super().__init__(
            scope,
            {
                "apiVersion": "security.istio.io/v1",
                "kind": kind,
                "metadata": _metadata(city, kind=kind, name=plan.name, namespace=plan.namespace),
                "spec": {
                    "action": "ALLOW",
                    "rules": [
                        {
                            "from": [
                                {
                                    "source": {"notPrincipals": ["*"]}
                                    if rule.plaintext
                                    else {"principals": list(rule.principals)}
                                }
                            ],
                            "to": [{"operation": {"ports": [str(port) for port in rule.ports]}}],
                        }
                        for rule in plan.rules
                    ],
                    "selector": {"matchLabels": dict(plan.selector)},
                },
            },
            plan=plan,
        )


def render_city_mesh(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    mesh = fleet.traffic.mesh
    plan = mesh.city(city)
    Namespace(
        chart,
        city=city,
        name=mesh.namespace,
        labels={naming.MESH_NETWORK_LABEL: plan.network},
        level=mesh.root_namespace_level,
        plan=mesh,
    )
    MeshExternalSecret(chart, city=city, plan=plan.ca)
    for secret in plan.remote_secrets:
        MeshExternalSecret(chart, city=city, plan=secret)
    CrossNetworkGateway(chart, city=city, mesh=mesh)
    MeshPeerAuthentication(chart, city=city, mesh=mesh)
    NetworkPolicy(
        chart,
        fleet=fleet,
        city=city,
        name=naming.MESH_DEFAULT_DENY,
        pod_selector={},
        ingress=[],
        egress=None,
        plan=mesh,
        namespace=mesh.namespace,
    )
    for rule in mesh.root_ingress:
        peers = {"from": [namespace_peer(ns) for ns in rule.namespaces]} if rule.namespaces else {}
        NetworkPolicy(
            chart,
            fleet=fleet,
            city=city,
            name=rule.name,
            pod_selector=dict(rule.selector),
            ingress=[{**peers, "ports": tcp(*rule.ports)}],
            egress=None,
            plan=rule,
            namespace=mesh.namespace,
        )
    for policy in plan.authorization:
        AuthorizationPolicy(chart, city=city, plan=policy)
