"""What each kind of change does to running pods, and the flags `fleet diff` raises for it.

Each test renders the default envs/ and one change, and asserts the exact pod templates that change and the
exact transition flags. Before this file's fixes a `primary` switch changed 24 pod templates (6 Patroni
StatefulSets and 18 Deployments) in either failover mode, and adding two cities 16 (9 StatefulSets, 3 of them
etcd members).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet import naming
from nusantara_fleet.diff.compare import FleetDiff, compare
from nusantara_fleet.diff.objects import Entry, Tree, collected_tree
from nusantara_fleet.diff.report import markdown, text
from nusantara_fleet.diff.transitions import transition_risks
from nusantara_fleet.model.data.patroni import restart_part
from tests.support import Edit, collect_variant, edit_yaml, pod_template, set_mode, set_primary, set_rollout

WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")
PATRONI_SETS = {
    f"{city}/StatefulSet/{name}-{city}"
    for city in ("bandung", "jakarta", "surabaya")
    for name in (naming.MEMBER_SET, naming.REPORTING_SET)
}
CITIES = ("bandung", "jakarta", "surabaya")
WRITERS = {f"{city}/Deployment/{app}" for city in CITIES for app in ("order", "payment")}
# Every service with a database: its reads fall back to every other city's members.
READERS = {
    f"{city}/Deployment/{app}" for city in CITIES for app in ("catalog", "inventory", "order", "payment", "report")
}
ROLES_HOOK = (
    "jakarta: Job data/postgres-roles: pod template changed: an Argo CD Sync hook, deleted and created anew on the "
    "next sync"
)
PROMOTE_HOOK = (
    "jakarta: Job data/postgres-promote-jakarta: pod template changed: an Argo CD Sync hook, deleted and created "
    "anew on the next sync"
)
PATRONI_RESTARTS = [
    "bandung: StatefulSet data/postgres-bandung: pod template changed: 1 pod(s) restart, one at a time",
    "bandung: StatefulSet data/postgres-reporting-bandung: pod template changed: 1 pod(s) restart, one at a time",
    "jakarta: StatefulSet data/postgres-jakarta: pod template changed: 2 pod(s) restart, one at a time",
    "jakarta: StatefulSet data/postgres-reporting-jakarta: pod template changed: 1 pod(s) restart, one at a time",
    "surabaya: StatefulSet data/postgres-reporting-surabaya: pod template changed: 1 pod(s) restart, one at a time",
    "surabaya: StatefulSet data/postgres-surabaya: pod template changed: 1 pod(s) restart, one at a time",
    "fleet: StatefulSet restarts: 7 StatefulSet pod(s) restart in 3 city(ies): bandung (2), jakarta (3), surabaya (2)",
]


def _tree(tmp: Path, *edits: Edit) -> Tree:
    return collected_tree(collect_variant(tmp, *edits).items())


def _templates(tree: Tree) -> dict[str, Any]:
    return {
        f"{chart}/{body['kind']}/{body['metadata']['name']}": pod_template(body)
        for (chart, _), entry in tree.items()
        if (body := entry.body())["kind"] in WORKLOADS
    }


def _changed_templates(before: Tree, after: Tree) -> set[str]:
    """Workloads on both sides whose pod template differs: what restarts when the change syncs."""
    old, new = _templates(before), _templates(after)
    return {name for name in set(old) & set(new) if old[name] != new[name]}


def _flags(diff: FleetDiff) -> list[str]:
    return [str(risk) for risk in diff.transitions]


Variant = tuple[Tree, Tree, FleetDiff]


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return _tree(tmp_path_factory.mktemp("default"))


@pytest.fixture
def variant(default: Tree, tmp_path: Path) -> Callable[..., Variant]:
    def run(*edits: Edit, base: Tree | None = None) -> Variant:
        before = default if base is None else base
        after = _tree(tmp_path / "head", *edits)
        return before, after, compare(before, after)

    return run


def bump_database(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"].update(tag="4.0.8-pg15-walg3.0.7"))


def bump_etcd(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"].update(etcd_tag="v3.5.22"))


def bump_order(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["services"][1].update(tag="2.4.1"))


NEW_CITIES = ("makassar", "medan")


def add_cities(envs: Path, *, joining: bool = True, names: tuple[str, ...] = NEW_CITIES) -> None:
    """Cities modelled on Surabaya with their own networks and bucket, rolled out before the gated primary."""
    template = yaml.safe_load((envs / "surabaya.yaml").read_text())
    for index, name in enumerate(names):
        spec = copy.deepcopy(template)
        spec["network"].update(
            pod_cidr=f"10.{40 + 10 * index}.0.0/16",
            service_cidr=f"10.{140 + 10 * index}.0.0/16",
            edge_address=f"192.0.2.{40 + 10 * index}",
            eastwest_address=f"10.{240 + index}.0.10",
        )
        storage = spec["database"]["object_storage"]
        storage.update(endpoint=f"https://s3.{name}.nusantaramart.internal", bucket=f"nusantaramart-postgres-{name}")
        if joining:
            spec["database"]["joining"] = True
        (envs / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    edit_yaml(
        envs / "fleet.yaml", lambda fleet: fleet["rollout"].update(order=["bandung", "surabaya", *names, "jakarta"])
    )


def test_a_failover_commit_restarts_no_pod(variant: Callable[..., Variant]) -> None:
    before, after, diff = variant(partial(set_primary, city="bandung"))
    assert _changed_templates(before, after) == set()
    # Only the promotion path moves: the promotion and roles hooks and the recap run in the primary city.
    moved = set(_templates(before)) ^ set(_templates(after))
    assert moved == {
        "jakarta/Job/postgres-promote-jakarta",
        "jakarta/Job/postgres-roles",
        "jakarta/CronJob/postgres-recap",
        "bandung/Job/postgres-promote-bandung",
        "bandung/Job/postgres-roles",
        "bandung/CronJob/postgres-recap",
    }
    assert _flags(diff) == []


def test_a_failover_in_standby_clusters_mode_restarts_only_the_writers(
    variant: Callable[..., Variant], tmp_path: Path
) -> None:
    """Their only write host is the primary's (no other city's database can lead), so they must change;
    each Deployment rolls its pods one at a time."""
    standby = partial(set_mode, mode="standby-clusters")
    base = _tree(tmp_path / "base", standby)
    before, after, diff = variant(standby, partial(set_primary, city="bandung"), base=base)
    assert _changed_templates(before, after) == WRITERS
    assert _flags(diff) == []


@pytest.mark.parametrize("quorum", [True, False])
def test_only_what_patroni_applies_live_is_left_out_of_the_members_restart_checksum(quorum: bool) -> None:
    """A reload applies bootstrap (never re-read), tags, and in quorum mode pg_hba, the REST API's allowlist
    and etcd's hosts (the hook reloads every member); anything else still rolls the pods."""
    config: dict[str, dict[str, Any]] = {
        "bootstrap": {"dcs": {"ttl": 30}},
        "etcd3": {"hosts": ["a:2379"], "protocol": "https"},
        "postgresql": {"listen": "0.0.0.0:5432", "pg_hba": ["local all all trust"]},
        "restapi": {"allowlist": ["10.10.0.0/16"], "listen": "0.0.0.0:8008"},
        "tags": {"failover_priority": 3},
    }

    def rolls(section: str, key: str, value: Any) -> bool:
        changed = copy.deepcopy(config)
        changed[section][key] = value
        return restart_part(changed, quorum=quorum) != restart_part(config, quorum=quorum)

    assert not rolls("bootstrap", "dcs", {"ttl": 20}) and not rolls("tags", "failover_priority", 2)
    assert rolls("postgresql", "pg_hba", ["local all all peer"]) is not quorum
    assert rolls("restapi", "allowlist", ["10.0.0.0/8"]) is not quorum
    assert rolls("etcd3", "hosts", ["a:2379", "b:2379"]) is not quorum
    assert rolls("postgresql", "listen", "0.0.0.0:5433") and rolls("restapi", "listen", "0.0.0.0:8009")


