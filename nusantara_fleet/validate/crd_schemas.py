"""Custom resources against the upstream CRDs vendored in `crds/` (provenance in its README), checked as the
API server checks a create under strict field validation.

The version the object names must be defined and served. Then, as the API server decodes it, nulls the
schema allows neither as `nullable` nor by a `default` are dropped and defaults are filled in, and the
object must pass:
- the version's `openAPIV3Schema`, translated to JSON Schema: an object with `properties` (or neither
  `properties` nor `additionalProperties`) takes no other key unless `x-kubernetes-preserve-unknown-fields`;
  `additionalProperties` is a map; `x-kubernetes-int-or-string` takes either; `nullable` takes null;
  `x-kubernetes-embedded-resource` requires `apiVersion` and `kind` and a valid `metadata`;
  `x-kubernetes-list-type` `set` and `map` take no duplicate item or key;
- `metadata` as ObjectMeta (kubernetes-validate's strict schema) and `object_meta.problems`;
- the CEL rules (`x-kubernetes-validations`, `cel_rules.py`), on values that passed the schema; a rule that
  cannot be evaluated here is reported as not evaluated, never passed.
Like the core layer, `format` is not checked.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from nusantara_fleet.validate import core_schemas, object_meta

_CRDS = resources.files("nusantara_fleet.validate").joinpath("crds")
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_VALUE_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "required",
    }
)
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]
_FIELD_PATH = re.compile(r"\.([^.\[]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")

# Go's YAML reads an unquoted `=` (an enum member of AlertmanagerConfig's matchType) as the string "=";
# PyYAML's YAML 1.1 resolver tags it as a `value` node it cannot build.
_LOADER = cast(type[yaml.SafeLoader], type("CrdLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {}))


def _as_string(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_LOADER.add_constructor("tag:yaml.org,2002:value", _as_string)


class CrdSchemaError(RuntimeError):
    """A vendored CRD file is missing or unreadable: the installation is broken."""


@dataclass(frozen=True)
class Outcome:
    """The verdict on one custom resource: its errors, why no schema exists for it, and the CEL rules it
    reached that could not be evaluated (each `field.path: rule ...: why`)."""

    errors: tuple[str, ...] = ()
    missing: str | None = None
    unevaluated: tuple[str, ...] = ()


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


@cache
def index() -> dict[tuple[str, str], str]:
    """(group, kind) -> the vendored file that defines it, from `crds/index.json`."""
    try:
        entries: dict[str, dict[str, Any]] = json.loads(_CRDS.joinpath("index.json").read_text())
    except (OSError, ValueError) as exc:
        raise CrdSchemaError(f"cannot read the vendored CRD index {_CRDS.joinpath('index.json')}: {exc}") from exc
    found: dict[tuple[str, str], str] = {}
    for file, entry in entries.items():
        for name in entry["kinds"]:
            group, _, kind = str(name).rpartition("/")
            found[(group, kind)] = file
    return found


@cache
def _groups() -> frozenset[str]:
    return frozenset(group for group, _ in index())


def handles(api_version: str) -> bool:
    """Whether the API group is one a vendored CRD defines (its documents are checked here, not as core)."""
    return group_of(api_version) in _groups()


@cache
def definitions(file: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The CRDs of one vendored file, (group, kind) -> `spec`."""
    path = _CRDS.joinpath(file)
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
    except (OSError, yaml.YAMLError) as exc:
        raise CrdSchemaError(f"cannot read the vendored CRD file {path}: {exc}") from exc
    return {
        (doc["spec"]["group"], doc["spec"]["names"]["kind"]): doc["spec"]
        for doc in documents
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    }


