"""The cities' AppProject admits everything the cities render, and nothing more."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from tests.support import FLEET, collect_variant, fleet_docs, set_rollout

# observability, the prerequisites (External Secrets, TopoLVM, external-dns), the mesh and k8gb
ADDONS_PER_CITY = 5 + 3 + 4 + 1


def test_every_rendered_object_fits_the_project(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path)
    project = fleet_docs(rendered)[("AppProject", "nusantaramart")]["spec"]
    allowed = {(d["name"], d["namespace"]) for d in project["destinations"]}
    cluster_kinds = {(k["group"], k["kind"]) for k in project["clusterResourceWhitelist"]}
    checked = 0
    for city, docs in sorted(rendered.items()):
        if city == FLEET:
            continue
        for doc in docs:
            where = f"{city}/{doc['kind']}.{doc['metadata']['name']}"
            namespace = doc["metadata"].get("namespace")
            if namespace is None:
                group = doc["apiVersion"].rpartition("/")[0]
                assert (group, doc["kind"]) in cluster_kinds, f"{where}: cluster-scoped kind not whitelisted"
            else:
                assert (city, namespace) in allowed, f"{where}: namespace {namespace} not a destination"
            checked += 1
    assert checked > 0


def test_project_allows_only_the_fleet_repository(tmp_path: Path) -> None:
    docs = fleet_docs(collect_variant(tmp_path))
    for name in ("nusantaramart", "nusantaramart-fleet"):
        assert docs[("AppProject", name)]["spec"]["sourceRepos"] == [
            "https://github.com/nusantaramart/nusantara-fleet.git"
        ]
    root = docs[("AppProject", "nusantaramart-fleet")]["spec"]
    assert root["destinations"] == [{"name": "in-cluster", "namespace": "argocd"}]


def test_every_application_names_its_destination_and_never_also_gives_a_server(tmp_path: Path) -> None:
    """Argo CD rejects `name` and `server` together; sync windows and the project match on the name."""
    for strategy in ("app-of-apps", "application-set"):
        docs = fleet_docs(collect_variant(tmp_path / strategy, partial(set_rollout, strategy=strategy)))
        destinations = [doc["spec"]["destination"] for (kind, _), doc in docs.items() if kind == "Application"]
        destinations += [
            doc["spec"]["template"]["spec"]["destination"]
            for (kind, _), doc in docs.items()
            if kind == "ApplicationSet"
        ]
        # The root, each city's platform and data layer, each city's apps (or the ApplicationSet), and the charts.
        assert len(destinations) == (10 if strategy == "app-of-apps" else 8) + ADDONS_PER_CITY * 3
        assert all("name" in d and "server" not in d for d in destinations), destinations