def test_a_database_tag_bump_rolls_every_patroni_member_and_recreates_the_promotion_hook(
    variant: Callable[..., Variant],
) -> None:
    before, after, diff = variant(bump_database)
    changed = _changed_templates(before, after)
    assert changed == PATRONI_SETS | {
        "jakarta/Job/postgres-promote-jakarta",
        "jakarta/Job/postgres-roles",
        "jakarta/CronJob/postgres-recap",
    }
    assert _flags(diff) == [
        *PATRONI_RESTARTS,
        "fleet: database restarts: one commit restarts 7 of the 7 database members fleet-wide, a majority: the "
        "leader and most of its successors roll in the same sync; sync city by city",
        PROMOTE_HOOK,
        ROLES_HOOK,
    ]


def test_an_etcd_tag_bump_is_flagged_as_restarting_every_member(variant: Callable[..., Variant]) -> None:
    before, after, diff = variant(bump_etcd)
    assert _changed_templates(before, after) == {f"{c}/StatefulSet/etcd" for c in ("bandung", "jakarta", "surabaya")}
    flags = _flags(diff)
    assert flags[-1] == (
        "fleet: etcd restarts: one commit restarts 3 etcd members (bandung, jakarta, surabaya): cities that sync "
        "together can take etcd below quorum, and Patroni's failsafe then demotes the leader if any member is "
        "unreachable; sync city by city"
    )
    assert len(flags) == 5  # three members, the fleet-wide count, the etcd flag


