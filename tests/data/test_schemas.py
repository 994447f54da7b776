"""Every core data object, in both failover modes and in a restore, is valid on every supported Kubernetes
minor (strict)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nusantara_fleet import cli
from nusantara_fleet.validate import core_schemas
from nusantara_fleet.validate.core_schemas import Verdict
from tests.support import ENVS, data_docs, in_mode, render_variant

CUSTOM = {"external-secrets.io/v1"}  # checked against the upstream CRD by `fleet validate`


@pytest.mark.parametrize("mode", ["quorum", "standby-clusters"])
def test_data_objects_validate_strictly(tmp_path: Path, mode: str) -> None:
    _, out = render_variant(tmp_path, *in_mode(mode))
    docs = [doc for doc in data_docs(out).values() if doc["apiVersion"] not in CUSTOM]
    kinds = {doc["kind"] for doc in docs}
    assert {"StatefulSet", "Service", "ConfigMap", "CronJob", "Job", "Role", "StorageClass"} <= kinds
    assert {(doc["kind"], doc["metadata"]["name"]): core_schemas.check(doc) for doc in docs} == {
        (doc["kind"], doc["metadata"]["name"]): Verdict() for doc in docs
    }


def test_restore_objects_validate_strictly(tmp_path: Path) -> None:
    out = tmp_path / "restore"
    assert (
        cli.main(
            ["restore", "--envs", str(ENVS), "--city", "jakarta", "--to", "2026-11-27T02:30:00Z", "--out", str(out)]
        )
        == 0
    )
    docs = [yaml.safe_load(path.read_text()) for path in sorted(out.iterdir())]
    assert sorted(doc["kind"] for doc in docs) == ["ConfigMap", "StatefulSet"]
    assert {(doc["kind"], doc["metadata"]["name"]): core_schemas.check(doc) for doc in docs} == {
        (doc["kind"], doc["metadata"]["name"]): Verdict() for doc in docs
    }


def test_restore_refuses_a_time_without_offset(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["restore", "--envs", str(ENVS), "--city", "jakarta", "--to", "2026-11-27 09:30"]) == 2
    assert "is not an ISO 8601 time with an offset" in capsys.readouterr().err


def test_no_secret_values_in_the_data_layer(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path)
    docs = data_docs(out).values()
    assert not [doc for doc in docs if doc["kind"] == "Secret"]
    for doc in docs:
        text = yaml.safe_dump(doc)
        assert "password:" not in text.lower().replace("-password", "")
