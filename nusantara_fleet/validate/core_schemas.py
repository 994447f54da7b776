"""Built-in kinds against Kubernetes' own OpenAPI schemas, on every supported minor, as bundled by
kubernetes-validate.

`kubernetes_validate.validate()` re-reads and re-resolves the schema on every call (about 12 ms per
document) and stops at the first error; this module builds validators from the same bundled files and
reports every error of a document. Most kinds' schemas are the same on several minors: each (minor, kind)
gets a digest of what validates (its schema and every definition it reaches, without descriptions and
`x-kubernetes-*` annotations, which no validator reads), and one validator serves every minor with that
digest. For a kind with many documents the schema is also compiled to Python (fastjsonschema, about 12x
faster per document); a document the compiled check rejects is checked again by jsonschema, which lists
all of its errors.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from referencing import Registry, Resource

# Every minor a city's cluster may run, oldest first: a manifest must apply before, during and after an
# upgrade, so it must be valid on each of them (1.28 left upstream support; kubernetes-validate ships to 1.37).
SUPPORTED_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
_GROUP_SUFFIX = re.compile(r"^([^./]*)(?:\.[^/]*)?/")  # rbac.authorization.k8s.io/v1 -> rbac-v1
# A kind's file refers to `/api/_definitions.json#/$defs/<name>`; the definitions to each other as `#/$defs/<name>`.
_DEFINITION_REFS = ("/api/_definitions.json#/$defs/", "#/$defs/")
# Compiling a schema takes 10-300 ms (the most for pod templates) and saves 0.1-2 ms per document: it pays
# from 40-300 documents of a kind.
COMPILE_MIN_DOCUMENTS = 200
# jsonschema (as kubernetes-validate runs it) checks no `format`; the compiled check must not either.
_ANY_FORMAT = {name: (lambda _value: True) for name in ("byte", "date-time", "double", "int32", "int64")}
# Keywords whose values are schemas by name (a property called `description` is still a property).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs"})
_DATA = frozenset({"enum", "const", "default", "examples"})


@dataclass(frozen=True)
class Verdict:
    """One document on every supported minor: the minors that lack its kind, and each error with the minors
    it occurs on (both in SUPPORTED_VERSIONS order)."""

    missing: tuple[str, ...] = ()
    errors: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _schema_root(version: str) -> Any:
    # strict: unknown fields are errors, not pruned
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}.0-local-strict")


@cache
def _definitions_document(version: str) -> Any:
    return json.loads(_schema_root(version).joinpath("_definitions.json").read_text())


def _schema_file(version: str, api_version: str, kind: str) -> Any:
    group_version = _GROUP_SUFFIX.sub(r"\1-", api_version)
    return _schema_root(version).joinpath(f"{kind.lower()}-{group_version}.json")


@cache
def _kind_schema(version: str, api_version: str, kind: str) -> Any:
    file = _schema_file(version, api_version, kind)
    return json.loads(file.read_text()) if file.is_file() else None


def _validating(node: Any) -> Any:
    """`node` without what no validator reads, for comparing schemas across minors."""
    if isinstance(node, list):
        return [_validating(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            kept[key] = {name: _validating(schema) for name, schema in value.items()}
        else:
            kept[key] = value if key in _DATA else _validating(value)
    return kept


def _definition_name(ref: Any) -> str | None:
    for prefix in _DEFINITION_REFS:
        if isinstance(ref, str) and ref.startswith(prefix):
            return ref.removeprefix(prefix)
    return None


def _references(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        name = _definition_name(node.get("$ref"))
        if name is not None:
            found.add(name)
        for value in node.values():
            _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)
    return found


def _digest(node: Any) -> str:
    return hashlib.sha256(json.dumps(_validating(node), sort_keys=True).encode()).hexdigest()


@cache
def _definition(version: str, name: str) -> tuple[str, frozenset[str]]:
    """One definition of one minor: its digest and the definitions it refers to."""
    node = _definitions_document(version)["$defs"][name]
    return _digest(node), frozenset(_references(node, set()))


@cache
def schema_key(version: str, api_version: str, kind: str) -> str | None:
    """The digest of everything that validates `kind` on `version`; None when that minor has no such kind."""
    schema = _kind_schema(version, api_version, kind)
    if schema is None:
        return None
    reached: set[str] = set()
    pending = list(_references(schema, set()))
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(_definition(version, name)[1])
    parts = [_digest(schema), *(f"{name}={_definition(version, name)[0]}" for name in sorted(reached))]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    _SOURCES.setdefault(key, (version, api_version, kind))
    return key


# digest -> the first (minor, apiVersion, kind) seen with it: any of them builds the same validator
_SOURCES: dict[str, tuple[str, str, str]] = {}


def _local(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: f"#/$defs/{_definition_name(value)}" if key == "$ref" else _local(value) for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local(item) for item in node]
    return node


@cache
def local_definitions(name: str) -> dict[str, Any]:
    """Definition `name` of the newest supported minor and every definition it reaches, keyed by name with
    `$ref`s as `#/$defs/<name>`: to embed under `$defs` in another schema (strict, like the rest)."""
    version = SUPPORTED_VERSIONS[-1]
    found: dict[str, Any] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if current not in found:
            found[current] = _local(_definitions_document(version)["$defs"][current])
            pending.extend(_definition(version, current)[1])
    return found


@cache
def keys(api_version: str, kind: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each distinct schema of a kind across SUPPORTED_VERSIONS (its digest), with the minors that share it."""
    shared: dict[str, list[str]] = {}
    for version in SUPPORTED_VERSIONS:
        key = schema_key(version, api_version, kind)
        if key is not None:
            shared.setdefault(key, []).append(version)
    return tuple((key, tuple(versions)) for key, versions in shared.items())


