"""The render pipeline end to end: committed dist/ is current, deterministic, and cdk8s agrees byte for byte."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.platform.namespace import Namespace
from nusantara_fleet.model import load_fleet
from nusantara_fleet.synth import render
from tests.support import DIST, ENVS, ROOT, iter_docs, read_tree


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh") / "dist"
    render(load_fleet(ENVS), out)
    return out


def test_committed_dist_is_a_fresh_render(fresh: Path) -> None:
    committed, rendered = read_tree(DIST), read_tree(fresh)
    stale = sorted(name for name in committed.keys() | rendered.keys() if committed.get(name) != rendered.get(name))
    assert stale == [], f"dist/ is stale in {len(stale)} files (first: {stale[:5]}): run `make run` and commit"


def test_cdk8s_synth_renders_the_same_bytes(fresh: Path, tmp_path: Path) -> None:
    out = tmp_path / "cdk8s-out"
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(
        ["cdk8s", "synth", "--no-check-upgrade", "--output", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    assert read_tree(out) == read_tree(fresh)


def test_same_input_same_bytes_under_different_hash_seeds(tmp_path: Path) -> None:
    trees = []
    for seed in ("1", "4242"):
        out = tmp_path / f"seed-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "nusantara_fleet.cli", "synth", "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        trees.append(read_tree(out))
    assert trees[0] == trees[1]


def test_output_is_one_sorted_file_per_object(fresh: Path) -> None:
    for path, doc in iter_docs(fresh):
        assert path.name == f"{doc['kind']}.{doc['metadata']['name']}.k8s.yaml"
        assert path.parent.name in {"bandung", "surabaya", "jakarta", "fleet"}
        assert path.read_text().count("\n---") == 0
        assert list(doc) == sorted(doc)


def _selectors(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"selector", "matchLabels", "podSelector", "namespaceSelector"} and isinstance(value, dict):
                found.append(value)
            found.extend(_selectors(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_selectors(item))
    return found


def test_no_selector_carries_the_version(fresh: Path) -> None:
    offenders = [
        str(path)
        for path, doc in iter_docs(fresh)
        if any("app.kubernetes.io/version" in str(sel) for sel in _selectors(doc))
    ]
    assert offenders == []


def test_every_object_carries_the_standard_labels(fresh: Path) -> None:
    required = {
        "app.kubernetes.io/name",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/component",
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/version",
    }
    for path, doc in iter_docs(fresh):
        labels = doc["metadata"].get("labels", {})
        assert required <= labels.keys(), path
        if path.parent.name != "fleet":
            assert labels["fleet.nusantaramart.co.id/city"] == path.parent.name, path
            assert labels["fleet.nusantaramart.co.id/role"] in {"primary", "replica"}, path


def test_two_more_cities_are_one_small_file_each(envs: Path, tmp_path: Path) -> None:
    # Two at a time: one etcd member per city, and an even member count is refused.
    for index, city in ((4, "medan"), (5, "makassar")):
        (envs / f"{city}.yaml").write_text(
            "# yaml-language-server: $schema=schema/city.schema.json\n"
            f"network:\n  pod_cidr: 10.{index}0.0.0/16\n  service_cidr: 10.1{index}0.0.0/16\n"
            f"  edge_address: 192.0.2.{index}0\n  eastwest_address: 10.2{index}0.0.10\n"
            f"database:\n  object_storage: {{endpoint: https://s3.{city}.nusantaramart.internal, "
            f"bucket: nusantaramart-postgres-{city}}}\n"
        )
    fleet_yaml = envs / "fleet.yaml"
    fleet_yaml.write_text(
        fleet_yaml.read_text().replace("[bandung, surabaya, jakarta]", "[bandung, surabaya, medan, makassar, jakarta]")
    )
    out = tmp_path / "dist"
    render(load_fleet(envs), out)
    kinds = {
        # Every city probes every city: names of the other cities appear too, so all four are masked.
        city: sorted(re.sub("bandung|surabaya|medan|makassar|jakarta", "CITY", p.name) for p in (out / city).iterdir())
        for city in ("medan", "surabaya")
    }
    assert kinds["medan"] == kinds["surabaya"]
    facts = (out / "medan" / "ConfigMap.city-facts.k8s.yaml").read_text()
    assert "role: replica" in facts and 'rollout-wave: "2"' in facts
    assert "medan" in (out / "fleet" / "ConfigMap.fleet-topology.k8s.yaml").read_text()


def test_synth_prints_a_summary_per_city_and_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--envs", str(ENVS), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.splitlines()
    assert header.split() == ["kind", "bandung", "surabaya", "jakarta", "fleet"]
    namespace_row = next(row.split() for row in rows if row.startswith("Namespace"))
    assert namespace_row[1:4] == ["3", "3", "3"]  # apps, data, and the mesh's istio-system
    files = sum(1 for p in (tmp_path / "out").rglob("*.yaml"))
    assert f"wrote {files} files to {tmp_path / 'out'}/ in " in captured.out
    assert "rendering 3 cities (bandung, surabaya, jakarta)" in captured.err


def test_two_objects_that_would_share_a_file_are_refused() -> None:
    from cdk8s import App

    fleet = load_fleet(ENVS)
    chart = RenderChart(App(), "jakarta")
    city = fleet.city("jakarta")
    Namespace(chart, city=city, name="shop")
    with pytest.raises(ValueError, match=r"dist/jakarta/Namespace\.shop\.k8s\.yaml would be written twice"):
        Namespace(chart, city=city, name="shop")


def test_rendering_on_two_processes_writes_the_same_bytes(fresh: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    summary = render(load_fleet(ENVS), out, jobs=2)
    assert read_tree(out) == read_tree(fresh)
    assert list(summary.kinds_per_chart) == ["bandung", "surabaya", "jakarta", "fleet"]
