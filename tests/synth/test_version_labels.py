"""Each object's version label is the version of what it runs: bumping one image moves only its objects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from nusantara_fleet.charts import build_app
from nusantara_fleet.model import load_fleet
from tests.support import ENVS, edit_yaml

Objects = dict[tuple[str, str, str], dict[str, Any]]


def _collect(envs: Path) -> Objects:
    _, charts = build_app(load_fleet(envs), envs.parent / "unused", collect=True)
    return {(chart.chart_id, body["kind"], body["metadata"]["name"]): body for chart in charts for body in chart.bodies}


def _changed(tmp_path: Path, change: Any) -> set[tuple[str, str, str]]:
    envs = tmp_path / "envs"
    shutil.copytree(ENVS, envs)
    before = _collect(envs)
    edit_yaml(envs / "fleet.yaml", change)
    after = _collect(envs)
    assert before.keys() == after.keys()
    return {key for key in before if before[key] != after[key]}


def _template(body: dict[str, Any]) -> Any:
    return body["spec"].get("template")


def test_a_database_tag_bump_changes_no_etcd_object(tmp_path: Path) -> None:
    changed = _changed(tmp_path, lambda fleet: fleet["database"].update(tag="4.0.8-pg15-walg3.0.7"))
    assert {(chart, kind, name) for chart, kind, name in changed if name == "etcd"} == set()
    # What runs the Patroni image, and the PostgreSQL objects labelled with its version, in every city.
    expected = set()
    for city in ("bandung", "surabaya", "jakarta"):
        expected |= {
            (city, "StatefulSet", f"postgres-{city}"),
            (city, "StatefulSet", f"postgres-reporting-{city}"),
            (city, "PodDisruptionBudget", f"postgres-{city}"),
            (city, "ConfigMap", "patroni"),
            (city, "ServiceAccount", "postgres"),
            (city, "Role", "postgres"),
            (city, "RoleBinding", "postgres"),
            *((city, "NetworkPolicy", name) for name in ("postgres", "postgres-reporting", "patroni-api")),
            (city, "NetworkPolicy", "postgres-egress"),
            *((city, "Service", name) for name in ("postgres-members", "postgres-write", "postgres-read")),
            (city, "Service", "postgres-reporting"),
            *((city, "ExternalSecret", name) for name in ("postgres-credentials", "postgres-object-storage")),
            *((city, "ExternalSecret", name) for name in ("postgres-server-tls", "patroni-api-tls", "etcd-client-tls")),
            (city, "Service", "postgres-any"),
        }
    expected |= {
        ("jakarta", "CronJob", "postgres-recap"),
        ("jakarta", "ConfigMap", "postgres-recap"),
        ("jakarta", "NetworkPolicy", "postgres-recap-egress"),
        ("jakarta", "Job", "postgres-promote-jakarta"),
        ("jakarta", "NetworkPolicy", "postgres-promote-egress"),
        ("jakarta", "Job", "postgres-roles"),
        ("jakarta", "ConfigMap", "postgres-roles"),
        ("jakarta", "NetworkPolicy", "postgres-roles-egress"),
    }
    assert changed == expected


def test_an_etcd_tag_bump_changes_only_etcd_objects(tmp_path: Path) -> None:
    changed = _changed(tmp_path, lambda fleet: fleet["database"].update(etcd_tag="v3.5.22"))
    assert changed == {
        (city, kind, name)
        for city in ("bandung", "surabaya", "jakarta")
        for kind, name in (
            ("StatefulSet", "etcd"),
            ("ConfigMap", "etcd-cluster"),
            ("Service", "etcd"),
            ("NetworkPolicy", "etcd"),
            ("NetworkPolicy", "etcd-peer"),
            ("NetworkPolicy", "etcd-egress"),
            ("ExternalSecret", "etcd-peer-tls"),
            ("ExternalSecret", "etcd-server-tls"),
        )
    }


def test_an_app_tag_bump_changes_only_that_apps_objects(tmp_path: Path) -> None:
    changed = _changed(tmp_path, lambda fleet: fleet["services"][1].update(tag="2.4.1"))
    assert changed == {
        (city, kind, name)
        for city in ("bandung", "surabaya", "jakarta")
        for kind, name in (
            ("Deployment", "order"),
            ("Service", "order"),
            ("ServiceAccount", "order"),
            ("ConfigMap", "order-config"),
            ("HorizontalPodAutoscaler", "order"),
            ("PodDisruptionBudget", "order"),
        )
    }


def test_a_failover_restarts_no_etcd_member(tmp_path: Path) -> None:
    """`primary: bandung` moves writes, the gate and the leader preference; etcd has no part in that."""

    def fail_over(fleet: dict[str, Any]) -> None:
        fleet["primary"] = "bandung"
        fleet["rollout"]["order"] = ["surabaya", "jakarta", "bandung"]  # the gated city rolls out last
        fleet["database"]["failover"]["preference"] = ["bandung", "jakarta", "surabaya"]

    envs = tmp_path / "envs"
    shutil.copytree(ENVS, envs)
    before = _collect(envs)
    edit_yaml(envs / "fleet.yaml", fail_over)
    after = _collect(envs)
    etcd = [key for key in before if key[1] == "StatefulSet" and key[2] == "etcd"]
    assert len(etcd) == 3
    assert [key for key in etcd if _template(before[key]) != _template(after[key])] == []
    # the city roles and database roles move on the objects, never in their pod templates
    member = ("bandung", "StatefulSet", "postgres-bandung")
    assert after[member]["metadata"]["labels"]["fleet.nusantaramart.co.id/database-role"] == "primary"
    assert "fleet.nusantaramart.co.id/database-role" not in _template(after[member])["metadata"]["labels"]
