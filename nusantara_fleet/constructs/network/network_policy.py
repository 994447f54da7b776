"""NetworkPolicy: one pod set's allowed peers; anything not listed by some policy stays denied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.mesh import MeshTransport

COMPONENT: naming.Component = "network"


def namespace_peer(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {naming.NAMESPACE_NAME_LABEL: name}}}


def services_peer(services: tuple[str, ...]) -> dict[str, Any]:
    """Pods of these services (stable and canary) in the policy's own namespace."""
    return {
        "podSelector": {"matchExpressions": [{"key": naming.SERVICE_LABEL, "operator": "In", "values": list(services)}]}
    }


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"port": port, "protocol": "TCP"} for port in ports]


class NetworkPolicy(Manifest):
    def __init__(
        self,
        scope: Construct,
        *,
        fleet: Fleet,
        city: City,
        name: str,
        pod_selector: dict[str, str],
        ingress: list[dict[str, Any]] | None,
        egress: list[dict[str, Any]] | None,
        plan: object,
        namespace: str | None = None,
    ) -> None:
        """`None` leaves a direction out of the policy; `[]` denies it for the selected pods. The policy is in
        the apps namespace unless `namespace` says otherwise."""
        spec: dict[str, Any] = {"podSelector": {"matchLabels": pod_selector} if pod_selector else {}}
        types = []
        if ingress is not None:
            spec["ingress"] = ingress
            types.append("Ingress")
        if egress is not None:
            spec["egress"] = egress
            types.append("Egress")
        spec["policyTypes"] = types
        super().__init__(
            scope,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {
                    "labels": city.labels(name=name, component=COMPONENT, version=naming.GENERATOR_VERSION),
                    "name": name,
                    "namespace": fleet.spec.namespaces.apps if namespace is None else namespace,
                },
                "spec": spec,
            },
            plan=plan,
        )


def pods_peer(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {**namespace_peer(namespace), "podSelector": {"matchLabels": dict(labels)}}


def mesh_egress(mesh: MeshTransport, remote: bool) -> list[dict[str, Any]]:
    rules = [{"ports": tcp(mesh.istiod_port), "to": [pods_peer(mesh.namespace, mesh.istiod_labels)]}]
    if remote and mesh.remote_gateways:
        rules.append({"ports": tcp(mesh.remote_port), "to": [{"ipBlock": {"cidr": c}} for c in mesh.remote_gateways]})
    return rules
