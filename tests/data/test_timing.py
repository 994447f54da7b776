"""Patroni's timings are derived from the RTO and RPO, and a config that cannot meet the RTO fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.data.timing import PATRONI_MIN_TTL, PatroniTiming
from tests.data.local_cluster import TEST_TIMING
from tests.support import ENVS, edit_yaml


def test_production_timings_meet_the_rto_on_paper() -> None:
    fleet = load_fleet(ENVS)
    timing = fleet.data.timing
    assert (timing.ttl, timing.loop_wait, timing.retry_timeout, timing.primary_start_timeout) == (30, 10, 10, 20)
    assert timing.loop_wait + 2 * timing.retry_timeout <= timing.ttl  # Patroni's own rule
    assert timing.ttl >= PATRONI_MIN_TTL
    assert timing.node_loss_seconds == timing.crash_seconds == 70
    assert timing.rto_bound_seconds == 110 <= fleet.spec.targets.rto_seconds == 180


def test_the_drill_lease_follows_the_same_rules() -> None:
    """The loopback drill shortens the lease; its bound is computed by the same formula it then meets."""
    assert TEST_TIMING.loop_wait + 2 * TEST_TIMING.retry_timeout <= TEST_TIMING.ttl
    assert TEST_TIMING.primary_start_timeout == TEST_TIMING.ttl - TEST_TIMING.loop_wait


def test_rpo_sets_the_failover_lag_and_the_archive_timeout() -> None:
    fleet = load_fleet(ENVS)
    assert fleet.data.maximum_lag_on_failover == 2 * 1024 * 1024 * 10  # 2 MiB/s for the 10 s RPO
    assert fleet.data.archive_timeout == fleet.spec.targets.rpo_seconds == 10


def test_ttl_never_below_patronis_minimum() -> None:
    assert PatroniTiming.derive(loop_wait=2, retry_timeout=3, promotion=10).ttl == PATRONI_MIN_TTL


def _fleet_edit(envs: Path, path: tuple[str, ...], value: object) -> None:
    def change(doc: dict[str, object]) -> None:
        node = doc
        for key in path[:-1]:
            node = node.setdefault(key, {})  # type: ignore[assignment]
        node[path[-1]] = value

    edit_yaml(envs / "fleet.yaml", change)


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        pytest.param(
            ("targets", "rto_seconds"),
            100,
            "targets.rto_seconds",
            "RTO 100 s cannot be met: worst-case failover is 70 s (ttl 30 + loop_wait 10 + promotion 30) plus a "
            "second election round of 40 s = 110 s; lower database.failover.loop_wait_seconds, "
            "retry_timeout_seconds or promotion_seconds, or raise the RTO",
            id="rto-too-tight",
        ),
        pytest.param(
            ("database", "failover", "preference"),
            ["jakarta", "bandung", "bandung"],
            "database.failover.preference[2]",
            "'bandung' is listed twice; list known cities at most once (bandung, jakarta, surabaya)",
            id="preference-repeats-a-city",
        ),
        pytest.param(
            ("database", "failover", "dns_ttl_seconds"),
            60,
            "database.failover.dns_ttl_seconds",
            "60 s outlasts the promotion budget of 30 s: clients would keep the old leader's address; "
            "lower it below promotion_seconds",
            id="dns-ttl-too-long",
        ),
        pytest.param(
            ("database", "failover", "inter_city_rtt_ms"),
            400,
            "database.failover.retry_timeout_seconds",
            "10 s does not outlast two etcd elections (12000 ms at inter_city_rtt_ms 400); the primary "
            "would demote on an etcd leader change: raise retry_timeout_seconds",
            id="retry-shorter-than-etcd-elections",
        ),
    ],
)
def test_bad_data_config_fails_naming_file_field_and_fix(
    envs: Path, path: tuple[str, ...], value: object, field: str, message: str
) -> None:
    _fleet_edit(envs, path, value)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    problems = [(p.file, p.field, p.message) for p in caught.value.problems]
    assert problems == [("envs/fleet.yaml", field, message)]
    assert all(p.line is not None for p in caught.value.problems)


def test_more_members_than_database_nodes_fails(envs: Path) -> None:
    edit_yaml(envs / "bandung.yaml", lambda city: {**city, "database": {**city["database"], "members": 2}})
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    [problem] = caught.value.problems
    assert (problem.file, problem.field) == ("envs/bandung.yaml", "database.members")
    assert problem.message == (
        "2 member(s) + 1 reporting member(s) need 3 database nodes (one per node, required anti-affinity) "
        "but bandung has 2; set database.members or node_pools.database.nodes"
    )


def test_unknown_key_in_the_database_section_fails(envs: Path) -> None:
    _fleet_edit(envs, ("database", "failover", "mod"), "quorum")
    with pytest.raises(ConfigError, match="unknown key 'mod'; did you mean 'mode'"):
        load_fleet(envs)
