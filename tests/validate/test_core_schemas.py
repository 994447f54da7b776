from __future__ import annotations

import copy
from typing import Any

import yaml

from nusantara_fleet.validate import core_schemas
from nusantara_fleet.validate.documents import load_documents
from tests.support import ROOT
from tests.validate.support import FIXTURES, fixture_dir


def good_deployment() -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(
        (fixture_dir("deny_probes", "allow") / "bandung/Deployment.web.yaml").read_text()
    )
    return body


def errors_of(body: dict[str, Any]) -> list[str]:
    checker = core_schemas.validator(body["apiVersion"], body["kind"])
    assert checker is not None
    return core_schemas.errors(body, checker)


def test_a_good_deployment_passes() -> None:
    assert errors_of(good_deployment()) == []


def test_strict_mode_rejects_an_unknown_field() -> None:
    body = good_deployment()
    body["spec"]["replica"] = body["spec"].pop("replicas")
    assert errors_of(body) == ["spec: Additional properties are not allowed ('replica' was unexpected)"]


def test_every_error_is_reported_with_its_field() -> None:
    body = good_deployment()
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"containerPort": "8080"}]
    container["imagePullPolice"] = "Always"
    assert errors_of(body) == [
        "spec.template.spec.containers.0.ports.0.containerPort: '8080' is not of type 'integer'",
        "spec.template.spec.containers.0: Additional properties are not allowed ('imagePullPolice' was unexpected)",
    ]


def test_a_missing_required_field_is_an_error() -> None:
    body = copy.deepcopy(good_deployment())
    del body["spec"]["selector"]
    assert errors_of(body) == ["spec: 'selector' is a required property"]


def test_validators_are_built_once_per_kind() -> None:
    assert core_schemas.validator("apps/v1", "Deployment") is core_schemas.validator("apps/v1", "Deployment")


def test_kinds_kubernetes_does_not_have_get_no_validator() -> None:
    assert core_schemas.validator("argoproj.io/v1alpha1", "Application") is None
    assert core_schemas.validator("apps/v1", "Deploymnt") is None


def test_the_compiled_check_agrees_with_jsonschema() -> None:
    """The compiled fast path may only pass what jsonschema passes (and it must catch the usual errors)."""
    bodies = [doc.body for doc in load_documents(FIXTURES) + load_documents(ROOT / "dist")]
    broken = good_deployment()
    broken["spec"]["replica"] = 2
    wrong_type = good_deployment()
    wrong_type["spec"]["replicas"] = "two"
    no_selector = good_deployment()
    del no_selector["spec"]["selector"]
    checked = 0
    for body in [*bodies, broken, wrong_type, no_selector]:
        checker = core_schemas.validator(body["apiVersion"], body["kind"])
        if checker is None:
            continue
        checked += 1
        verdict = core_schemas.passes(body, body["apiVersion"], body["kind"])
        assert verdict == (core_schemas.errors(body, checker) == []), body["metadata"]
    assert checked > 100
    assert not any(core_schemas.passes(body, "apps/v1", "Deployment") for body in (broken, wrong_type, no_selector))
