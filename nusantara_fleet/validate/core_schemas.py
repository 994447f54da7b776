"""Built-in kinds against Kubernetes' own OpenAPI schemas, as bundled by kubernetes-validate.

`kubernetes_validate.validate()` re-reads and re-resolves the schema on every call (about 12 ms per
document) and stops at the first error; this module builds one validator per kind from the same bundled
files and reports every error of a document. For a kind with many documents it also compiles the schema
to Python (fastjsonschema, about 12x faster per document); a document that compiled check rejects is
checked again by jsonschema, which lists all of its errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.28"  # the oldest minor any city runs; newer API fields must not slip in
_SCHEMA_DIR = f"v{KUBERNETES_VERSION}.0-local-strict"  # strict: unknown fields are errors, not pruned
_GROUP_SUFFIX = re.compile(r"^([^./]*)(?:\.[^/]*)?/")  # rbac.authorization.k8s.io/v1 -> rbac-v1
# Compiling a kind's schema takes about 60 ms and saves about 0.4 ms per document.
COMPILE_MIN_DOCUMENTS = 200
# jsonschema (as kubernetes-validate runs it) checks no `format`; the compiled check must not either.
_ANY_FORMAT = {name: (lambda _value: True) for name in ("byte", "date-time", "double", "int32", "int64")}


def _schema_root() -> Any:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", _SCHEMA_DIR)


@cache
def _definitions() -> Resource[Any]:
    return Resource.from_contents(json.loads(_schema_root().joinpath("_definitions.json").read_text()))


def _schema_file(api_version: str, kind: str) -> Any:
    group_version = _GROUP_SUFFIX.sub(r"\1-", api_version)
    return _schema_root().joinpath(f"{kind.lower()}-{group_version}.json")


@cache
def validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The validator of one kind, built once; None when Kubernetes has no such built-in kind."""
    file = _schema_file(api_version, kind)
    if not file.is_file():
        return None
    schema = json.loads(file.read_text())
    # Both files carry their own `$id`, which is how the `$ref`s between them resolve.
    registry: Registry[Any] = _definitions() @ (Resource.from_contents(schema) @ Registry())
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
def _definitions_document() -> Any:
    return json.loads(_schema_root().joinpath("_definitions.json").read_text())


@cache
def compiled(api_version: str, kind: str) -> Callable[[Any], Any]:
    """The kind's schema compiled to Python: raises `fastjsonschema.JsonSchemaException` on the first error."""
    schema = json.loads(_schema_file(api_version, kind).read_text())
    check: Callable[[Any], Any] = fastjsonschema.compile(
        schema, handlers={"https": lambda _uri: _definitions_document()}, formats=_ANY_FORMAT, use_default=False
    )
    return check


def passes(body: dict[str, Any], api_version: str, kind: str) -> bool:
    """The compiled check's verdict (only a pass is trusted; `errors()` explains a failure)."""
    try:
        compiled(api_version, kind)(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True
