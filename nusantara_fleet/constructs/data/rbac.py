"""ServiceAccount, Role and RoleBinding of one data-layer account: what Patroni or the backup needs, no more."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import AccountPlan, PolicyRule


def _rule(rule: PolicyRule) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "apiGroups": list(rule.api_groups),
        "resources": list(rule.resources),
        "verbs": list(rule.verbs),
    }
    if rule.resource_names:
        rendered["resourceNames"] = list(rule.resource_names)
    return rendered


class ServiceAccount(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: AccountPlan) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": data_metadata(city, plan.identity, kind="ServiceAccount", namespace=namespace),
            },
            plan=plan,
        )


class Role(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: AccountPlan) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": data_metadata(city, plan.identity, kind="Role", namespace=namespace),
                "rules": [_rule(rule) for rule in plan.rules],
            },
            plan=plan,
        )


class RoleBinding(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: AccountPlan) -> None:
        name = plan.identity.name
        super().__init__(
            scope,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": data_metadata(city, plan.identity, kind="RoleBinding", namespace=namespace),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            },
            plan=plan,
        )
