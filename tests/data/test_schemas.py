"""Every core data object, in both failover modes and in a restore, is valid Kubernetes 1.28 (strict)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from nusantara_fleet import cli
from tests.data.rendering import data_docs, render_variant, set_mode
from tests.support import ENVS

CUSTOM = {"external-secrets.io/v1"}  # checked against the upstream CRD by `fleet validate`


@pytest.mark.parametrize("mode", ["quorum", "standby-clusters"])
def test_data_objects_validate_strictly(tmp_path: Path, mode: str) -> None:
    _, out = render_variant(tmp_path, partial(set_mode, mode=mode))
    docs = [doc for doc in data_docs(out).values() if doc["apiVersion"] not in CUSTOM]
    kinds = {doc["kind"] for doc in docs}
    assert {"StatefulSet", "Service", "ConfigMap", "CronJob", "Job", "Role", "StorageClass"} <= kinds
    for doc in docs:
        kubernetes_validate.validate(doc, "1.28", strict=True)


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
    for doc in docs:
        kubernetes_validate.validate(doc, "1.28", strict=True)


def test_restore_refuses_a_time_without_offset(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["restore", "--envs", str(ENVS), "--city", "jakarta", "--to", "2026-11-27 09:30"]) == 1
    assert "is not an ISO 8601 time with an offset" in capsys.readouterr().err


def test_no_secret_values_in_the_data_layer(tmp_path: Path) -> None:
    _, out = render_variant(tmp_path)
    docs = data_docs(out).values()
    assert not [doc for doc in docs if doc["kind"] == "Secret"]
    for doc in docs:
        text = yaml.safe_dump(doc)
        assert "password:" not in text.lower().replace("-password", "")
