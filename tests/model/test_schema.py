"""The committed JSON Schema is current, and jsonschema and pydantic judge documents alike."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from nusantara_fleet.model.schema import SCHEMA_DIR, SCHEMAS, schema_of, schema_texts
from nusantara_fleet.model.spec.common import PATTERN_HELP
from tests.support import ENVS


def test_committed_schema_is_current() -> None:
    for name, text in schema_texts().items():
        committed = (ENVS / SCHEMA_DIR / name).read_text()
        assert committed == text, f"envs/schema/{name} is stale: run `fleet schema` (or `make snapshots`)"


def test_every_envs_file_points_editors_at_its_schema() -> None:
    for path in sorted(ENVS.glob("*.yaml")):
        expected = "fleet.schema.json" if path.name == "fleet.yaml" else "city.schema.json"
        assert path.read_text().startswith(f"# yaml-language-server: $schema=schema/{expected}\n"), path


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ENVS / name).read_text())
    return data


def _with(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


FLEET = _load("fleet.yaml")
CITY = _load("bandung.yaml")

DOCUMENTS: list[tuple[str, str, dict[str, Any], bool]] = [
    ("fleet-good", "fleet.schema.json", FLEET, True),
    ("city-good", "city.schema.json", CITY, True),
    (
        "city-with-canary",
        "city.schema.json",
        _with(CITY, ("services",), {"order": {"canary": {"tag": "2.5.0", "weight": 50}}}),
        True,
    ),
    ("fleet-unknown-key", "fleet.schema.json", _with(FLEET, ("primry",), "jakarta"), False),
    ("fleet-tag-latest", "fleet.schema.json", _with(FLEET, ("services", 0, "tag"), "latest"), False),
    ("fleet-tag-empty", "fleet.schema.json", _with(FLEET, ("services", 0, "tag"), ""), False),
    ("fleet-port-string", "fleet.schema.json", _with(FLEET, ("services", 0, "port"), "http"), False),
    ("fleet-two-primaries", "fleet.schema.json", _with(FLEET, ("primary",), ["jakarta", "bandung"]), False),
    (
        "fleet-bad-resource-class",
        "fleet.schema.json",
        _with(FLEET, ("services", 0, "resource_class"), "huge"),
        False,
    ),
    ("fleet-uppercase-city", "fleet.schema.json", _with(FLEET, ("primary",), "Jakarta"), False),
    ("city-bad-cidr", "city.schema.json", _with(CITY, ("network", "pod_cidr"), "10.20.0.0"), False),
    (
        "city-canary-weight-60",
        "city.schema.json",
        _with(CITY, ("services",), {"order": {"canary": {"tag": "2.5.0", "weight": 60}}}),
        False,
    ),
    ("city-zero-nodes", "city.schema.json", _with(CITY, ("node_pools",), {"general": {"nodes": 0}}), False),
]


@pytest.mark.parametrize(("schema_name", "doc", "valid"), [d[1:] for d in DOCUMENTS], ids=[d[0] for d in DOCUMENTS])
def test_jsonschema_and_pydantic_agree(schema_name: str, doc: dict[str, Any], valid: bool) -> None:
    model = SCHEMAS[schema_name]
    validator = jsonschema.Draft202012Validator(schema_of(model))
    schema_ok = validator.is_valid(doc)
    try:
        model.model_validate(doc)
        model_ok = True
    except ValidationError:
        model_ok = False
    assert (schema_ok, model_ok) == (valid, valid)


def test_schema_written_by_fleet_schema_matches(tmp_path: Path) -> None:
    from nusantara_fleet.model.schema import write_schemas

    written = write_schemas(tmp_path)
    assert sorted(p.name for p in written) == sorted(SCHEMAS)
    assert {p.name: p.read_text() for p in written} == schema_texts()


def _patterns(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(item) for item in node))
    return set()


def test_every_pattern_is_explained_in_words() -> None:
    """The loader answers a pattern mismatch with PATTERN_HELP, never with the regex itself."""
    used = set().union(*(_patterns(schema_of(model)) for model in SCHEMAS.values()))
    assert used, "no pattern found: the walk is broken"
    assert sorted(used - set(PATTERN_HELP)) == []
