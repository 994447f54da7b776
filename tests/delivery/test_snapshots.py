"""Snapshots of the Argo CD objects in dist/fleet for both rollout strategies.

Each golden under snapshots/ is the rendered YAML itself; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites them.
"""

from __future__ import annotations

import difflib
import os
from functools import partial
from pathlib import Path

import pytest

from tests.delivery.rendering import FLEET, render_variant, set_rollout

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
    golden = SNAPSHOTS / f"{strategy}.yaml"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        golden.write_text(rendered)
    expected = golden.read_text() if golden.exists() else ""
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                fromfile=f"tests/delivery/snapshots/{golden.name}",
                tofile="rendered",
            )
        )
        pytest.fail(f"{golden.name} differs from the render; review, then run `make snapshots`:\n{diff}")