def test_an_app_tag_bump_rolls_that_app_only(variant: Callable[..., Variant]) -> None:
    before, after, diff = variant(bump_order)
    assert _changed_templates(before, after) == {f"{c}/Deployment/order" for c in ("bandung", "jakarta", "surabaya")}
    assert _flags(diff) == []


def test_adding_two_cities_joins_etcd_and_flags_the_membership_change(variant: Callable[..., Variant]) -> None:
    before, after, diff = variant(add_cities)
    # No database member restarts: their etcd hosts, pg_hba and REST API allowlist gain the new cities, which
    # the promotion hook's reload applies (it now expects the new config hash). The services with a database
    # restart: they may now write to, and read from, the new cities' databases too.
    assert _changed_templates(before, after) == READERS | {
        "jakarta/Job/postgres-promote-jakarta",
        "jakarta/Job/postgres-roles",
    }
    assert _flags(diff) == [
        "fleet: etcd membership: etcd membership changes from 3 to 5 members; it adds makassar, medan: run `etcdctl "
        "member add` for each, one at a time, before it syncs (README, Add a city)",
        PROMOTE_HOOK,
        ROLES_HOOK,
    ]
    for city in NEW_CITIES:
        cluster = next(
            entry.body() for (chart, name), entry in after.items() if (chart, name) == (city, _file("etcd-cluster"))
        )
        assert cluster["data"]["ETCD_INITIAL_CLUSTER_STATE"] == "existing"
        assert cluster["data"]["ETCD_INITIAL_CLUSTER"].split(",")[0].startswith("bandung=https://etcd.bandung.")


def _file(name: str, kind: str = "ConfigMap") -> str:
    return f"{kind}.{name}.k8s.yaml"


def test_switching_to_an_application_set_flags_the_removed_applications_and_the_controller_restart(
    variant: Callable[..., Variant],
) -> None:
    before, after, diff = variant(partial(set_rollout, strategy="application-set"))
    assert _changed_templates(before, after) == set()
    assert _flags(diff) == [
        *(
            f"fleet: Application argocd/nusantaramart-{city}: Argo CD Application removed: with prune on, what it "
            "deployed is deleted unless sync options keep it"
            for city in ("bandung", "jakarta", "surabaya")
        ),
        "fleet: ConfigMap argocd/argocd-cmd-params-cm: needs a controller restart: Argo CD reads it only when its "
        "components start (`kubectl --namespace=argocd rollout restart deployment,statefulset`)",
    ]


def test_the_flags_lead_both_reports(variant: Callable[..., Variant]) -> None:
    _, _, diff = variant(bump_etcd)
    plain = text(diff)
    assert plain.index("TRANSITIONS (5):") < plain.index("releases:")
    comment = markdown(diff)
    assert comment.index("**5 transition flag(s)**") < comment.index("#### What this change releases")


