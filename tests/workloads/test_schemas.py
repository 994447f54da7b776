"""Everything the workloads render is valid: core kinds on every supported Kubernetes minor (strict), Gateway
API objects against the vendored upstream CRDs (strict, with their CEL rules)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import Fleet
from nusantara_fleet.validate import core_schemas, crd_schemas
from nusantara_fleet.validate.core_schemas import Verdict
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.support import all_docs

GATEWAY_API = "gateway.networking.k8s.io"
APPS = "shop"


def _split(out: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    core: list[tuple[str, dict[str, Any]]] = []
    custom: list[tuple[str, dict[str, Any]]] = []
    for path, doc in all_docs(out):
        (custom if crd_schemas.handles(doc["apiVersion"]) else core).append((str(path.relative_to(out)), doc))
    return core, custom


@pytest.mark.parametrize("variant", ["ingress_canary", "gateway_canary"])
def test_core_objects_are_valid_on_every_supported_minor(variant: str, request: pytest.FixtureRequest) -> None:
    _, out = request.getfixturevalue(variant)
    # The edge mode and canaries change only the apps namespace; tests/synth validates the rest of dist/.
    core = [(name, doc) for name, doc in _split(out)[0] if doc["metadata"].get("namespace") == APPS]
    assert len(core) > 3 * 50
    assert {name: core_schemas.check(doc) for name, doc in core} == {name: Verdict() for name, _ in core}


def _gateway_api_docs(out: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(name, doc) for name, doc in _split(out)[1] if doc["apiVersion"].startswith(GATEWAY_API)]


def test_gateway_api_objects_match_the_upstream_schema(gateway_canary: tuple[Fleet, Path]) -> None:
    _, out = gateway_canary
    docs = _gateway_api_docs(out)
    assert sorted({doc["kind"] for _, doc in docs}) == ["Gateway", "HTTPRoute"]
    outcomes = crd_schemas.check([doc for _, doc in docs])
    assert dict(zip((name for name, _ in docs), outcomes, strict=True)) == {name: Outcome() for name, _ in docs}


def _break_weight(doc: dict[str, Any]) -> None:
    doc["spec"]["rules"][0]["backendRefs"][0]["weight"] = -1


def _break_listener(doc: dict[str, Any]) -> None:
    doc["spec"]["listeners"][0]["protocol"] = 443


def _misspell_weight(doc: dict[str, Any]) -> None:
    backend = doc["spec"]["rules"][0]["backendRefs"][0]
    backend["weigth"] = backend.pop("weight")


def _repeat_listener(doc: dict[str, Any]) -> None:
    first, last = doc["spec"]["listeners"][0], doc["spec"]["listeners"][-1]
    last.update(port=first["port"], protocol=first["protocol"], hostname=first["hostname"])


@pytest.mark.parametrize(
    ("kind", "name", "damage", "errors"),
    [
        (
            "HTTPRoute",
            "api",
            _break_weight,
            ("spec.rules.0.backendRefs.0.weight: -1 is less than the minimum of 0",),
        ),
        ("Gateway", "edge", _break_listener, ("spec.listeners.0.protocol: 443 is not of type 'string'",)),
        (
            "HTTPRoute",
            "web",
            _misspell_weight,
            ("spec.rules.0.backendRefs.0: Additional properties are not allowed ('weigth' was unexpected)",),
        ),
        (
            "Gateway",
            "edge",
            _repeat_listener,
            ("spec.listeners: Combination of port, protocol and hostname must be unique for each listener",),
        ),
    ],
    ids=["negative-weight", "numeric-protocol", "misspelled-field", "cel-unique-listeners"],
)
def test_the_schema_check_rejects_a_broken_object(
    gateway_canary: tuple[Fleet, Path],
    kind: str,
    name: str,
    damage: Callable[[dict[str, Any]], None],
    errors: tuple[str, ...],
) -> None:
    _, out = gateway_canary
    doc = next(
        copy.deepcopy(d) for _, d in _gateway_api_docs(out) if d["kind"] == kind and d["metadata"]["name"] == name
    )
    damage(doc)
    assert crd_schemas.check([doc]) == [Outcome(errors=errors)]
