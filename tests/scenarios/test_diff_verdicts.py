"""`fleet diff` leads each city's summary with the head side's capacity and scenario verdicts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from nusantara_fleet.diff import diff_sides
from nusantara_fleet.diff import report as diff_report
from nusantara_fleet.diff.verdicts import verdicts
from nusantara_fleet.model import load_fleet
from tests.support import DIST, ENVS

FITS = "capacity: fits (`fleet plan`) · scenarios: pass (`fleet scenarios`)"


@pytest.fixture
def head(default_tree: Path, tmp_path: Path) -> Path:
    """A checkout's judged tree with its envs/ beside it, and one object changed."""
    shutil.copytree(ENVS, tmp_path / "envs")
    tree = Path(shutil.copytree(default_tree, tmp_path / "dist"))
    path = tree / "bandung" / "DestinationRule.catalog.k8s.yaml"
    body = yaml.safe_load(path.read_text())
    body["spec"]["trafficPolicy"]["outlierDetection"]["interval"] = "10s"
    path.write_text(yaml.safe_dump(body))
    return tree


def test_each_city_leads_with_its_verdicts(head: Path, default_tree: Path) -> None:
    result = diff_sides(str(default_tree), str(head), repo=head.parent)
    markdown = diff_report.markdown(result)
    for city, wave in (("bandung", 0), ("surabaya", 1), ("jakarta", 2)):
        heading = next(line for line in markdown.splitlines() if line.startswith(f"**{city}** · wave {wave}"))
        assert markdown.split(heading + "\n", 1)[1].splitlines()[0] == f"- {FITS}"
    assert f"    - {FITS}" in diff_report.text(result)


def test_a_divergence_shows_in_its_users_city(head: Path, default_tree: Path) -> None:
    path = head / "bandung" / "DestinationRule.catalog.k8s.yaml"
    body = yaml.safe_load(path.read_text())
    del body["spec"]["trafficPolicy"]["outlierDetection"]
    path.write_text(yaml.safe_dump(body))
    result = diff_sides(str(default_tree), str(head), repo=head.parent)
    assert [(v.city, v.scenarios) for v in result.verdicts] == [
        ("bandung", "5 divergence(s)"),
        ("jakarta", "pass"),
        ("surabaya", "pass"),
    ]


def test_without_envs_beside_the_tree_capacity_is_not_judged(default_tree: Path, tmp_path: Path) -> None:
    head = Path(shutil.copytree(default_tree, tmp_path / "elsewhere" / "tree"))
    (head / "bandung" / "Gslb.web.k8s.yaml").unlink()
    result = diff_sides(str(DIST), str(head), repo=tmp_path)
    assert {v.capacity for v in result.verdicts} == {"not judged, no envs/ beside the tree"}


def test_a_tree_without_the_fleet_names_why_its_scenarios_did_not_run() -> None:
    plan = load_fleet(ENVS).capacity
    judged = verdicts({}, plan, "head")
    assert {v.city for v in judged} == {"bandung", "jakarta", "surabaya"}
    assert {v.scenarios for v in judged} == {
        "not run, has no ConfigMap fleet-topology in fleet/: is it a rendered fleet?"
    }
    assert {v.capacity for v in judged} == {"fits"}
