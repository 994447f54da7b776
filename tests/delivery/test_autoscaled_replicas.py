"""Argo CD leaves the replica count of autoscaled Deployments to their HPA, in both strategies."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support import city_applications, collect_variant, fleet_docs, set_rollout

REPLICAS_IGNORED = {"group": "apps", "jsonPointers": ["/spec/replicas"], "kind": "Deployment"}


def _city_specs(strategy: str, tmp_path: Path) -> list[dict[str, Any]]:
    rendered = collect_variant(tmp_path, partial(set_rollout, strategy=strategy))
    if strategy == "app-of-apps":
        return [app["spec"] for app in city_applications(rendered).values()]
    return [fleet_docs(rendered)[("ApplicationSet", "nusantaramart")]["spec"]["template"]["spec"]]


@pytest.mark.parametrize("strategy", ["app-of-apps", "application-set"])
def test_self_heal_never_scales_an_autoscaled_deployment_back(strategy: str, tmp_path: Path) -> None:
    specs = _city_specs(strategy, tmp_path)
    assert specs
    for spec in specs:
        assert REPLICAS_IGNORED in spec["ignoreDifferences"]
        assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]


def test_every_autoscaled_kind_is_covered(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path)
    targets = {
        doc["spec"]["scaleTargetRef"]["kind"]
        for chart, docs in rendered.items()
        if chart != "fleet"
        for doc in docs
        if doc["kind"] == "HorizontalPodAutoscaler"
    }
    assert targets == {REPLICAS_IGNORED["kind"]}
