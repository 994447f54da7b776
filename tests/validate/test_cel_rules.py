"""The CEL layer: the API server's extensions that the vendored CRDs call, name escaping, and which of the
vendored rules cel-python cannot evaluate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from nusantara_fleet.validate import cel_rules, crd_schemas


def evaluate(rule: str, value: Any, schema: dict[str, Any] | None = None) -> bool | str:
    return cel_rules.evaluate(rule, cel_rules.to_cel(value, schema or {}))


def _rules(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for rule in node.get("x-kubernetes-validations") or []:
            yield rule["rule"]
        for key, value in node.items():
            if key != "x-kubernetes-validations":
                yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


def vendored_rules() -> list[tuple[str, str, str]]:
    """(kind, version, rule) of every CEL rule in every served version of every vendored CRD."""
    return [
        (kind, version["name"], rule)
        for file in sorted(set(crd_schemas.index().values()))
        for (_, kind), spec in crd_schemas.definitions(file).items()
        for version in spec["versions"]
        if version.get("served")
        for rule in _rules(version["schema"]["openAPIV3Schema"])
    ]


def test_all_but_the_transition_rules_of_the_vendored_crds_are_evaluated() -> None:
    rules = vendored_rules()
    unevaluable = [(kind, version, rule, cel_rules.unevaluable(rule)) for kind, version, rule in rules]
    assert len(rules) == 648
    assert [item for item in unevaluable if item[3] is not None] == [
        (
            "GatewayClass",
            version,
            "self == oldSelf",
            "it compares with the object on the cluster (oldSelf), which only an update can",
        )
        for version in ("v1", "v1beta1")
    ]


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("https://shop.nusantaramart.co.id/x?y=1", "https"),
        ("HTTP://Shop:8080", "http"),
        ("oci://registry.nusantaramart.internal/wasm/auth:1.2", "oci"),
        ("mailto:platform@nusantaramart.co.id", "mailto"),
        ("/healthz", ""),
        ("http://[::1]:9090/metrics", "http"),
        ("http://user:pa%20ss@host/", "http"),
    ],
)
def test_urls_go_accepts(text: str, scheme: str) -> None:
    assert cel_rules.request_uri_scheme(text) == scheme


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty url"),
        ("registry/image", "invalid URI for request"),
        (":8080", "missing protocol scheme"),
        ("http://host:port/", "invalid port ':port' after host"),
        ("http://ho st/", "invalid character in host name 'ho st'"),
        ("http://[::1/", "missing ']' in host"),
        ("http://host/%zz", "invalid URL escape in '/%zz'"),
        ("http://host/\n", "invalid control character in URL"),
    ],
)
def test_urls_go_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        cel_rules.request_uri_scheme(text)


def test_the_url_library_as_the_rules_use_it() -> None:
    rule = 'isURL(self) ? url(self).getScheme() in ["http", "https"] : false'
    assert evaluate(rule, "https://x") is True
    assert evaluate(rule, "ftp://x") is False
    assert evaluate(rule, "x y") is False
    assert evaluate("url(self).getScheme() == 'http'", "nope") == (
        "URL parse error during conversion from string: invalid URI for request"
    )


def test_the_strings_extension_as_the_rules_use_it() -> None:
    assert evaluate("self.substring(7, 8) == '/'", "unix:///run/x") is True
    assert evaluate("self.substring(4) == 'x:'", "unix:") is False
    assert (
        evaluate("self.substring(3, 9) == ''", "abc") == "index out of range: substring(3, 9) of a string of length 3"
    )
    assert evaluate("self.split('/') == ['a', 'b', '']", "a/b/") is True
    assert evaluate("self.split('/', 2) == ['a', 'b/c']", "a/b/c") is True
    assert evaluate("self.split('') == ['a', 'b']", "ab") is True


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("namespace", "__namespace__"),
        ("x-y", "x__dash__y"),
        ("a.b/c", "a__dot__b__slash__c"),
        ("a__b", "a__underscores__b"),
        ("plain_name", "plain_name"),
        ("1st", None),
        ("a b", None),
    ],
)
def test_property_names_are_escaped_as_the_api_server_does(name: str, escaped: str | None) -> None:
    assert cel_rules.escape(name) == escaped


def test_values_take_the_types_of_their_schema() -> None:
    assert evaluate("self == 2.0", 2, {"type": "number"}) is True
    assert evaluate("self > duration('1s')", "1m30s", {"type": "string", "format": "duration"}) is True
    assert (
        evaluate("self.size() == 1", {"a-b": 1}, {"type": "object", "additionalProperties": {"type": "integer"}})
        is True
    )
    assert (
        evaluate("'a-b' in self", {"a-b": 1}, {"type": "object", "additionalProperties": {"type": "integer"}}) is True
    )


def test_an_unknown_function_or_oldself_is_not_evaluated() -> None:
    assert cel_rules.unevaluable("self.lowerAscii() == self") == "cel-python has no lowerAscii"
    assert cel_rules.unevaluable("quantity(self).isGreaterThan(quantity('1'))") == (
        "cel-python has no isGreaterThan, quantity"
    )
    assert cel_rules.unevaluable("self == oldSelf") == (
        "it compares with the object on the cluster (oldSelf), which only an update can"
    )
    assert cel_rules.unevaluable("self.size() <") is not None
    assert cel_rules.unevaluable("self.size() < 2") is None


def test_a_rule_that_is_not_a_bool_is_an_error() -> None:
    assert evaluate("self + 1", 1) == "the rule gave IntType, not a bool"
