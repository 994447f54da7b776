"""The delivery custom resources validate against the vendored upstream CRDs of Argo CD and External Secrets,
strictly (unknown fields fail)."""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.support import ARGO_GROUP, collect_variant, fleet_docs, set_rollout

GROUPS = (ARGO_GROUP, "external-secrets.io")


def argo_objects(tmp: Path, strategy: str) -> list[dict[str, Any]]:
    docs = fleet_docs(collect_variant(tmp, partial(set_rollout, strategy=strategy)))
    return [doc for doc in docs.values() if doc["apiVersion"].rpartition("/")[0] in GROUPS]


@pytest.mark.parametrize("strategy", ["app-of-apps", "application-set"])
def test_argo_cd_objects_match_the_upstream_schemas(strategy: str, tmp_path: Path) -> None:
    objects = argo_objects(tmp_path, strategy)
    kinds = sorted({doc["kind"] for doc in objects})
    expected = ["AppProject", "Application", "ExternalSecret"]
    if strategy == "application-set":
        expected = ["AppProject", "Application", "ApplicationSet", "ExternalSecret"]
    assert kinds == expected
    assert crd_schemas.check(objects) == [Outcome()] * len(objects)


def test_the_schemas_catch_a_broken_delivery_object(tmp_path: Path) -> None:
    """The same check fails on the rendered objects with one field mistyped or misspelled each."""
    objects: dict[str, dict[str, Any]] = {}
    for doc in argo_objects(tmp_path, "application-set"):
        if doc["kind"] != "AppProject" or "syncWindows" in doc["spec"]:  # the cities' project has the window
            objects.setdefault(doc["kind"], doc)
    window = copy.deepcopy(objects["AppProject"])
    window["spec"]["syncWindows"][0]["manualSync"] = "yes"
    step = copy.deepcopy(objects["ApplicationSet"])
    step["spec"]["strategy"]["rollingSync"]["steps"][0]["matchExpressions"] = "bandung"
    app = copy.deepcopy(objects["Application"])
    app["spec"]["syncPolicy"]["automatd"] = app["spec"]["syncPolicy"].pop("automated")
    secret = copy.deepcopy(objects["ExternalSecret"])
    secret["spec"]["target"]["template"]["metdata"] = secret["spec"]["target"]["template"].pop("metadata")
    assert crd_schemas.check([window, step, app, secret]) == [
        Outcome(errors=("spec.syncWindows.0.manualSync: 'yes' is not of type 'boolean'",)),
        Outcome(errors=("spec.strategy.rollingSync.steps.0.matchExpressions: 'bandung' is not of type 'array'",)),
        Outcome(errors=("spec.syncPolicy: Additional properties are not allowed ('automatd' was unexpected)",)),
        Outcome(errors=("spec.target.template: Additional properties are not allowed ('metdata' was unexpected)",)),
    ]
