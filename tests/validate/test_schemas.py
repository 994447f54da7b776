from __future__ import annotations

from pathlib import Path

import pytest

from nusantara_fleet.validate import core_schemas, parallel, schemas
from nusantara_fleet.validate.documents import Document, load_documents
from tests.support import ROOT
from tests.validate.support import FIXTURES


def check(*bodies: dict[str, object]) -> list[str]:
    documents = [Document(path=f"dist/bandung/{i}.yaml", index=0, body=dict(body)) for i, body in enumerate(bodies)]
    return [f"{finding.rule} {finding.message}" for finding in schemas.start(documents)()]


def test_an_unknown_kind_is_a_failure_not_a_skip() -> None:
    assert check({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}) == [
        "schema.unknown-kind Widget/w: no schema for Widget in example.com/v1: "
        "neither Kubernetes 1.29-1.33 nor a vendored CRD has it"
    ]
    assert check({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}}) == [
        "schema.unknown-kind Rollout/r: no schema for Rollout in argoproj.io/v1alpha1: "
        "no vendored CRD defines it (argoproj.io has AppProject, Application, ApplicationSet)"
    ]
    assert check(
        {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "e"}}
    ) == [
        "schema.unknown-kind ExternalSecret/e: no schema for ExternalSecret in external-secrets.io/v1beta1: its CRD "
        "(external-secrets/external-secrets.io_externalsecrets.yaml) defines v1beta1 but does not serve it; served: v1"
    ]


def test_a_document_without_kind_fails() -> None:
    assert check({"metadata": {"name": "x"}}) == ["schema.kubernetes ?/x: apiVersion and kind are required"]


def test_core_findings_name_the_minors_they_fail_on() -> None:
    service: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"trafficDistribution": "x"},
    }
    flow: dict[str, object] = {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {"name": "f"},
    }
    assert check(service, flow) == [
        "schema.kubernetes Service/s: spec: Additional properties are not allowed ('trafficDistribution' was "
        "unexpected) [Kubernetes 1.29]",
        "schema.kubernetes FlowSchema/f: flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is not served by "
        "Kubernetes 1.32-1.33 (only by 1.29-1.31)",
    ]


def test_a_rule_cel_python_cannot_evaluate_is_a_warning() -> None:
    gateway_class = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "edge"},
        "spec": {"controllerName": "example.net/gateway"},
    }
    documents = [Document(path="dist/fleet/g.yaml", index=0, body=gateway_class)]
    assert [(finding.severity, finding.rule, finding.message) for finding in schemas.start(documents)()] == [
        (
            "warning",
            "schema.crd",
            "GatewayClass/edge: spec.controllerName: rule 'self == oldSelf' not evaluated: it compares with the "
            "object on the cluster (oldSelf), which only an update can",
        )
    ]


def test_core_and_custom_findings_name_the_object() -> None:
    assert check(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"n": 1}},
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "p"},
            "spec": {"sourceRepos": "x"},
        },
    ) == [
        "schema.kubernetes ConfigMap/c: data.n: 1 is not of type 'string', 'null' [Kubernetes 1.29-1.33]",
        "schema.crd AppProject/p: spec.sourceRepos: 'x' is not of type 'array'",
    ]


def test_every_fixture_is_a_valid_object_of_its_kind() -> None:
    """A rule proven on an object Kubernetes would reject proves nothing."""
    assert [str(finding) for finding in schemas.start(load_documents(FIXTURES))()] == []


def test_the_committed_dist_has_a_schema_for_every_kind() -> None:
    found = schemas.start(load_documents(ROOT / "dist"))()
    assert [finding.message for finding in found if finding.rule == schemas.UNKNOWN_RULE] == []


def test_paths_keep_the_form_they_were_given_in(tmp_path: Path) -> None:
    (tmp_path / "jakarta").mkdir()
    (tmp_path / "jakarta" / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    [doc] = load_documents(tmp_path)
    assert (doc.path, doc.group, doc.label) == (str(tmp_path / "jakarta" / "a.yaml"), "jakarta", "Namespace/shop")


def test_a_forked_worker_finds_what_the_inline_check_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large trees check core kinds in a forked process; the verdicts must not depend on where they ran."""
    documents = load_documents(FIXTURES)
    broken = Document("dist/bandung/x.yaml", 0, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}, "data": 1})
    inline = schemas.start([*documents, broken])()
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(core_schemas, "COMPILE_MIN_DOCUMENTS", 1)
    forked = schemas.start([*documents, broken])()
    assert sorted(forked) == sorted(inline)
    assert [finding.message for finding in inline] == [
        "ConfigMap/?: data: 1 is not of type 'object', 'null' [Kubernetes 1.29-1.33]"
    ]