def _list_type(
    validator: jsonschema.protocols.Validator, list_type: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """`x-kubernetes-list-type`: a `set` holds no item twice, a `map` no two items with the same keys."""
    if list_type not in ("set", "map") or not validator.is_type(instance, "array"):
        return
    keys: list[str] = schema.get("x-kubernetes-list-map-keys", [])
    first: dict[str, int] = {}
    for index_, item in enumerate(instance):
        if list_type == "map" and not isinstance(item, dict):
            continue
        identity = json.dumps(item if list_type == "set" else [item.get(key) for key in keys], sort_keys=True)
        if identity not in first:
            first[identity] = index_
            continue
        what = repr(item) if list_type == "set" else ", ".join(f"{key}={item.get(key)!r}" for key in keys)
        yield ValidationError(f"duplicate of item {first[identity]} ({what})", path=(index_,))


_VALIDATOR: type[jsonschema.protocols.Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"x-kubernetes-list-type": _list_type}
)


def _bound(node: dict[str, Any], out: dict[str, Any], key: str, exclusive: str) -> None:
    # OpenAPI 3.0 makes `exclusiveMinimum` a flag on `minimum`; JSON Schema 2020-12 makes it the bound.
    if key in node:
        out[exclusive if node.get(exclusive) is True else key] = node[key]


def _json_schema(node: dict[str, Any], *, value_only: bool = False) -> dict[str, Any]:
    """One structural-schema node as JSON Schema. `value_only` is for the inside of allOf/anyOf/oneOf/not,
    where the API server reads value checks only: nothing there prunes or rejects a field."""
    out: dict[str, Any] = {key: node[key] for key in _VALUE_KEYWORDS if key in node}
    _bound(node, out, "minimum", "exclusiveMinimum")
    _bound(node, out, "maximum", "exclusiveMaximum")
    if isinstance(node.get("properties"), dict):
        out["properties"] = {
            name: _json_schema(schema, value_only=value_only) for name, schema in node["properties"].items()
        }
    if isinstance(node.get("items"), dict):
        out["items"] = _json_schema(node["items"], value_only=value_only)
    entries = node.get("additionalProperties")
    if isinstance(entries, dict):
        out["additionalProperties"] = _json_schema(entries, value_only=value_only)
    elif isinstance(entries, bool):
        out["additionalProperties"] = entries
    for junctor in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(junctor), list):
            out[junctor] = [_json_schema(schema, value_only=True) for schema in node[junctor]]
    if isinstance(node.get("not"), dict):
        out["not"] = _json_schema(node["not"], value_only=True)
    if value_only:
        return out
    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
        if sorted(out.get("anyOf", []), key=str) == _INT_OR_STRING:
            del out["anyOf"]  # the type says it; the branches would only repeat the error
    if node.get("x-kubernetes-embedded-resource") is True:
        properties = out.setdefault("properties", {})
        properties.setdefault("apiVersion", {"type": "string", "minLength": 1})
        properties.setdefault("kind", {"type": "string", "minLength": 1})
        properties["metadata"] = _metadata(node.get("properties", {}).get("metadata"))
        out["required"] = sorted({*out.get("required", []), "apiVersion", "kind"})
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("type") == "object" and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False  # what the API server would prune, strict validation rejects
    if node.get("x-kubernetes-list-type") in ("set", "map"):
        out["x-kubernetes-list-type"] = node["x-kubernetes-list-type"]
        out["x-kubernetes-list-map-keys"] = node.get("x-kubernetes-list-map-keys", [])
    if node.get("nullable") is True:
        # A null passes the type check and the enum (which must then list null), nothing else.
        then: dict[str, Any] | bool = {"enum": out["enum"]} if "enum" in out else True
        return {"if": {"type": "null"}, "then": then, "else": out}
    return out


def _metadata(declared: Any) -> dict[str, Any]:
    """ObjectMeta, plus what the CRD itself says of metadata (at most constraints on name and generateName)."""
    meta: dict[str, Any] = {"$ref": f"#/$defs/{_OBJECT_META}"}
    if not isinstance(declared, dict):
        return meta
    own = _json_schema(declared, value_only=True)
    own.pop("type", None)
    return {"allOf": [meta, own]} if own else meta


def _root_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out = _json_schema({**schema, "type": "object"})
    properties = out.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties["metadata"] = _metadata(schema.get("properties", {}).get("metadata"))
    out["$defs"] = core_schemas.local_definitions(_OBJECT_META)
    return out


