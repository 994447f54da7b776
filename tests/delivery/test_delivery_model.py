"""Bad delivery settings in envs/fleet.yaml fail with the file, line, field and what is allowed."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import set_rollout


@pytest.mark.parametrize(
    ("rollout", "field", "message"),
    [
        ({"strategy": "waves"}, "rollout.strategy", "Input should be 'app-of-apps' or 'application-set'"),
        ({"gated_city": "medan"}, "rollout.gated_city", "gated city 'medan' has no city file"),
        (
            {"gate_window": {"time_zone": "Java/Jakarta"}},
            "rollout.gate_window.time_zone",
            "'Java/Jakarta' is not an IANA time zone such as Asia/Jakarta",
        ),
        (
            {"gate_window": {"schedule": "@daily"}},
            "rollout.gate_window.schedule",
            "'@daily' must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "
            "`30 2 * * *`; `@daily` and other descriptors are not accepted",
        ),
        (
            {"gate_window": {"duration": "1 hour"}},
            "rollout.gate_window.duration",
            "'1 hour' must be a duration of hours, minutes and seconds, e.g. `1h`, `90m` or `1h30m`",
        ),
        (
            {"cluster_server": "https://k8s.example.internal"},
            "rollout.cluster_server",
            "'https://k8s.example.internal' must be an https:// URL containing `{city}`, e.g. "
            "`https://{city}.k8s.example:6443`",
        ),
        ({"release_managers": []}, "rollout.release_managers", "List should have at least 1 item"),
        ({"repo": "x"}, "rollout.repo", "unknown key 'repo'; did you mean 'repo_url'?"),
    ],
    ids=[
        "strategy",
        "gated-city",
        "time-zone",
        "schedule",
        "duration",
        "cluster-server",
        "release-managers",
        "unknown-key",
    ],
)
def test_bad_rollout_settings_are_located_errors(rollout: dict[str, Any], field: str, message: str, envs: Path) -> None:
    set_rollout(envs, **rollout)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    (problem,) = caught.value.problems
    assert (problem.file, problem.field) == ("envs/fleet.yaml", field)
    assert problem.line is not None
    assert message in problem.message


def test_the_gate_follows_the_primary_unless_named(envs: Path) -> None:
    assert load_fleet(envs).gated_city.name == "jakarta"
    partial(set_rollout, gated_city="surabaya", order=["bandung", "jakarta", "surabaya"])(envs)
    fleet = load_fleet(envs)
    assert (fleet.gated_city.name, fleet.primary.name) == ("surabaya", "jakarta")
    assert [city.name for city in fleet.cities if not fleet.delivery.automated(city)] == ["surabaya"]
