"""ServiceAccounts, Roles and RoleBindings of the data layer: what Patroni and the backup need, no more.

* `postgres` (Patroni): with etcd as DCS only its role callback touches Kubernetes (get and patch
  its own pod's label); on the Kubernetes DCS it keeps its leader lock and config in ConfigMaps and
  labels its pods (Patroni's upstream Role minus the `delete*` verbs only `patronictl remove` uses,
  and minus Service creation: the Services are rendered here).
* `postgres-backup`: exec into the reporting members, where WAL-G reads PGDATA.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import BACKUP_JOB

PATRONI_ACCOUNT = "postgres"
BACKUP_ACCOUNT = BACKUP_JOB


def patroni_rules(fleet: Fleet) -> list[dict[str, Any]]:
    if fleet.data.quorum:
        return [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "patch"]}]
    return [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["create", "get", "list", "patch", "update", "watch"],
        },
        # Patroni reads and patches endpoints even in ConfigMaps mode (upstream keeps these verbs).
        {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get", "patch", "update"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "patch", "update", "watch"]},
    ]


def backup_rules(fleet: Fleet, city: City) -> list[dict[str, Any]]:
    pods = [name for name in fleet.data.member_names(fleet.data.city(city.name)) if "reporting" in name]
    return [
        {"apiGroups": [""], "resourceNames": pods, "resources": ["pods"], "verbs": ["get"]},
        {"apiGroups": [""], "resourceNames": pods, "resources": ["pods/exec"], "verbs": ["create"]},
    ]


class ServiceAccount(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, name: str) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": data_metadata(fleet=fleet, city=city, kind="ServiceAccount", name=name),
            },
        )


class Role(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, name: str, rules: list[dict[str, Any]]) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": data_metadata(fleet=fleet, city=city, kind="Role", name=name),
                "rules": rules,
            },
        )


class RoleBinding(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, name: str) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": data_metadata(fleet=fleet, city=city, kind="RoleBinding", name=name),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": fleet.spec.namespaces.data}],
            },
        )
