"""`fleet diff` flags a change that makes the capacity plan fall short, from both sides' plans."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nusantara_fleet.diff import diff_sides
from nusantara_fleet.diff.risks import Risk, capacity_risks
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.capacity.plan import CapacityPlan
from tests.support import ENVS, edit_yaml

RISK = Risk(
    "bandung",
    "capacity plan",
    "no longer fits: general pool, jakarta lost: cpu limits: 23.20 vCPU needed, 22.50 vCPU available (26 pods on 3 "
    "medium nodes) and 1 more; see `fleet plan`",
)


def _smaller_bandung(envs: Path) -> Path:
    edit_yaml(envs / "bandung.yaml", lambda city: city.update(node_pools={"general": {"nodes": 3}}))
    return envs


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> tuple[CapacityPlan, CapacityPlan]:
    envs = tmp_path_factory.mktemp("smaller") / "envs"
    shutil.copytree(ENVS, envs)
    return load_fleet(ENVS).capacity, load_fleet(_smaller_bandung(envs)).capacity


def test_a_change_that_makes_lines_fall_short_is_one_risk_per_city(plans: tuple[CapacityPlan, CapacityPlan]) -> None:
    before, after = plans
    assert capacity_risks(before, after) == [RISK]


def test_lines_that_were_short_already_or_fit_again_are_no_risk(plans: tuple[CapacityPlan, CapacityPlan]) -> None:
    before, after = plans
    assert capacity_risks(after, after) == []
    assert capacity_risks(after, before) == []


def test_a_side_read_from_a_rendered_tree_has_no_plan_to_compare(plans: tuple[CapacityPlan, CapacityPlan]) -> None:
    before, after = plans
    assert capacity_risks(None, after) == []
    assert capacity_risks(before, None) == []


def test_fleet_diff_between_envs_directories_reports_the_risk(tmp_path: Path) -> None:
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(ENVS, base)
    shutil.copytree(ENVS, head)
    result = diff_sides(str(base), str(_smaller_bandung(head)), repo=tmp_path)
    assert RISK in result.risks