def test_removing_argo_cds_own_config_and_changing_a_plain_job_are_flagged(default: Tree) -> None:
    fleet_cm = ("fleet", _file(naming.ARGOCD_CM))
    assert fleet_cm in default
    without = {key: entry for key, entry in default.items() if key != fleet_cm}
    assert [str(r) for r in transition_risks(default, without)] == [
        "fleet: ConfigMap argocd/argocd-cm: Argo CD's own configuration removed: pruning it resets Argo CD to its "
        "defaults"
    ]
    # The same promotion Job without its hook annotations: its changed template would fail the sync.
    job_key = ("jakarta", _file("postgres-promote-jakarta", "Job"))
    plain = copy.deepcopy(default[job_key].body())
    for key in (naming.ARGOCD_HOOK, naming.ARGOCD_HOOK_DELETE_POLICY):
        del plain["metadata"]["annotations"][key]
    changed = copy.deepcopy(plain)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] += "-next"
    risks = transition_risks({job_key: Entry(parsed=plain)}, {job_key: Entry(parsed=changed)})
    assert [str(r) for r in risks] == [
        "jakarta: Job data/postgres-promote-jakarta: pod template changed on a Job, which is immutable: the sync "
        "fails; make it an Argo CD hook or give it `Replace=true,Force=true`"
    ]


def test_one_etcd_member_or_a_minority_of_database_members_is_not_flagged_fleet_wide(default: Tree) -> None:
    """The fleet-wide flags fire on more than one etcd member or a majority of members, not on any restart."""
    key = ("bandung", _file("etcd", "StatefulSet"))
    etcd = copy.deepcopy(default[key].body())
    etcd["spec"]["template"]["metadata"].setdefault("annotations", {})["restart"] = "1"
    member_key = ("jakarta", _file("postgres-jakarta", "StatefulSet"))
    member = copy.deepcopy(default[member_key].body())
    member["spec"]["template"]["metadata"]["annotations"]["restart"] = "1"
    after = {**default, key: Entry(parsed=etcd), member_key: Entry(parsed=member)}
    assert [r.subject for r in transition_risks(default, after)] == [
        "StatefulSet data/etcd",
        "StatefulSet data/postgres-jakarta",
        "StatefulSet restarts",
    ]


def test_app_pods_read_who_is_primary_from_the_mounted_city_facts(default: Tree) -> None:
    deployment = default[("surabaya", _file("order", "Deployment"))].body()
    spec = deployment["spec"]["template"]["spec"]
    assert {"configMap": {"name": naming.CITY_FACTS}, "name": "fleet-facts"} in spec["volumes"]
    assert {"mountPath": "/etc/fleet", "name": "fleet-facts", "readOnly": True} in spec["containers"][0]["volumeMounts"]
    job = default[("jakarta", _file("postgres-promote-jakarta", "Job"))].body()
    annotations = job["metadata"]["annotations"]
    assert (annotations[naming.ARGOCD_HOOK], annotations[naming.ARGOCD_HOOK_DELETE_POLICY]) == (
        "Sync",
        "BeforeHookCreation",
    )


def test_the_promotion_hook_expects_exactly_the_tags_each_members_file_holds(default: Tree) -> None:
    job = default[("jakarta", _file("postgres-promote-jakarta", "Job"))].body()
    env = {var["name"]: var.get("value") for var in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    expected = json.loads(env["EXPECTED_TAGS"])
    held = {}
    for city in ("bandung", "jakarta", "surabaya"):
        data = default[(city, _file("patroni"))].body()["data"]
        for key, prefix in (("postgres.yml", naming.MEMBER_SET), ("postgres-reporting.yml", naming.REPORTING_SET)):
            tags = yaml.safe_load(data[key])["tags"]
            assert set(tags) >= {"fleet-config"}
            pods = 2 if (city, prefix) == ("jakarta", naming.MEMBER_SET) else 1
            held.update({f"{prefix}-{city}-{index}": tags for index in range(pods)})
    assert expected == held
