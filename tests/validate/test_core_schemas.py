from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import yaml

from nusantara_fleet.validate import core_schemas
from nusantara_fleet.validate.core_schemas import SUPPORTED_VERSIONS, Verdict
from nusantara_fleet.validate.documents import load_documents
from tests.support import ROOT
from tests.validate.support import FIXTURES, fixture_dir

EVERY = SUPPORTED_VERSIONS


def good_deployment() -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(
        (fixture_dir("deny_probes", "allow") / "bandung/Deployment.web.yaml").read_text()
    )
    return body


def service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def test_a_good_deployment_passes_on_every_supported_minor() -> None:
    assert core_schemas.check(good_deployment()) == Verdict()


def test_the_supported_minors_are_those_kubernetes_validate_ships() -> None:
    assert SUPPORTED_VERSIONS == ("1.29", "1.30", "1.31", "1.32", "1.33")
    for version in SUPPORTED_VERSIONS:
        assert core_schemas.schema_key(version, "v1", "ConfigMap") is not None


def test_strict_mode_rejects_an_unknown_field() -> None:
    body = good_deployment()
    body["spec"]["replica"] = body["spec"].pop("replicas")
    assert core_schemas.check(body) == Verdict(
        errors=(("spec: Additional properties are not allowed ('replica' was unexpected)", EVERY),)
    )


def test_every_error_is_reported_with_its_field() -> None:
    body = good_deployment()
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"containerPort": "8080"}]
    container["imagePullPolice"] = "Always"
    assert [error for error, _ in core_schemas.check(body).errors] == [
        "spec.template.spec.containers.0.ports.0.containerPort: '8080' is not of type 'integer'",
        "spec.template.spec.containers.0: Additional properties are not allowed ('imagePullPolice' was unexpected)",
    ]


def test_a_missing_required_field_is_an_error() -> None:
    body = copy.deepcopy(good_deployment())
    del body["spec"]["selector"]
    assert core_schemas.check(body) == Verdict(errors=(("spec: 'selector' is a required property", EVERY),))


def test_a_field_newer_than_the_oldest_minor_fails_there_only() -> None:
    """Service.spec.trafficDistribution arrived in Kubernetes 1.30."""
    assert core_schemas.check(service(trafficDistribution="PreferClose")) == Verdict(
        errors=(("spec: Additional properties are not allowed ('trafficDistribution' was unexpected)", ("1.29",)),)
    )
    assert core_schemas.check(service()) == Verdict()


def test_a_field_of_the_newest_minor_fails_on_the_older_ones() -> None:
    """A container's lifecycle.stopSignal arrived in Kubernetes 1.33."""
    body = good_deployment()
    body["spec"]["template"]["spec"]["containers"][0]["lifecycle"] = {"stopSignal": "SIGTERM"}
    assert core_schemas.check(body) == Verdict(
        errors=(
            (
                "spec.template.spec.containers.0.lifecycle: Additional properties are not allowed "
                "('stopSignal' was unexpected)",
                ("1.29", "1.30", "1.31", "1.32"),
            ),
        )
    )


def test_an_api_removed_in_a_supported_minor_is_missing_there() -> None:
    """flowcontrol.apiserver.k8s.io/v1beta3 left in Kubernetes 1.32."""
    schema = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {"name": "fleet"},
        "spec": {"priorityLevelConfiguration": {"name": "workload-low"}},
    }
    assert core_schemas.check(schema) == Verdict(missing=("1.32", "1.33"))


def test_a_kind_kubernetes_does_not_have_is_missing_everywhere() -> None:
    assert core_schemas.check({"apiVersion": "apps/v1", "kind": "Deploymnt"}) == Verdict(missing=EVERY)


def test_minors_with_the_same_schema_share_one_validator() -> None:
    assert core_schemas.keys("v1", "ConfigMap") == ((core_schemas.schema_key("1.29", "v1", "ConfigMap"), EVERY),)
    assert [versions for _, versions in core_schemas.keys("v1", "Service")] == [
        ("1.29",),
        ("1.30", "1.31", "1.32", "1.33"),
    ]
    key = core_schemas.keys("v1", "ConfigMap")[0][0]
    assert core_schemas.validator(key) is core_schemas.validator(key)


def test_descriptions_and_annotations_do_not_split_schemas() -> None:
    """ConfigMap's schema text differs between 1.29 and 1.30 only in descriptions and x-kubernetes-list-type."""
    assert core_schemas.schema_key("1.29", "v1", "ConfigMap") == core_schemas.schema_key("1.30", "v1", "ConfigMap")
    assert core_schemas.schema_key("1.29", "v1", "Service") != core_schemas.schema_key("1.30", "v1", "Service")


def test_spans_join_consecutive_minors() -> None:
    assert core_schemas.span(EVERY) == "1.29-1.33"
    assert core_schemas.span(("1.29", "1.30", "1.32")) == "1.29-1.30, 1.32"
    assert core_schemas.span(("1.31",)) == "1.31"


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
        for key, _ in core_schemas.schemas_for(body):
            checked += 1
            verdict = core_schemas.passes(body, key)
            assert verdict == (core_schemas.errors(body, core_schemas.validator(key)) == []), body["metadata"]
    assert checked > 100
    for body in (broken, wrong_type, no_selector):
        assert not any(core_schemas.passes(body, key) for key, _ in core_schemas.schemas_for(body))
    assert core_schemas.check(wrong_type, fast=True) == core_schemas.check(wrong_type)


def test_verdicts_agree_with_kubernetes_validate_on_every_minor() -> None:
    """The library's own (uncached, first-error) call on the same bundled schemas, one document per kind."""
    samples: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in load_documents(FIXTURES) + load_documents(ROOT / "dist"):
        if core_schemas.keys(doc.api_version, doc.kind):
            samples.setdefault((doc.api_version, doc.kind), doc.body)
    wrong_type = good_deployment()
    wrong_type["spec"]["replicas"] = "two"
    bodies = [*samples.values(), wrong_type, service(trafficDistribution="PreferClose")]
    assert len(bodies) > 15
    for body in bodies:
        verdict = core_schemas.check(body)
        failing = {version for _, versions in verdict.errors for version in versions}
        for version in SUPPORTED_VERSIONS:
            try:
                kubernetes_validate.validate(body, version, strict=True)
            except kubernetes_validate.ValidationError:
                assert version in failing, (body["kind"], version)
            else:
                assert version not in failing, (body["kind"], version)


def test_minors_that_differ_only_where_a_document_does_not_reach_check_it_once() -> None:
    """Deployment's schema differs on each supported minor, mostly in fields a plain Deployment leaves out."""
    assert len(core_schemas.keys("apps/v1", "Deployment")) == len(SUPPORTED_VERSIONS)
    assert [versions for _, versions in core_schemas.schemas_for(good_deployment())] == [EVERY]
    stopping = good_deployment()
    stopping["spec"]["template"]["spec"]["containers"][0]["lifecycle"] = {"stopSignal": "SIGTERM"}
    assert [versions for _, versions in core_schemas.schemas_for(stopping)] == [
        ("1.29", "1.30", "1.31", "1.32"),
        ("1.33",),
    ]
