"""Failing over is changing `primary`: the whole data layer, the apps' write endpoint and the gate follow,
and every render has exactly one primary database."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from nusantara_fleet import naming
from tests.support import DIST, data_docs, in_mode, iter_docs, patroni_yml, read_tree, render_variant, set_primary


def _primaries(out: Path) -> list[str]:
    return sorted(
        str(path)
        for path, doc in data_docs(out).items()
        if doc["kind"] == "StatefulSet" and doc["metadata"]["labels"].get(naming.DATABASE_ROLE_LABEL) == "primary"
    )


@pytest.mark.parametrize("mode", ["quorum", "standby-clusters"])
def test_primary_bandung_moves_everything_consistently(tmp_path: Path, mode: str) -> None:
    fleet, out = render_variant(tmp_path, *in_mode(mode), partial(set_primary, city="bandung"))
    assert _primaries(out) == ["bandung/StatefulSet.postgres-bandung.k8s.yaml"]
    assert fleet.primary.name == fleet.gated_city.name == "bandung"
    order = next(app for app in fleet.workloads.city("surabaya").apps if app.name == "order")
    write_hosts = [host.split(".")[1] for host in order.config["DB_WRITE_HOSTS"].split(",")]
    # Quorum: every city that may lead, by name, so the failover leaves the apps' config alone.
    assert write_hosts == (["bandung", "jakarta", "surabaya"] if mode == "quorum" else ["bandung"])
    assert fleet.data.preference == ("bandung", "jakarta", "surabaya")
    # Only the primary city may bootstrap (quorum) or is not a standby (standby-clusters).
    configs = {city.name: patroni_yml(out, city.name) for city in fleet.cities}
    if mode == "quorum":
        assert [c for c, cfg in configs.items() if "bootstrap" in cfg] == ["bandung"]
        priorities = {c: cfg["tags"]["failover_priority"] for c, cfg in configs.items()}
        assert priorities == {"bandung": 3, "jakarta": 2, "surabaya": 1}
    else:
        standby = {c for c, cfg in configs.items() if "standby_cluster" in cfg["bootstrap"]["dcs"]}
        assert standby == {"jakarta", "surabaya"}
        assert configs["jakarta"]["bootstrap"]["dcs"]["standby_cluster"]["host"] == (
            "postgres-write.bandung.db.nusantaramart.internal"
        )
        assert configs["bandung"]["bootstrap"]["dcs"]["slots"] == {
            "jakarta": {"type": "physical"},
            "surabaya": {"type": "physical"},
        }
    # The recap, the promotion and the roles Job run in the primary city only.
    jobs = sorted(
        str(p) for p, d in data_docs(out).items() if d["kind"] in ("Job", "CronJob") and "backup" not in str(p)
    )
    assert jobs == [
        "bandung/CronJob.postgres-recap.k8s.yaml",
        "bandung/Job.postgres-promote-bandung.k8s.yaml",
        "bandung/Job.postgres-roles.k8s.yaml",
    ]
    # The apps' write routing follows: every app config that names a write host names Bandung's.
    tree = read_tree(out)
    app_configs = [body.decode() for name, body in tree.items() if b"postgres-write." in body and "-config." in name]
    assert app_configs
    for body in app_configs:
        assert "postgres-write.bandung." in body


def test_default_render_has_exactly_one_primary_in_jakarta(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path)
    assert _primaries(out) == ["jakarta/StatefulSet.postgres-jakarta.k8s.yaml"]
    roles = sorted(
        doc["metadata"]["labels"][naming.DATABASE_ROLE_LABEL]
        for doc in data_docs(out).values()
        if doc["kind"] == "StatefulSet" and naming.DATABASE_ROLE_LABEL in doc["metadata"]["labels"]
    )
    assert roles == ["primary", "replica", "replica", "reporting", "reporting", "reporting"]


def test_data_objects_sync_before_the_apps(tmp_path: Path) -> None:
    from nusantara_fleet.model.delivery import CITY_SYNC_WAVES
    from nusantara_fleet.naming import SYNC_WAVE

    data = data_docs(DIST)
    waves = {doc["metadata"]["annotations"][SYNC_WAVE] for doc in data.values()}
    assert waves == {str(CITY_SYNC_WAVES["data"])}
    # Everything else in a city but its namespaces syncs in the apps' wave, after the data layer's.
    apps = {
        int((doc["metadata"].get("annotations") or {}).get(SYNC_WAVE, "0"))
        for path, doc in iter_docs(DIST)
        if path.parent.name != "fleet"
        and path.relative_to(DIST) not in data
        and doc["kind"] != "Namespace"
        and doc["metadata"].get("namespace") != "data"  # the data layer's monitors sync with it
    }
    assert apps == {CITY_SYNC_WAVES["apps"]}
    assert CITY_SYNC_WAVES["data"] < CITY_SYNC_WAVES["apps"]
