"""Waves follow the rollout order, whatever order envs/ gives, in both strategies."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import naming
from tests.support import city_applications, collect_variant, fleet_docs, set_rollout

CITIES = ("bandung", "surabaya", "jakarta")
Change = Callable[[Path], None]


def _component(doc: dict[str, Any]) -> str | None:
    component: str | None = (doc["metadata"].get("labels") or {}).get("app.kubernetes.io/component")
    return component


ORDERS = [list(order) for order in permutations(CITIES)]


def ordered(order: list[str], **rollout: Any) -> Change:
    """`rollout.order` = `order`, with the gate named on its last city (the gated city always rolls out last)."""
    gate: dict[str, Any] = {"gated_city": order[-1]} if order[-1] != CITIES[-1] else {}
    return partial(set_rollout, order=order, **gate, **rollout)


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(order) for order in ORDERS])
def test_child_application_waves_follow_the_rollout_order(order: list[str], tmp_path: Path) -> None:
    changes = [] if tuple(order) == CITIES else [ordered(order)]
    out = collect_variant(tmp_path, *changes)
    apps = city_applications(out)
    waves = {city: int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for city, app in apps.items()}
    assert sorted(waves, key=waves.__getitem__) == order
    # wave 0 holds every city's data layer; the apps follow one wave per city
    assert sorted(waves.values()) == list(range(1, len(order) + 1))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(order) for order in ORDERS])
def test_rolling_sync_steps_follow_the_rollout_order(order: list[str], tmp_path: Path) -> None:
    out = collect_variant(tmp_path, ordered(order, strategy="application-set"))
    appset = fleet_docs(out)[("ApplicationSet", "nusantaramart")]
    steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
    selected = []
    for step in steps:
        (expression,) = step["matchExpressions"]
        assert (expression["key"], expression["operator"]) == (naming.CITY_LABEL, "In")
        selected.extend(expression["values"])
    assert selected == order
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [e["city"] for e in elements] == order
    assert [e["step"] for e in elements] == [str(i) for i in range(len(order))]


def test_setup_objects_sync_before_any_city(tmp_path: Path) -> None:
    """The projects, cluster registrations and the health check exist before the first city's wave."""
    docs = fleet_docs(collect_variant(tmp_path))
    first_city_wave = min(
        int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for app in city_applications(collect_variant(tmp_path / "again")).values()
    )
    for (kind, name), doc in docs.items():
        if kind in ("AppProject", "ExternalSecret") or name == "argocd-cm":
            assert int(doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < first_city_wave, name


def test_namespaces_sync_before_the_data_layer_and_the_data_layer_before_the_apps(tmp_path: Path) -> None:
    """Within a city: namespaces, then every data-layer object, then everything else."""
    rendered = collect_variant(tmp_path)
    for city in CITIES:
        waves: dict[str, set[int]] = {"namespaces": set(), "data": set(), "apps": set()}
        for doc in rendered[city]:
            wave = int((doc["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-wave", "0"))
            if doc["kind"] == "Namespace":
                waves["namespaces"].add(wave)
            elif doc["metadata"].get("namespace") == "data" or _component(doc) == "data":
                waves["data"].add(wave)
            else:
                waves["apps"].add(wave)
        assert waves["namespaces"] and waves["data"] and waves["apps"], city
        assert max(waves["namespaces"]) < min(waves["data"] | waves["apps"]), city
        assert max(waves["data"]) < min(waves["apps"]), city