@cache
def validator(key: str) -> jsonschema.protocols.Validator:
    """The validator of one schema digest (from `keys`), built once."""
    version, api_version, kind = _SOURCES[key]
    schema = _kind_schema(version, api_version, kind)
    # Both files carry their own `$id`, which is how the `$ref`s between them resolve.
    definitions = Resource.from_contents(_definitions_document(version))
    registry: Registry[Any] = definitions @ (Resource.from_contents(schema) @ Registry())
    checker: jsonschema.protocols.Validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return checker


def errors(body: dict[str, Any], checker: jsonschema.protocols.Validator) -> list[str]:
    """Every schema error of one document as `field.path: message`, in a stable order."""
    found = []
    for error in checker.iter_errors(body):
        where = ".".join(str(part) for part in error.absolute_path) or "(document)"
        found.append(f"{where}: {error.message}")
    return sorted(found)


@cache
def compiled(key: str) -> Callable[[Any], Any]:
    """The schema compiled to Python: raises `fastjsonschema.JsonSchemaException` on the first error."""
    version, api_version, kind = _SOURCES[key]
    # fastjsonschema rewrites the `$ref`s of what it compiles in place: it gets copies of its own.
    definitions = json.loads(_schema_root(version).joinpath("_definitions.json").read_text())
    check: Callable[[Any], Any] = fastjsonschema.compile(
        json.loads(_schema_file(version, api_version, kind).read_text()),
        handlers={"https": lambda _uri: definitions},
        formats=_ANY_FORMAT,
        use_default=False,
    )
    return check


