"""The report cache: one Redis per city for the report service, persistence by model switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import DIST, city_docs, edit_yaml, render_variant


def _cache(out: Path, city: str) -> dict[str, Any]:
    doc: dict[str, Any] = city_docs(out, city)[("StatefulSet", "report-cache")]
    return doc


def test_cache_is_ephemeral_by_default() -> None:
    cache = _cache(DIST, "jakarta")
    pod = cache["spec"]["template"]["spec"]
    args = pod["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "no"
    assert "volumeClaimTemplates" not in cache["spec"]
    assert pod["volumes"] == [{"emptyDir": {"sizeLimit": "512Mi"}, "name": "data"}]
    assert args[args.index("--maxmemory") + 1] == "384mb", "75 % of the light class's 512Mi limit"


def test_persistence_keeps_an_append_only_file_on_a_volume(tmp_path: Path) -> None:
    def persist(envs: Path) -> None:
        edit_yaml(envs / "fleet.yaml", lambda fleet: {**fleet, "report_cache": {"persistence": True, "storage_gib": 2}})

    _, out = render_variant(tmp_path, persist)
    cache = _cache(out, "bandung")
    args = cache["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    (claim,) = cache["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert "volumes" not in cache["spec"]["template"]["spec"]


def test_cache_is_available_through_a_drain_and_reachable_by_name() -> None:
    docs = city_docs(DIST, "surabaya")
    cache = docs[("StatefulSet", "report-cache")]
    assert cache["spec"]["replicas"] == 2
    assert docs[("PodDisruptionBudget", "report-cache")]["spec"]["minAvailable"] == 1
    assert docs[("Service", "report-cache")]["spec"]["ports"][0]["port"] == 6379
    config = docs[("ConfigMap", "report-config")]["data"]
    assert (config["CACHE_HOST"], config["CACHE_PORT"]) == ("report-cache.shop.svc.cluster.local", "6379")
    assert "CACHE_HOST" not in docs[("ConfigMap", "order-config")]["data"]


def test_no_cache_client_no_cache(tmp_path: Path) -> None:
    def no_cache(envs: Path) -> None:
        def change(fleet: dict[str, Any]) -> None:
            for service in fleet["services"]:
                service.pop("cache", None)

        edit_yaml(envs / "fleet.yaml", change)

    _, out = render_variant(tmp_path, no_cache)
    assert not list(out.rglob("*report-cache*"))
