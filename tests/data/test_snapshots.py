"""Snapshots of the data layer in the variants dist/ does not show: standby-clusters mode, and a restore.

Each golden under snapshots/ is the rendered YAML itself; `make snapshots` (UPDATE_SNAPSHOTS=1)
rewrites them. The label_role.py script inside the ConfigMap is covered by its own file.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from nusantara_fleet import cli
from tests.support import ENVS, assert_snapshot, data_docs, render_variant, set_mode

SNAPSHOTS = Path(__file__).with_name("snapshots")
# The kinds whose shape matters most; the rest are checked by schema and policy over dist/.
KINDS = {"StatefulSet", "CronJob", "Job", "Role", "StorageClass"}


def test_snapshot_of_a_citys_data_layer_in_standby_clusters_mode(tmp_path: Path) -> None:
    mode, city = "standby-clusters", "bandung"
    _, out = render_variant(tmp_path, partial(set_mode, mode=mode))
    parts = [
        f"# dist/{path}\n{(out / path).read_text()}"
        for path, doc in sorted(data_docs(out).items())
        if path.parts[0] == city and doc["kind"] in KINDS and doc["metadata"]["name"] != "patroni"
    ]
    assert_snapshot(SNAPSHOTS / f"{mode}-{city}.yaml", "---\n".join(parts))


def test_snapshot_of_the_patroni_config_in_standby_clusters_mode(tmp_path: Path) -> None:
    mode = "standby-clusters"
    _, out = render_variant(tmp_path, partial(set_mode, mode=mode))
    assert_snapshot(
        SNAPSHOTS / f"{mode}-patroni-bandung.yaml", (out / "bandung" / "ConfigMap.patroni.k8s.yaml").read_text()
    )


def test_snapshot_of_a_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["restore", "--envs", str(ENVS), "--city", "surabaya", "--to", "2026-11-27T09:30:00+07:00"]) == 0
    assert_snapshot(SNAPSHOTS / "restore-surabaya.yaml", capsys.readouterr().out)