def _prepared(value: Any, node: Any) -> Any:
    """`value` as the API server stores it before validating: nulls neither nullable nor defaulted dropped,
    defaults filled in (recursively, into defaults too). The document itself is left unchanged."""
    if not isinstance(node, dict):
        return value
    if isinstance(value, dict):
        properties: dict[str, Any] = node.get("properties") or {}
        entries = node.get("additionalProperties")
        out = {}
        for key, item in value.items():
            schema = properties.get(key, entries if isinstance(entries, dict) else None)
            if item is None and isinstance(schema, dict) and not schema.get("nullable") and "default" not in schema:
                continue
            out[key] = _prepared(item, schema)
        for key, schema in properties.items():
            if "default" in schema and out.get(key) is None and not (key in out and schema.get("nullable")):
                out[key] = _prepared(copy.deepcopy(schema["default"]), schema)
        return out
    if isinstance(value, list):
        return [_prepared(item, node.get("items")) for item in value]
    return value


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path) or "(document)"


def _field_path(path: tuple[Any, ...], field_path: str) -> tuple[Any, ...]:
    """A rule's `fieldPath` (`.spec.x`, `['a.b']`, `[0]`) appended to the node's path."""
    parts = [name or quoted or int(number) for name, quoted, number in _FIELD_PATH.findall(field_path)]
    return (*path, *parts)


# What a node's CEL rules say of one value: per rule that did not pass, (rule, error or None, why it was not
# evaluated or None), without the field path, which the caller adds.
Verdicts = list[tuple[dict[str, Any], str | None, str | None]]


@dataclass
class _Found:
    errors: list[str]
    unevaluated: list[str]
    verdicts: dict[tuple[int, Hashable], Verdicts]  # by id(node) and `_identity(value)`, kept by the schema


def _identity(value: Any) -> Hashable:
    """`value` as a key that tells apart every value CEL can (Python has 1 == 1.0 == True and 0.0 == -0.0)."""
    if isinstance(value, dict):
        return (dict, tuple((_identity(key), _identity(item)) for key, item in value.items()))
    if isinstance(value, list):
        return (list, tuple(_identity(item) for item in value))
    return (type(value), repr(value) if isinstance(value, float) else value)


def _blocked(errors: list[ValidationError]) -> set[tuple[Any, ...]]:
    """Every path at or above a schema error: rules there would see a value of the wrong shape."""
    found: set[tuple[Any, ...]] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        found.update(path[:length] for length in range(len(path) + 1))
    return found


def _rules(value: Any, node: dict[str, Any], path: tuple[Any, ...], found: _Found) -> None:
    # The same value under the same node gets the same verdicts: the cities' copies of a resource differ in
    # names and labels, rarely where the rules look, so most rules run once per distinct value, not per document.
    key = (id(node), _identity(value))
    verdicts = found.verdicts.get(key)
    if verdicts is None:
        verdicts = found.verdicts[key] = _verdicts(value, node)
    for rule, error, why in verdicts:
        where = _where(_field_path(path, str(rule.get("fieldPath", ""))))
        if why is not None:
            found.unevaluated.append(f"{where}: {why}")
        else:
            found.errors.append(f"{where}: {error}")


def _verdicts(value: Any, node: dict[str, Any]) -> Verdicts:
    # Imported on first use: cel-python takes about 0.3 s to set up, and most kinds have no rules.
    from nusantara_fleet.validate import cel_rules

    bound = cel_rules.to_cel(value, node)
    verdicts: Verdicts = []
    for rule in node["x-kubernetes-validations"]:
        source = str(rule.get("rule", ""))
        why = cel_rules.unevaluable(source)
        if why is not None:
            verdicts.append((rule, None, f"rule {source!r} not evaluated: {why}"))
            continue
        verdict = cel_rules.evaluate(source, bound)
        if verdict is True:
            continue
        if verdict is False:
            expression = rule.get("messageExpression")
            text = cel_rules.message(str(expression), bound) if expression else None
            verdicts.append((rule, f"{text or rule.get('message') or f'failed rule: {source}'}", None))
        else:
            verdicts.append((rule, f"{verdict} evaluating rule: {source}", None))
    return verdicts


