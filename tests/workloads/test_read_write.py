"""Reads stay in the city; every write lands in the primary city; moving `primary` moves all of it at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import DIST, city_docs, edit_yaml, render_variant

WRITERS = ("order", "payment")  # the services with `write` routes in envs/fleet.yaml
READERS = ("catalog", "inventory", "report")


def _config(out: Path, city: str, service: str) -> dict[str, str]:
    data: dict[str, str] = city_docs(out, city)[("ConfigMap", f"{service}-config")]["data"]
    return data


def _move_primary(envs: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["primary"] = "bandung"
        fleet["rollout"]["order"] = ["surabaya", "jakarta", "bandung"]  # the primary city rolls out last

    edit_yaml(envs / "fleet.yaml", change)


def _standby_clusters(envs: Path) -> None:
    """Cross-city promotion only by changing `primary`: the leader can be nowhere else."""
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["database"]["failover"].update(mode="standby-clusters"))


def _write_routes(out: Path, city: str) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = json.loads(_config(out, city, "gateway")["ROUTES"])
    return [route for route in routes if route["access"] == "write"]


CIDRS = {"bandung": "10.20.0.0/16", "surabaya": "10.30.0.0/16", "jakarta": "10.10.0.0/16"}


def _check_primary(out: Path, primary: str, *, quorum: bool = False) -> None:
    """Every city's writers point at `primary`; their policy opens every other city (the leader may be there,
    and reads fall back to the other cities' members, tests/workloads/test_database_access.py)."""
    for city in ("bandung", "surabaya", "jakarta"):
        for service in WRITERS:
            config = _config(out, city, service)
            hosts = config["DB_WRITE_HOSTS"].split(",")
            # Quorum: every city that may lead, by name, whoever is primary; else the primary city alone.
            may_lead = ("bandung", "jakarta", "surabaya") if quorum else (primary,)
            assert hosts == [f"postgres-write.{c}.db.nusantaramart.internal:5432" for c in may_lead], (city, service)
            assert "PRIMARY_CITY" not in config and "CITY_ROLE" not in config, "the mounted city-facts say it"
            assert config["DB_READ_HOST"] == "postgres-read.data.svc.cluster.local", "reads must stay local"
            policy = city_docs(out, city)[("NetworkPolicy", service)]
            blocks = [
                peer["ipBlock"]["cidr"]
                for rule in policy["spec"]["egress"]
                for peer in rule["to"]
                if "ipBlock" in peer and rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
            ]
            assert sorted(blocks) == sorted(CIDRS[other] for other in set(CIDRS) - {city}), (city, service)
        for service in READERS:
            assert "DB_WRITE_HOSTS" not in _config(out, city, service), f"{service} has no write route"
        report_reads = _config(out, city, "report")["DB_READ_HOST"]
        assert report_reads == "postgres-reporting.data.svc.cluster.local", "reports read the reporting members"
        routes = _write_routes(out, city)
        assert {route["service"] for route in routes} == set(WRITERS)
        assert all("writes_to" not in route for route in routes), "the route table does not follow `primary`"
        facts = city_docs(out, city)[("ConfigMap", "city-facts")]["data"]
        assert facts["primary-city"] == primary
        assert all(route["upstreams"][0]["url"].startswith(f"http://{route['service']}.shop.svc") for route in routes)


def test_writes_go_to_jakarta_by_default() -> None:
    _check_primary(DIST, "jakarta", quorum=True)


def test_writes_go_to_jakarta_in_standby_clusters_mode(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path, _standby_clusters)
    _check_primary(out, "jakarta")


def test_changing_primary_moves_every_write_in_one_render(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path, _standby_clusters, _move_primary)
    _check_primary(out, "bandung")


def test_changing_primary_moves_every_write_in_quorum_mode_too(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path, _move_primary)
    _check_primary(out, "bandung", quorum=True)


def test_quorum_mode_lets_writers_follow_an_automatic_failover(tmp_path: Path) -> None:
    fleet, out = render_variant(tmp_path / "quorum")
    assert fleet.data.quorum
    config = _config(out, "surabaya", "order")
    hosts = config["DB_WRITE_HOSTS"].split(",")
    assert [host.split(".")[1] for host in hosts] == ["bandung", "jakarta", "surabaya"], "by name, not by primary"
    assert config["DB_WRITE_TARGET_SESSION_ATTRS"] == "read-write"
