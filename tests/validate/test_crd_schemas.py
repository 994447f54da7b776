"""Custom resources against the vendored CRDs: strict (unknown fields fail), CEL rules evaluated, every
vendored project with a valid object that passes and a broken one that only strict checking catches."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome, StructuralSchema

FIXTURES = Path(__file__).with_name("crd_fixtures")
PROJECTS = sorted(path.stem for path in FIXTURES.glob("*.yaml"))


def fixtures(project: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((FIXTURES / f"{project}.yaml").read_text()) if doc]


def fixture(project: str, kind: str) -> dict[str, Any]:
    """A deep copy of the project's valid object of `kind`, to break."""
    return copy.deepcopy(next(doc for doc in fixtures(project) if doc["kind"] == kind))


def test_every_vendored_project_has_fixtures() -> None:
    vendored = {file.partition("/")[0] for file in crd_schemas.index().values()}
    assert sorted(vendored) == PROJECTS


@pytest.mark.parametrize("project", PROJECTS)
def test_valid_objects_pass(project: str) -> None:
    docs = fixtures(project)
    unevaluated = {
        "gateway-api": {
            "GatewayClass": (
                "spec.controllerName: rule 'self == oldSelf' not evaluated: it compares with the object on the "
                "cluster (oldSelf), which only an update can",
            )
        }
    }.get(project, {})
    assert crd_schemas.check(docs) == [Outcome(unevaluated=unevaluated.get(doc["kind"], ())) for doc in docs]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change that sets the field at `path` (dot-separated; integers index lists)."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        node: Any = body
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def _rename(path: str, new: str) -> Callable[[dict[str, Any]], None]:
    """A change that renames the last field of `path`, as a typo would."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        node: Any = body
        for part in parents:
            node = node[part]
        node[new] = node.pop(last)

    return change


OPEN_BAO_USER_PASS = {"username": "fleet", "secretRef": {"name": "openbao", "key": "password"}}
VENAFI = {
    "zone": "fleet",
    "tpp": {"url": "https://tpp.nusantaramart.internal/vedsdk", "credentialsRef": {"name": "tpp"}},
    "cloud": {"apiTokenSecretRef": {"name": "venafi-cloud", "key": "token"}},
}

BROKEN = [
    # Unknown fields: what the npm validators used to let through.
    (
        "unknown-field",
        "argo-cd",
        "Application",
        _rename("spec.destination", "destinaton"),
        (
            "spec: 'destination' is a required property",
            "spec: Additional properties are not allowed ('destinaton' was unexpected)",
        ),
    ),
    (
        "unknown-field",
        "argo-cd",
        "AppProject",
        _set("spec.syncWindows.0.manualSynk", True),
        ("spec.syncWindows.0: Additional properties are not allowed ('manualSynk' was unexpected)",),
    ),
    (
        "unknown-field",
        "argo-cd",
        "ApplicationSet",
        _set("spec.template.spec.destination.namespce", "shop"),
        ("spec.template.spec.destination: Additional properties are not allowed ('namespce' was unexpected)",),
    ),
    (
        "unknown-field",
        "external-secrets",
        "ExternalSecret",
        _set("spec.refreshIntervall", "1h"),
        ("spec: Additional properties are not allowed ('refreshIntervall' was unexpected)",),
    ),
    (
        "unknown-field",
        "external-secrets",
        "ClusterSecretStore",
        _set("spec.provider.vault.auth.kubernetes.serviceAccountRef", {"name": "fleet", "namespaces": ["data"]}),
        (
            "spec.provider.vault.auth.kubernetes.serviceAccountRef: Additional properties are not allowed "
            "('namespaces' was unexpected)",
        ),
    ),
    (
        "unknown-field",
        "gateway-api",
        "HTTPRoute",
        _rename("spec.rules.0.backendRefs", "backendRef"),
        ("spec.rules.0: Additional properties are not allowed ('backendRef' was unexpected)",),
    ),
    (
        "unknown-field",
        "prometheus-operator",
        "PrometheusRule",
        _rename("spec.groups.0.rules.0.expr", "exprr"),
        (
            "spec.groups.0.rules.0: 'expr' is a required property",
            "spec.groups.0.rules.0: Additional properties are not allowed ('exprr' was unexpected)",
        ),
    ),
    (
        "unknown-field",
        "prometheus-operator",
        "ServiceMonitor",
        _set("spec.endpoints.0.intervall", "30s"),
        ("spec.endpoints.0: Additional properties are not allowed ('intervall' was unexpected)",),
    ),
    (
        "unknown-field",
        "istio",
        "DestinationRule",
        _set("spec.trafficPolicy.loadBalancer.simpel", "ROUND_ROBIN"),
        ("spec.trafficPolicy.loadBalancer: Additional properties are not allowed ('simpel' was unexpected)",),
    ),
    (
        "unknown-field",
        "k8gb",
        "Gslb",
        _rename("spec.strategy.primaryGeoTag", "primaryGeotag"),
        ("spec.strategy: Additional properties are not allowed ('primaryGeotag' was unexpected)",),
    ),
    (
        "unknown-field",
        "k8gb",
        "DNSEndpoint",
        _set("spec.endpoints.0.ttl", 30),
        ("spec.endpoints.0: Additional properties are not allowed ('ttl' was unexpected)",),
    ),
    (
        "unknown-field",
        "cert-manager",
        "Certificate",
        _rename("spec.dnsNames", "dnsName"),
        ("spec: Additional properties are not allowed ('dnsName' was unexpected)",),
    ),
    # CEL rules (x-kubernetes-validations), which no schema keyword expresses.
    (
        "cel",
        "external-secrets",
        "SecretStore",
        _set("spec.provider.openBao.auth.userPass", OPEN_BAO_USER_PASS),
        ("spec.provider.openBao.auth: exactly one of the fields in [appRole tokenSecretRef userPass] must be set",),
    ),
    (
        "cel",
        "gateway-api",
        "HTTPRoute",
        _set("spec.rules.0.matches.0.path.value", "shop"),
        (
            "spec.rules.0.matches.0.path: value must be an absolute path and start with '/' when type one of "
            "['Exact', 'PathPrefix']",
        ),
    ),
    (
        "cel",
        "gateway-api",
        "HTTPRoute",
        lambda body: body["spec"]["parentRefs"].append({"name": "edge", "sectionName": "https"}),
        (
            "spec.parentRefs: sectionName must be unique when parentRefs includes 2 or more references to the same "
            "parent",
        ),
    ),
    (
        "cel",
        "gateway-api",
        "Gateway",
        _set("spec.listeners.0.tls", {"mode": "Terminate", "certificateRefs": [{"name": "shop-tls"}]}),
        ("spec.listeners: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",),
    ),
    (
        "cel",
        "gateway-api",
        "GRPCRoute",
        _set("spec.rules.0.matches.0.method", {"type": "Exact"}),
        ("spec.rules.0.matches.0.method: One or both of 'service' or 'method' must be specified",),
    ),
    (
        "cel",
        "prometheus-operator",
        "AlertmanagerConfig",
        _set("spec.receivers.0.snsConfigs", [{"topicARN": "arn:aws:sns:x", "sigv4": {"externalId": "fleet"}}]),
        ("spec.receivers.0.snsConfigs.0.sigv4: externalId can only be used when roleArn is specified",),
    ),
    (
        "cel",
        "istio",
        "VirtualService",
        _set("spec.http.0.timeout", "0s"),
        ("spec.http.0.timeout: must be a valid duration greater than 1ms",),
    ),
    (
        "cel",
        "istio",
        "AuthorizationPolicy",
        _set("spec.targetRefs", [{"kind": "Service", "group": "", "name": "order"}]),
        ("spec: only one of targetRefs or selector can be set",),
    ),
    (
        "cel",
        "k8gb",
        "ZoneDelegation",
        _set("spec.loadBalancedZone", "shop.nusantaramart.com"),
        ("spec: loadBalancedZone must be subdomain",),
    ),
    (
        "cel",
        "cert-manager",
        "Issuer",
        _set("spec", {"venafi": VENAFI}),
        ("spec.venafi: exactly one of tpp, cloud, or ngts must be configured",),
    ),
    # x-kubernetes-list-type map: Gateway listeners are keyed by name.
    (
        "list-map",
        "gateway-api",
        "Gateway",
        _set("spec.listeners.1.name", "http"),
        ("spec.listeners.1: duplicate of item 0 (name='http')",),
    ),
    # Types and patterns, which the npm validators caught too.
    (
        "type",
        "argo-cd",
        "Application",
        _set("spec.syncPolicy.automated.prune", "yes"),
        ("spec.syncPolicy.automated.prune: 'yes' is not of type 'boolean'",),
    ),
    (
        "type",
        "gateway-api",
        "ReferenceGrant",
        _set("spec.to.0.kind", ""),
        (
            "spec.to.0.kind: '' does not match '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'",
            "spec.to.0.kind: '' should be non-empty",
        ),
    ),
]


@pytest.mark.parametrize(
    ("check", "project", "kind", "change", "errors"),
    BROKEN,
    ids=[f"{check}-{project}-{kind}-{i}" for i, (check, project, kind, _, _) in enumerate(BROKEN)],
)
def test_a_broken_object_fails_with_what_the_api_server_would_say(
    check: str, project: str, kind: str, change: Callable[[dict[str, Any]], None], errors: tuple[str, ...]
) -> None:
    body = fixture(project, kind)
    change(body)
    assert crd_schemas.check_one(body) == Outcome(errors=errors)


def test_every_project_has_cases_only_strict_checking_catches() -> None:
    """An unknown field per project, and a CEL rule per project whose CRDs have rules cel-python evaluates."""
    assert {project for check, project, *_ in BROKEN if check == "unknown-field"} == set(PROJECTS)
    assert {project for check, project, *_ in BROKEN if check == "cel"} == set(PROJECTS) - {"argo-cd"}


@pytest.mark.parametrize(
    ("api_version", "kind", "why"),
    [
        (
            "external-secrets.io/v1beta1",
            "ExternalSecret",
            "its CRD (external-secrets/external-secrets.io_externalsecrets.yaml) defines v1beta1 but does not "
            "serve it; served: v1",
        ),
        (
            "gateway.networking.k8s.io/v1alpha2",
            "HTTPRoute",
            "its CRD (gateway-api/gateway.networking.k8s.io_httproutes.yaml) has no version v1alpha2; "
            "served: v1, v1beta1",
        ),
        (
            "argoproj.io/v1alpha1",
            "Rollout",
            "no vendored CRD defines it (argoproj.io has AppProject, Application, ApplicationSet)",
        ),
        (
            "argoproj.io/v1alpha1",
            "ApplicationSpec",
            "no vendored CRD defines it (argoproj.io has AppProject, Application, ApplicationSet)",
        ),
    ],
    ids=["not-served", "no-such-version", "unknown-kind", "nested-type"],
)
def test_a_version_or_kind_without_a_served_crd_is_missing(api_version: str, kind: str, why: str) -> None:
    body = {**fixture("external-secrets", "ExternalSecret"), "apiVersion": api_version, "kind": kind}
    assert crd_schemas.check_one(body) == Outcome(missing=why)


def test_only_groups_of_vendored_crds_are_custom() -> None:
    assert crd_schemas.handles("networking.istio.io/v1")
    assert crd_schemas.handles("externaldns.k8s.io/v1alpha1")
    assert not crd_schemas.handles("networking.k8s.io/v1")
    assert not crd_schemas.handles("v1")


def test_metadata_is_checked_as_the_api_server_checks_a_custom_resource() -> None:
    body = fixture("external-secrets", "ExternalSecret")
    body["metadata"].update(
        name="Postgres_Credentials",
        namespace="Data",
        labels={"fleet.nusantaramart.co.id/city": "Jakarta Raya", "bad key": "x"},
        annotations={"a/b/c": "x"},
        finalizer=["x"],
    )
    assert crd_schemas.check_one(body).errors == (
        "metadata.annotations: key 'a/b/c' is not a qualified name: an optional DNS subdomain prefix and '/', "
        "then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        "metadata.labels.fleet.nusantaramart.co.id/city: 'Jakarta Raya' is not a label value: empty, or at most 63 "
        "letters, digits, '-', '_' or '.', starting and ending with one",
        "metadata.labels: key 'bad key' is not a qualified name: an optional DNS subdomain prefix and '/', then at "
        "most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
        "metadata.name: 'Postgres_Credentials' is not a lowercase RFC 1123 subdomain: at most 253 lowercase "
        "letters, digits, '-' and '.', starting and ending with a letter or digit",
        "metadata.namespace: 'Data' is not a lowercase RFC 1123 label: at most 63 lowercase letters, digits and "
        "'-', starting and ending with one",
        "metadata: Additional properties are not allowed ('finalizer' was unexpected)",
    )
    del body["metadata"]
    assert crd_schemas.check_one(body).errors == ("metadata.name: name or generateName is required",)


def test_a_generated_name_may_end_in_a_dash() -> None:
    body = fixture("external-secrets", "ExternalSecret")
    del body["metadata"]["name"]
    body["metadata"]["generateName"] = "postgres-"
    assert crd_schemas.check_one(body) == Outcome()


def test_the_document_is_not_changed_by_pruning_or_defaulting() -> None:
    body = fixture("gateway-api", "HTTPRoute")
    body["spec"]["hostnames"] = None
    before = copy.deepcopy(body)
    assert crd_schemas.check_one(body) == Outcome()
    assert body == before


# Structural-schema semantics, on small schemas of their own.
def schema(spec: dict[str, Any]) -> StructuralSchema:
    return StructuralSchema.of({"type": "object", "properties": {"spec": spec}})


def errors_of(checker: StructuralSchema, spec: Any) -> tuple[str, ...]:
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}
    return checker.outcome(body).errors


def test_objects_reject_unknown_fields_unless_they_preserve_them() -> None:
    strict = schema({"type": "object", "properties": {"a": {"type": "string"}}})
    preserving = schema(
        {"type": "object", "properties": {"a": {"type": "string"}}, "x-kubernetes-preserve-unknown-fields": True}
    )
    no_properties = schema({"type": "object"})
    assert errors_of(strict, {"a": "x", "b": 1}) == (
        "spec: Additional properties are not allowed ('b' was unexpected)",
    )
    assert errors_of(preserving, {"a": "x", "b": 1}) == ()
    assert errors_of(preserving, {"a": 1}) == ("spec.a: 1 is not of type 'string'",)
    assert errors_of(no_properties, {"b": 1}) == ("spec: Additional properties are not allowed ('b' was unexpected)",)


def test_additional_properties_is_a_map_of_its_schema() -> None:
    checker = schema({"type": "object", "additionalProperties": {"type": "integer"}})
    assert errors_of(checker, {"a": 1, "b": 2}) == ()
    assert errors_of(checker, {"a": "x"}) == ("spec.a: 'x' is not of type 'integer'",)


def test_int_or_string_takes_either_and_nothing_else() -> None:
    checker = schema({"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True})
    assert errors_of(checker, 8080) == ()
    assert errors_of(checker, "http") == ()
    assert errors_of(checker, 1.5) == ("spec: 1.5 is not of type 'integer', 'string'",)


def test_nullable_takes_null_and_a_non_nullable_null_is_dropped_as_the_api_server_does() -> None:
    nullable = schema({"type": "object", "properties": {"a": {"type": "string", "nullable": True}}})
    plain = schema({"type": "object", "properties": {"a": {"type": "string"}}})
    in_list = schema({"type": "array", "items": {"type": "string"}})
    enum = schema({"type": "string", "nullable": True, "enum": ["x"]})
    assert errors_of(nullable, {"a": None}) == ()
    assert errors_of(nullable, {"a": 1}) == ("spec.a: 1 is not of type 'string'",)
    assert errors_of(plain, {"a": None}) == ()  # pruned before validation
    assert errors_of(in_list, [None]) == ("spec.0: None is not of type 'string'",)  # list items are not pruned
    assert errors_of(enum, None) == ("spec: None is not one of ['x']",)


def test_defaults_are_filled_in_before_the_rules_run() -> None:
    checker = schema(
        {
            "type": "object",
            "properties": {"port": {"type": "integer", "default": 80}, "name": {"type": "string"}},
            "x-kubernetes-validations": [{"rule": "self.port == 80", "message": "port must be 80"}],
        }
    )
    assert errors_of(checker, {"name": "x"}) == ()
    assert errors_of(checker, {"name": "x", "port": 81}) == ("spec: port must be 80",)


def test_embedded_resources_need_apiversion_kind_and_valid_metadata() -> None:
    checker = schema(
        {"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}
    )
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a/b", "labels": {"x": "y z"}}, "spec": {}}
    assert errors_of(checker, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {}}) == ()
    assert errors_of(checker, {"spec": {}}) == (
        "spec: 'apiVersion' is a required property",
        "spec: 'kind' is a required property",
    )
    assert errors_of(checker, pod) == (
        "spec.metadata.labels.x: 'y z' is not a label value: empty, or at most 63 letters, digits, '-', '_' or '.', "
        "starting and ending with one",
        "spec.metadata.name: 'a/b' may not contain '/'",
    )
    assert errors_of(checker, {**pod, "metadata": {"nam": "web"}}) == (
        "spec.metadata: Additional properties are not allowed ('nam' was unexpected)",
    )


def test_list_sets_and_maps_take_no_duplicates() -> None:
    as_set = schema({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"})
    as_map = schema(
        {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}},
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
        }
    )
    assert errors_of(as_set, ["a", "b"]) == ()
    assert errors_of(as_set, ["a", "b", "a"]) == ("spec.2: duplicate of item 0 ('a')",)
    assert errors_of(as_map, [{"name": "a", "port": 1}, {"name": "b", "port": 1}]) == ()
    assert errors_of(as_map, [{"name": "a", "port": 1}, {"name": "a", "port": 2}]) == (
        "spec.1: duplicate of item 0 (name='a')",
    )


def test_openapi_exclusive_bounds_are_flags_on_the_bound() -> None:
    checker = schema({"type": "integer", "minimum": 0, "exclusiveMinimum": True, "maximum": 10})
    assert errors_of(checker, 10) == ()
    assert errors_of(checker, 0) == ("spec: 0 is less than or equal to the minimum of 0",)


def test_junctors_check_values_without_rejecting_fields() -> None:
    checker = schema(
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
        }
    )
    assert errors_of(checker, {"a": "x"}) == ()
    assert errors_of(checker, {"a": "x", "b": "y"}) == (
        "spec: {'a': 'x', 'b': 'y'} is valid under each of {'required': ['b']}, {'required': ['a']}",
    )


def test_rules_see_escaped_names_and_field_paths_place_the_error() -> None:
    checker = schema(
        {
            "type": "object",
            "properties": {"namespace": {"type": "string"}, "x-y": {"type": "string"}},
            "x-kubernetes-validations": [
                {"rule": "self.__namespace__ != self.x__dash__y", "message": "must differ", "fieldPath": ".x-y"},
                {"rule": "self.__namespace__.size() < 3"},
                {"rule": "self.missing == 1"},
            ],
        }
    )
    assert errors_of(checker, {"namespace": "abc", "x-y": "abc"}) == (
        "spec.x-y: must differ",
        "spec: failed rule: self.__namespace__.size() < 3",
        "spec: no such member in mapping: 'missing' evaluating rule: self.missing == 1",
    )


def test_rules_skip_values_the_schema_rejected() -> None:
    checker = schema(
        {
            "type": "object",
            "properties": {"port": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.port > 0"}],
        }
    )
    assert errors_of(checker, {"port": "http"}) == ("spec.port: 'http' is not of type 'integer'",)


def test_a_rule_that_cannot_be_evaluated_is_reported_not_passed() -> None:
    checker = schema(
        {
            "type": "string",
            "x-kubernetes-validations": [{"rule": "self == oldSelf"}, {"rule": "self.lowerAscii() == self"}],
        }
    )
    assert checker.outcome({"apiVersion": "example.com/v1", "kind": "W", "metadata": {"name": "w"}, "spec": "A"}) == (
        Outcome(
            unevaluated=(
                "spec: rule 'self == oldSelf' not evaluated: it compares with the object on the cluster (oldSelf), "
                "which only an update can",
                "spec: rule 'self.lowerAscii() == self' not evaluated: cel-python has no lowerAscii",
            )
        )
    )


def test_a_message_expression_gives_the_message() -> None:
    checker = schema(
        {
            "type": "integer",
            "x-kubernetes-validations": [
                {"rule": "self < 10", "messageExpression": "'is ' + string(self) + ', above 9'", "message": "too big"}
            ],
        }
    )
    assert errors_of(checker, 12) == ("spec: is 12, above 9",)


def test_a_missing_vendored_file_is_a_clear_error() -> None:
    path = Path(crd_schemas.__file__).with_name("crds") / "argo-cd" / "rollout-crd.yaml"
    with pytest.raises(crd_schemas.CrdSchemaError) as raised:
        crd_schemas.definitions("argo-cd/rollout-crd.yaml")
    assert str(raised.value) == (
        f"cannot read the vendored CRD file {path}: [Errno 2] No such file or directory: '{path}'"
    )


def test_a_verdict_kept_for_a_value_is_placed_anew_and_never_given_to_a_value_cel_tells_apart() -> None:
    checker = schema(
        {
            "type": "array",
            "items": {
                "x-kubernetes-preserve-unknown-fields": True,
                "x-kubernetes-validations": [{"rule": "type(self) == int", "message": "must be an int"}],
            },
        }
    )
    assert errors_of(checker, [1, 1.0, True, 1, 1.0]) == (
        "spec.1: must be an int",
        "spec.2: must be an int",
        "spec.4: must be an int",
    )
    assert errors_of(checker, [1.0]) == ("spec.0: must be an int",)
