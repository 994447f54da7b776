"""The SLA table in envs/: each row is one alert, so the loader refuses rows that cannot be one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import edit_yaml


def _problems(envs: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    return [str(problem).partition(": ")[2] for problem in caught.value.problems]


def _edit_row(envs: Path, index: int, **values: Any) -> None:
    def change(fleet: Any) -> None:
        fleet["observability"]["sla"][index].update(values)

    edit_yaml(envs / "fleet.yaml", change)


def test_the_default_table_loads_with_one_alert_per_row() -> None:
    fleet = load_fleet(Path("envs"))
    alerts = [row.alert for row in fleet.spec.observability.sla]
    assert len(alerts) == len(set(alerts)) == 8


def test_a_repeated_alert_name_is_refused(envs: Path) -> None:
    _edit_row(envs, 7, alert="TrafficSurge")
    assert _problems(envs) == [
        "observability.sla[7].alert: alert 'TrafficSurge' is also observability.sla[6]; each row is one alert and "
        "its runbook page, so names must be unique"
    ]


@pytest.mark.parametrize("cities", [None, 1, 3])
def test_cities_down_counts_between_one_and_all(envs: Path, cities: int | None) -> None:
    _edit_row(envs, 1, cities=cities)
    assert _problems(envs) == [
        "observability.sla[1].cities: `cities_down` needs `cities` from 2 to 2 (the fleet has 3 cities: one city "
        "down and all cities down are rows of their own)"
    ]


def test_cities_on_another_condition_is_refused(envs: Path) -> None:
    _edit_row(envs, 0, cities=2)
    assert _problems(envs) == [
        "observability.sla[0].cities: `cities` applies only to `condition: cities_down`, not 'all_cities_down'"
    ]


def test_an_alert_name_that_is_not_pascal_case_is_explained(envs: Path) -> None:
    _edit_row(envs, 0, alert="all-cities-down")
    (problem,) = _problems(envs)
    assert problem.startswith("observability.sla[0].alert: 'all-cities-down' must be an alert name in PascalCase")
