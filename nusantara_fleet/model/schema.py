"""Exports the envs models as JSON Schema, for editors (yaml-language-server) and CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nusantara_fleet.model.spec import CitySpec, FleetSpec

SCHEMA_DIR = Path("schema")
SCHEMAS: dict[str, type[FleetSpec] | type[CitySpec]] = {
    "fleet.schema.json": FleetSpec,
    "city.schema.json": CitySpec,
}


def schema_of(model: type[FleetSpec] | type[CitySpec]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_texts() -> dict[str, str]:
    """File name → committed text of each schema."""
    return {name: json.dumps(schema_of(model), indent=2, sort_keys=True) + "\n" for name, model in SCHEMAS.items()}


def write_schemas(envs: Path) -> list[Path]:
    written = []
    for name, text in schema_texts().items():
        path = envs / SCHEMA_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
