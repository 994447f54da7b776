"""Transition flags: what a change does to running pods and to the clusters' own membership.

They lead `fleet diff`'s report: a StatefulSet pod template change (how many pods restart, in which cities),
one commit restarting more than one etcd member or a majority of the database members fleet-wide, a change
of etcd's membership, an Argo CD Application or Argo CD's own ConfigMaps removed, a change Argo CD takes
only after a restart, and a Job whose pod template changed. Read from the rendered objects of both sides,
like the other risks, so two committed `dist/` trees get the same flags as two envs/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.diff.objects import Entry, ObjectKey, Tree, key_of
from nusantara_fleet.diff.risks import Risk

FLEET = naming.FLEET_FOLDER
ARGOCD_CONFIG_MAPS = (naming.ARGOCD_CM, naming.ARGOCD_CMD_PARAMS)
# Argo CD's controllers and servers read argocd-cmd-params-cm into flags when they start.
RESTART_ARGOCD = "kubectl --namespace=argocd rollout restart deployment,statefulset"


@dataclass(frozen=True)
class Restart:
    """A StatefulSet whose pod template changes, and how many pods it rolls."""

    key: ObjectKey
    pods: int


def _get(body: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _template(body: dict[str, Any] | None) -> Any:
    return _get(body, "spec", "template")


def _replicas(body: dict[str, Any]) -> int:
    replicas = _get(body, "spec", "replicas")
    return replicas if isinstance(replicas, int) else 1


def _kind(name: str) -> str:
    return name.split(".", 1)[0]


def _changed_pairs(old_files: Tree, new_files: Tree, kind: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(chart, old, new) of each object of `kind` on both sides whose file differs; only those are parsed."""
    return [
        (key[0], old_files[key].body(), entry.body())
        for key, entry in sorted(new_files.items())
        if _kind(key[1]) == kind and key in old_files and _changed(old_files[key], entry)
    ]


def _changed(old: Entry | None, new: Entry | None) -> bool:
    return old is None or new is None or not old.same(new)


def _is_database(body: dict[str, Any]) -> bool:
    return naming.DATABASE_CLUSTER_LABEL in (_get(body, "metadata", "labels") or {})


def _is_etcd(file_key: tuple[str, str]) -> bool:
    return file_key[1] == f"StatefulSet.{naming.ETCD}.k8s.yaml"


def restarts(old_files: Tree, new_files: Tree) -> list[Restart]:
    """The StatefulSets present on both sides whose pod template differs, in chart and name order."""
    return [
        Restart(key_of(chart, new), _replicas(new))
        for chart, old, new in _changed_pairs(old_files, new_files, "StatefulSet")
        if _template(old) != _template(new)
    ]


def _statefulset_risks(found: list[Restart], new_files: Tree) -> list[Risk]:
    risks = [
        Risk(r.key.chart, str(r.key), f"pod template changed: {r.pods} pod(s) restart, one at a time") for r in found
    ]
    if not found:
        return risks
    cities: dict[str, int] = {}
    for r in found:
        cities[r.key.chart] = cities.get(r.key.chart, 0) + r.pods
    where = ", ".join(f"{city} ({pods})" for city, pods in sorted(cities.items()))
    total = sum(cities.values())
    summary = f"{total} StatefulSet pod(s) restart in {len(cities)} city(ies): {where}"
    risks.append(Risk(FLEET, "StatefulSet restarts", summary))
    etcd = sorted(r.key.chart for r in found if r.key.name == naming.ETCD)
    if len(etcd) > 1:
        risks.append(
            Risk(
                FLEET,
                "etcd restarts",
                f"one commit restarts {len(etcd)} etcd members ({', '.join(etcd)}): cities that sync together can "
                "take etcd below quorum, and Patroni's failsafe then demotes the leader if any member is unreachable; "
                "sync city by city",
            )
        )
    sets = [(chart, entry.body()) for (chart, name), entry in new_files.items() if _kind(name) == "StatefulSet"]
    members = {key_of(chart, body): _replicas(body) for chart, body in sets if _is_database(body)}
    total_members = sum(members.values())
    restarting = sum(r.pods for r in found if r.key in members)
    if total_members and 2 * restarting > total_members:
        risks.append(
            Risk(
                FLEET,
                "database restarts",
                f"one commit restarts {restarting} of the {total_members} database members fleet-wide, a majority: "
                "the leader and most of its successors roll in the same sync; sync city by city",
            )
        )
    return risks


def _membership_risks(old_files: Tree, new_files: Tree) -> list[Risk]:
    before = sorted(chart for chart, name in old_files if _is_etcd((chart, name)))
    after = sorted(chart for chart, name in new_files if _is_etcd((chart, name)))
    if not before or before == after:
        return []
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    steps = []
    if added:
        steps.append(f"adds {', '.join(added)}: run `etcdctl member add` for each, one at a time, before it syncs")
    if removed:
        steps.append(f"removes {', '.join(removed)}: run `etcdctl member remove` for each before its objects go")
    return [
        Risk(
            FLEET,
            "etcd membership",
            f"etcd membership changes from {len(before)} to {len(after)} members; it {'; it '.join(steps)} "
            "(README, Add a city)",
        )
    ]


def _argocd_risks(old_files: Tree, new_files: Tree) -> list[Risk]:
    risks = []
    for file_key in sorted(set(old_files) | set(new_files)):
        old_entry, new_entry = old_files.get(file_key), new_files.get(file_key)
        kind = _kind(file_key[1])
        if kind not in ("Application", "ConfigMap") or not _changed(old_entry, new_entry):
            continue
        body = (new_entry or old_entry or Entry()).body()
        key = key_of(file_key[0], body)
        if kind == "ConfigMap" and key.name not in ARGOCD_CONFIG_MAPS:
            continue
        if new_entry is None:
            what = (
                "Argo CD Application removed: with prune on, what it deployed is deleted unless sync options keep it"
                if kind == "Application"
                else "Argo CD's own configuration removed: pruning it resets Argo CD to its defaults"
            )
            risks.append(Risk(key.chart, str(key), what))
        elif key.name == naming.ARGOCD_CMD_PARAMS and kind == "ConfigMap":
            risks.append(
                Risk(
                    key.chart,
                    str(key),
                    f"needs a controller restart: Argo CD reads it only when its components start (`{RESTART_ARGOCD}`)",
                )
            )
    return risks


def _job_risks(old_files: Tree, new_files: Tree) -> list[Risk]:
    risks = []
    for chart, old, new in _changed_pairs(old_files, new_files, "Job"):
        if _template(old) == _template(new):
            continue
        key = key_of(chart, new)
        hook = (_get(new, "metadata", "annotations") or {}).get(naming.ARGOCD_HOOK)
        if hook:
            message = f"pod template changed: an Argo CD {hook} hook, deleted and created anew on the next sync"
        else:
            message = (
                "pod template changed on a Job, which is immutable: the sync fails; make it an Argo CD hook or "
                "give it `Replace=true,Force=true`"
            )
        risks.append(Risk(key.chart, str(key), message))
    return risks


def transition_risks(old_files: Tree, new_files: Tree) -> list[Risk]:
    """Every transition flag of the change from `old_files` to `new_files`."""
    return [
        *_statefulset_risks(restarts(old_files, new_files), new_files),
        *_membership_risks(old_files, new_files),
        *_argocd_risks(old_files, new_files),
        *_job_risks(old_files, new_files),
    ]
