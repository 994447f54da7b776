"""The gated city never syncs on its own, whichever city is primary and whichever strategy renders it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import naming
from tests.support import city_applications, collect_variant, fleet_docs, set_primary, set_rollout

Change = Callable[[Path], None]
# (variant id, changes to envs/, the city that must be gated)
VARIANTS: list[tuple[str, list[Change], str]] = [
    ("default", [], "jakarta"),
    ("primary-bandung", [partial(set_primary, city="bandung")], "bandung"),
    ("primary-surabaya", [partial(set_primary, city="surabaya")], "surabaya"),
    (
        "explicit-gate",
        [partial(set_rollout, gated_city="surabaya", order=["bandung", "jakarta", "surabaya"])],
        "surabaya",
    ),
    (
        "primary-bandung-gate-jakarta",
        [partial(set_rollout, gated_city="jakarta"), partial(set_primary, city="bandung")],
        "jakarta",
    ),
]
STRATEGIES = ["app-of-apps", "application-set"]
CASES = [(v, s) for v in VARIANTS for s in STRATEGIES]


def _project(docs: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    return docs[("AppProject", "nusantaramart")]


@pytest.mark.parametrize(("variant", "strategy"), CASES, ids=[f"{v[0]}-{s}" for v, s in CASES])
def test_gated_city_has_no_automated_sync(
    variant: tuple[str, list[Change], str], strategy: str, tmp_path: Path
) -> None:
    _, changes, gated = variant
    out = collect_variant(tmp_path, *changes, partial(set_rollout, strategy=strategy))
    docs = fleet_docs(out)
    if strategy == "app-of-apps":
        apps = city_applications(out)
        assert "automated" not in apps[gated]["spec"]["syncPolicy"]
        assert apps[gated]["metadata"]["annotations"][naming.GATE_ANNOTATION] == "true"
        for city, app in apps.items():
            if city != gated:
                assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}, city
                assert naming.GATE_ANNOTATION not in app["metadata"]["annotations"], city
    else:
        appset = docs[("ApplicationSet", "nusantaramart")]
        assert "automated" not in appset["spec"]["template"]["spec"]["syncPolicy"]
        elements = appset["spec"]["generators"][0]["list"]["elements"]
        assert [e["city"] for e in elements if e["gated"] == "true"] == [gated]
        steps = appset["spec"]["strategy"]["rollingSync"]["steps"]
        held = [s["matchExpressions"][0]["values"] for s in steps if s.get("maxUpdate") == 0]
        assert held == [[gated]]
        # The patch adds automated sync only under the not-gated branch of the template.
        patch = appset["spec"]["templatePatch"]
        assert patch.index("automated") > patch.index("{{- else }}")
    # Both strategies: every city's data Application is the root's own; the gated city's is synced by hand.
    for city in ("bandung", "surabaya", "jakarta"):
        data = docs[("Application", f"nusantaramart-{city}-data")]
        if city == gated:
            assert "automated" not in data["spec"]["syncPolicy"]
            assert data["metadata"]["annotations"][naming.GATE_ANNOTATION] == "true"
        else:
            assert data["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}, city
            assert naming.GATE_ANNOTATION not in data["metadata"]["annotations"], city
    (window,) = _project(docs)["spec"]["syncWindows"]
    assert (window["kind"], window["manualSync"]) == ("deny", True)
    assert window["clusters"] == [gated]
    assert window["applications"] == [f"nusantaramart-{gated}", f"nusantaramart-{gated}-data"]


@pytest.mark.parametrize("variant", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_only_release_managers_may_sync_the_gated_city(variant: tuple[str, list[Change], str], tmp_path: Path) -> None:
    _, changes, gated = variant
    (role,) = _project(fleet_docs(collect_variant(tmp_path, *changes)))["spec"]["roles"]
    syncs = [p for p in role["policies"] if ", sync, " in p]
    assert syncs == [
        f"p, proj:nusantaramart:release-manager, applications, sync, nusantaramart/nusantaramart-{gated}, allow",
        f"p, proj:nusantaramart:release-manager, applications, sync, nusantaramart/nusantaramart-{gated}-data, allow",
    ]
    assert role["groups"] == ["nusantaramart:release-managers"]


def test_moving_the_primary_moves_its_city_to_the_last_wave(tmp_path: Path) -> None:
    """The gate follows the primary and rolls out last (model/checks.py refuses it anywhere else)."""
    after = city_applications(collect_variant(tmp_path, partial(set_primary, city="bandung")))
    wave = "argocd.argoproj.io/sync-wave"
    assert {c: a["metadata"]["annotations"][wave] for c, a in after.items()} == {
        "surabaya": "1",
        "jakarta": "2",
        "bandung": "3",
    }
    assert "automated" not in after["bandung"]["spec"]["syncPolicy"]