def passes(body: dict[str, Any], key: str) -> bool:
    """The compiled check's verdict (only a pass is trusted; `errors()` explains a failure)."""
    try:
        compiled(key)(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def check(body: dict[str, Any], *, fast: bool = False) -> Verdict:
    """One document against its kind on every supported minor; `fast` tries the compiled check first."""
    shared = schemas_for(body)
    present = {version for _, versions in shared for version in versions}
    found: dict[str, set[str]] = {}
    for key, versions in shared:
        if fast and passes(body, key):
            continue
        for error in errors(body, validator(key)):
            found.setdefault(error, set()).update(versions)
    return Verdict(
        missing=tuple(version for version in SUPPORTED_VERSIONS if version not in present),
        errors=tuple((error, _ordered(versions)) for error, versions in sorted(found.items())),
    )


def schemas_for(body: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The schemas (`keys`) that `body` must be checked against, with the minors each stands for: those that
    agree on every part this document reaches are merged, since most minors differ only in fields a given
    manifest does not use."""
    api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
    shared = keys(api_version, kind)
    return shared if len(shared) < 2 else _merged(api_version, kind, _shape(body))


Shape = Any  # an object: ((key, Shape), ...) sorted; a list: frozenset of its items' Shapes; else None


def _shape(value: Any) -> Shape:
    """What validation can depend on besides scalar values: which keys are where, which lists hold what."""
    if isinstance(value, dict):
        return tuple(sorted((str(key), _shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return frozenset(_shape(item) for item in value)
    return None


@cache
def _merged(api_version: str, kind: str, shape: Shape) -> tuple[tuple[str, tuple[str, ...]], ...]:
    merged: dict[str, tuple[str, list[str]]] = {}
    for key, versions in keys(api_version, kind):
        version = _SOURCES[key][0]
        projected = _projection(_kind_schema(version, api_version, kind), shape, version, frozenset())
        signature = hashlib.sha256(json.dumps(projected, sort_keys=True).encode()).hexdigest()
        merged.setdefault(signature, (key, []))[1].extend(versions)
    return tuple((key, _ordered(versions)) for key, versions in merged.values())


def _projection(node: Any, shape: Shape, version: str, inlined: frozenset[tuple[str, Shape]]) -> Any:
    """The part of `node` that validating a document of `shape` reads, definitions inlined: `properties` of
    the keys present, `items` once per distinct item shape. Equal projections validate alike. A keyword
    this does not follow is kept whole, with a digest of every definition it refers to."""
    if not isinstance(node, dict):
        return node
    fields = dict(shape) if isinstance(shape, tuple) else {}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-"):
            continue
        name = _definition_name(value) if key == "$ref" else None
        if name is not None:
            if (name, shape) in inlined:  # a definition that contains itself at the same place
                out[key] = name
            else:
                definition = _definitions_document(version)["$defs"][name]
                out[key] = [name, _projection(definition, shape, version, inlined | {(name, shape)})]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                field: _projection(value[field], item, version, inlined)
                for field, item in fields.items()
                if field in value
            }
        elif key == "additionalProperties" and isinstance(value, dict):
            declared = node.get("properties") or {}
            out[key] = {
                field: _projection(value, item, version, inlined)
                for field, item in fields.items()
                if field not in declared
            }
        elif key == "items" and isinstance(value, dict):
            items = shape if isinstance(shape, frozenset) else frozenset()
            out[key] = sorted(
                (_projection(value, item, version, inlined) for item in items),
                key=lambda part: json.dumps(part, sort_keys=True),
            )
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_projection(schema, shape, version, inlined) for schema in value]
        elif key in ("not", "if", "then", "else") and isinstance(value, dict):
            out[key] = _projection(value, shape, version, inlined)
        elif key in _DATA or not isinstance(value, dict | list):
            out[key] = value
        else:
            out[key] = [
                _validating(value),
                sorted(f"{ref}={_definition(version, ref)[0]}" for ref in _closure(value, version)),
            ]
    return out


def _closure(node: Any, version: str) -> set[str]:
    """Every definition `node` refers to, directly or through others."""
    found: set[str] = set()
    pending = list(_references(node, set()))
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(_definition(version, name)[1])
    return found


def _ordered(versions: Iterable[str]) -> tuple[str, ...]:
    chosen = set(versions)
    return tuple(version for version in SUPPORTED_VERSIONS if version in chosen)


def span(versions: tuple[str, ...]) -> str:
    """Minors as people write them: runs of consecutive supported minors joined, e.g. `1.29-1.31, 1.33`."""
    runs: list[list[str]] = []
    for version in versions:
        index = SUPPORTED_VERSIONS.index(version)
        if runs and SUPPORTED_VERSIONS.index(runs[-1][-1]) == index - 1:
            runs[-1].append(version)
        else:
            runs.append([version])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
