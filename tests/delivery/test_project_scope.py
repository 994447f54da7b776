"""The cities' AppProject admits everything the cities render, and nothing more."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.delivery.rendering import FLEET, fleet_docs, render_variant


def test_every_rendered_object_fits_the_project(tmp_path: Path) -> None:
    out = render_variant(tmp_path)
    project = fleet_docs(out)[("AppProject", "nusantaramart")]["spec"]
    allowed = {(d["name"], d["namespace"]) for d in project["destinations"]}
    cluster_kinds = {(k["group"], k["kind"]) for k in project["clusterResourceWhitelist"]}
    checked = 0
    for city_dir in sorted(p for p in out.iterdir() if p.is_dir() and p.name != FLEET):
        for path in sorted(city_dir.glob("*.k8s.yaml")):
            doc = yaml.safe_load(path.read_text())
            namespace = doc["metadata"].get("namespace")
            if namespace is None:
                group = doc["apiVersion"].rpartition("/")[0]
                assert (group, doc["kind"]) in cluster_kinds, f"{path}: cluster-scoped kind not whitelisted"
            else:
                assert (city_dir.name, namespace) in allowed, f"{path}: namespace {namespace} not a destination"
            checked += 1
    assert checked > 0


def test_project_allows_only_the_fleet_repository(tmp_path: Path) -> None:
    docs = fleet_docs(render_variant(tmp_path))
    for name in ("nusantaramart", "nusantaramart-fleet"):
        assert docs[("AppProject", name)]["spec"]["sourceRepos"] == [
            "https://github.com/nusantaramart/nusantara-fleet.git"
        ]
    root = docs[("AppProject", "nusantaramart-fleet")]["spec"]
    assert root["destinations"] == [{"name": "in-cluster", "namespace": "argocd"}]