def _walk(value: Any, node: Any, path: tuple[Any, ...], blocked: set[tuple[Any, ...]], found: _Found) -> None:
    """Embedded resources' metadata and the CEL rules, over a document the schema check has seen."""
    if value is None or not isinstance(node, dict):
        return
    if path and node.get("x-kubernetes-embedded-resource") is True and isinstance(value, dict):
        found.errors.extend(object_meta.problems(value.get("metadata"), f"{_where(path)}.metadata", embedded=True))
    if node.get("x-kubernetes-validations") and path not in blocked:
        # At the root, CEL sees only the name and generateName of metadata, as on the API server.
        root_view = {**value, "metadata": _name_fields(value.get("metadata"))} if not path else value
        _rules(root_view, node, path, found)
    if isinstance(value, dict):
        properties = node.get("properties") or {}
        entries = node.get("additionalProperties")
        for key, item in value.items():
            _walk(item, properties.get(key, entries), (*path, key), blocked, found)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _walk(item, node.get("items"), (*path, position), blocked, found)


def _name_fields(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        return {}
    return {key: metadata[key] for key in ("name", "generateName") if key in metadata}


@dataclass(frozen=True)
class StructuralSchema:
    """The `openAPIV3Schema` of one served CRD version, ready to check documents."""

    schema: dict[str, Any]
    validator: jsonschema.protocols.Validator
    # The nodes of `schema` live as long as this object, so their ids stay theirs.
    verdicts: dict[tuple[int, Hashable], Verdicts] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, schema: dict[str, Any]) -> StructuralSchema:
        return cls(schema=schema, validator=_VALIDATOR(_root_schema(schema)))

    def outcome(self, body: dict[str, Any]) -> Outcome:
        prepared = _prepared(body, self.schema)
        schema_errors = list(self.validator.iter_errors(prepared))
        found = _Found(
            errors=[f"{_where(tuple(e.absolute_path))}: {e.message}" for e in schema_errors],
            unevaluated=[],
            verdicts=self.verdicts,
        )
        found.errors.extend(object_meta.problems(prepared.get("metadata"), "metadata", embedded=False))
        _walk(prepared, self.schema, (), _blocked(schema_errors), found)
        return Outcome(errors=tuple(sorted(set(found.errors))), unevaluated=tuple(sorted(set(found.unevaluated))))


@cache
def _version(group: str, kind: str, version: str) -> StructuralSchema | str:
    """The checker of one served version, or why there is none."""
    file = index().get((group, kind))
    if file is None:
        known = sorted(name for known_group, name in index() if known_group == group)
        return f"no vendored CRD defines it ({group} has {', '.join(known)})"
    spec = definitions(file)[(group, kind)]
    versions = {str(entry["name"]): entry for entry in spec["versions"]}
    served = ", ".join(name for name, entry in versions.items() if entry.get("served")) or "none"
    entry = versions.get(version)
    if entry is None:
        return f"its CRD ({file}) has no version {version}; served: {served}"
    if not entry.get("served"):
        return f"its CRD ({file}) defines {version} but does not serve it; served: {served}"
    schema = entry.get("schema", {}).get("openAPIV3Schema")
    if not isinstance(schema, dict):
        return f"its CRD ({file}) gives {version} no openAPIV3Schema"
    return StructuralSchema.of(schema)


def check_one(body: dict[str, Any]) -> Outcome:
    """One custom resource (of a group `handles`) against its vendored CRD."""
    group, _, version = str(body.get("apiVersion", "")).rpartition("/")
    checker = _version(group, str(body.get("kind", "")), version)
    if isinstance(checker, str):
        return Outcome(missing=checker)
    return checker.outcome(body)


def check(bodies: list[dict[str, Any]]) -> list[Outcome]:
    """Validate custom resources (each of a group `handles`), in order."""
    return [check_one(body) for body in bodies]
