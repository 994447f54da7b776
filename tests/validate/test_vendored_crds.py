"""The vendored CRDs are the upstream files recorded in crds/index.json and crds/README.md, byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from nusantara_fleet.validate import crd_schemas

CRDS = Path(crd_schemas.__file__).with_name("crds")
INDEX = json.loads((CRDS / "index.json").read_text())


def test_every_file_has_its_recorded_sha256() -> None:
    actual = {
        str(path.relative_to(CRDS)): hashlib.sha256(path.read_bytes()).hexdigest() for path in CRDS.rglob("*.yaml")
    }
    assert actual == {file: entry["sha256"] for file, entry in INDEX.items()}


def test_every_file_defines_the_kinds_recorded_for_it() -> None:
    for file, entry in INDEX.items():
        assert sorted(f"{group}/{kind}" for group, kind in crd_schemas.definitions(file)) == entry["kinds"], file


def test_no_kind_is_defined_twice() -> None:
    kinds = [kind for entry in INDEX.values() for kind in entry["kinds"]]
    assert len(kinds) == len(set(kinds)) == len(crd_schemas.index())


def test_the_readme_names_the_source_of_every_file() -> None:
    rows = {
        line.split("|")[1].strip()
        for line in (CRDS / "README.md").read_text().splitlines()
        if line.startswith("| ") and line.count("|") == 7 and "/" in line.split("|")[1]
    }
    assert rows == set(INDEX)
