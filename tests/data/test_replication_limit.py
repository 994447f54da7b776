"""The leader can serve every member of the fleet at once, however many cities stream from it."""

from __future__ import annotations

from pathlib import Path

from bench.fleetgen import write_envs
from nusantara_fleet.model import load_fleet
from tests.support import ENVS


def _streams(envs: Path) -> tuple[int, int]:
    data = load_fleet(envs).data
    members = sum(city.members + city.reporting_members for city in data.cities)
    return members + len(data.cities), data.replication_limit


def test_default_fleet_keeps_room_beyond_every_member() -> None:
    streams, limit = _streams(ENVS)
    assert limit > streams


def test_thirty_standby_cities_do_not_run_out_of_senders_or_slots(tmp_path: Path) -> None:
    streams, limit = _streams(write_envs(tmp_path / "envs", cities=30, services=6))
    assert streams > 30
    assert limit > streams
