"""Snapshot of the Argo CD objects in dist/fleet for the strategy dist/ does not show (application-set).

Each golden under snapshots/ is the rendered YAML itself; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from tests.support import FLEET, assert_snapshot, render_tree, set_rollout

SNAPSHOTS = Path(__file__).with_name("snapshots")
# The platform's fleet-topology ConfigMap is not a delivery object; everything else in dist/fleet is.
NOT_DELIVERY = {"ConfigMap.fleet-topology.k8s.yaml"}


def delivery_objects(out: Path) -> str:
    parts = [
        f"# dist/{FLEET}/{path.name}\n{path.read_text()}"
        for path in sorted((out / FLEET).glob("*.k8s.yaml"))
        if path.name not in NOT_DELIVERY
    ]
    return "---\n".join(parts)


def test_snapshot_of_argo_cd_objects_with_an_application_set(tmp_path: Path) -> None:
    rendered = delivery_objects(render_tree(tmp_path, partial(set_rollout, strategy="application-set")))
    assert_snapshot(SNAPSHOTS / "application-set.yaml", rendered)
