"""NetworkPolicies of the data namespace: deny by default, then admit exactly the database traffic."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import DefaultDenyPlan, IngressPlan


def _policy(city: City, namespace: str, plan: IngressPlan | DefaultDenyPlan, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": data_metadata(city, plan.identity, kind="NetworkPolicy", namespace=namespace),
        "spec": spec,
    }


class DefaultDeny(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: DefaultDenyPlan) -> None:
        spec = {"podSelector": {}, "policyTypes": ["Ingress"]}
        super().__init__(scope, _policy(city, namespace, plan, spec), plan=plan)


class Ingress(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: IngressPlan) -> None:
        # CNIs such as Cilium do not match in-cluster pod IPs against `ipBlock`: in-city peers by selector.
        peers: list[dict[str, Any]] = [{"podSelector": {}}] if plan.same_namespace else []
        peers += [{"namespaceSelector": {"matchLabels": {naming.NAMESPACE_NAME_LABEL: ns}}} for ns in plan.namespaces]
        peers += [{"ipBlock": {"cidr": cidr}} for cidr in plan.cidrs]
        spec = {
            "ingress": [{"from": peers, "ports": [{"port": port, "protocol": "TCP"} for port in plan.ports]}],
            "podSelector": {"matchLabels": plan.pod_selector},
            "policyTypes": ["Ingress"],
        }
        super().__init__(scope, _policy(city, namespace, plan, spec), plan=plan)
