"""Snapshots of the Argo CD objects in dist/fleet for both rollout strategies.

Each golden under snapshots/ is the rendered YAML itself; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from tests.delivery.rendering import FLEET, render_variant, set_rollout
from tests.support import assert_snapshot

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


@pytest.mark.parametrize("strategy", ["app-of-apps", "application-set"])
def test_snapshot_of_argo_cd_objects(strategy: str, tmp_path: Path) -> None:
    rendered = delivery_objects(render_variant(tmp_path, partial(set_rollout, strategy=strategy)))
    assert_snapshot(SNAPSHOTS / f"{strategy}.yaml", rendered)
