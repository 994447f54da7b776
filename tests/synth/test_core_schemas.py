"""Every rendered core object is valid on every supported Kubernetes minor in strict mode (unknown fields fail)."""

from __future__ import annotations

from typing import Any

import pytest

from nusantara_fleet.validate import core_schemas
from nusantara_fleet.validate.core_schemas import Verdict
from tests.support import DIST, iter_docs

CORE_GROUPS = {
    "",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
}


def _group(doc: dict[str, Any]) -> str:
    api_version: str = doc["apiVersion"]
    return api_version.rpartition("/")[0]


CORE_DOCS = [(str(path.relative_to(DIST)), doc) for path, doc in iter_docs(DIST) if _group(doc) in CORE_GROUPS]


def test_there_are_core_objects_to_check() -> None:
    kinds = {doc["kind"] for _, doc in CORE_DOCS}
    assert {"Namespace", "ConfigMap"} <= kinds


@pytest.mark.parametrize("doc", [d for _, d in CORE_DOCS], ids=[name for name, _ in CORE_DOCS])
def test_core_object_is_valid_on_every_supported_minor(doc: dict[str, Any]) -> None:
    assert core_schemas.check(doc) == Verdict()
