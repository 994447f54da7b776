"""Everything the workloads render is valid: core kinds against Kubernetes 1.28 (strict), Gateway API
objects against the upstream Gateway API schema shipped by the pinned npm `@kubernetes-models/gateway-api`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from nusantara_fleet.model import Fleet
from nusantara_fleet.validate import crd_schemas
from tests.workloads.rendering import all_docs

GATEWAY_API = "gateway.networking.k8s.io"
APPS = "shop"


def _split(out: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    core: list[tuple[str, dict[str, Any]]] = []
    custom: list[tuple[str, dict[str, Any]]] = []
    for path, doc in all_docs(out):
        (custom if crd_schemas.handles(doc["apiVersion"]) else core).append((str(path.relative_to(out)), doc))
    return core, custom


@pytest.mark.parametrize("variant", ["ingress_canary", "gateway_canary"])
def test_core_objects_are_valid_kubernetes_1_28(variant: str, request: pytest.FixtureRequest) -> None:
    _, out = request.getfixturevalue(variant)
    # The edge mode and canaries change only the apps namespace; tests/synth validates the rest of dist/.
    core = [(name, doc) for name, doc in _split(out)[0] if doc["metadata"].get("namespace") == APPS]
    failures = []
    for name, doc in core:
        try:
            kubernetes_validate.validate(doc, "1.28", strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{name}: {exc.message}")
    assert len(core) > 3 * 50
    assert failures == []


def _gateway_api_docs(out: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(name, doc) for name, doc in _split(out)[1] if doc["apiVersion"].startswith(GATEWAY_API)]


def test_gateway_api_objects_match_the_upstream_schema(gateway_canary: tuple[Fleet, Path]) -> None:
    _, out = gateway_canary
    docs = _gateway_api_docs(out)
    assert sorted({doc["kind"] for _, doc in docs}) == ["Gateway", "HTTPRoute"]
    outcomes = crd_schemas.check([doc for _, doc in docs])
    failures = {
        name: outcome for (name, _), outcome in zip(docs, outcomes, strict=True) if outcome.errors or outcome.missing
    }
    assert failures == {}


def _break_weight(doc: dict[str, Any]) -> None:
    doc["spec"]["rules"][0]["backendRefs"][0]["weight"] = -1


def _break_listener(doc: dict[str, Any]) -> None:
    doc["spec"]["listeners"][0]["protocol"] = 443


@pytest.mark.parametrize(
    ("kind", "name", "damage", "expected"),
    [
        ("HTTPRoute", "gateway", _break_weight, "weight"),
        ("Gateway", "edge", _break_listener, "protocol"),
    ],
    ids=["negative-weight", "numeric-protocol"],
)
def test_the_schema_check_rejects_a_broken_object(
    gateway_canary: tuple[Fleet, Path], kind: str, name: str, damage: Any, expected: str
) -> None:
    _, out = gateway_canary
    doc = next(
        copy.deepcopy(d) for _, d in _gateway_api_docs(out) if d["kind"] == kind and d["metadata"]["name"] == name
    )
    damage(doc)
    (outcome,) = crd_schemas.check([doc])
    assert any(expected in error for error in outcome.errors), outcome
