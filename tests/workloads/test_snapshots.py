"""Snapshots of everything one service renders in the variants dist/ does not show: a canary, the other edge.

The default (Gateway API, no canary) is dist/ itself, the fleet-wide golden.

The exposed service (`gateway`) is the one whose objects change with both switches. Each golden
under snapshots/ is the rendered YAML itself; `make snapshots` (UPDATE_SNAPSHOTS=1) rewrites them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.support import SNAPSHOT_CITY, add_canaries, assert_snapshot, render_variant, set_edge

SNAPSHOTS = Path(__file__).with_name("snapshots")
SERVICE = "gateway"
# Everything named after the service, plus the edge it is exposed on: the Gateway and the per-host routes.
ROUTES = ("api", "web")
OWNED = {
    SERVICE,
    f"{SERVICE}-canary",
    f"{SERVICE}-config",
    f"{SERVICE}-https-redirect",
    "edge",
    "edge-proxies",
    *ROUTES,
    *(f"{route}-canary" for route in ROUTES),
}

VARIANTS: dict[str, list[Callable[[Path], None]]] = {
    "ingress-canary": [partial(set_edge, mode="ingress-nginx"), add_canaries],
    "ingress": [partial(set_edge, mode="ingress-nginx")],
    "gateway-api-canary": [add_canaries],
}


def service_objects(out: Path) -> str:
    """The service's rendered files, concatenated as one multi-document YAML stream in file order."""
    parts = []
    for path in sorted((out / SNAPSHOT_CITY).iterdir()):
        name = path.name.removesuffix(".k8s.yaml").split(".", 1)[1]
        if name in OWNED:
            parts.append(f"# dist/{SNAPSHOT_CITY}/{path.name}\n{path.read_text()}")
    return "---\n".join(parts)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_snapshot_of_one_service(variant: str, tmp_path: Path) -> None:
    _, out = render_variant(tmp_path, *VARIANTS[variant])
    rendered = service_objects(out)
    assert_snapshot(SNAPSHOTS / f"{SERVICE}-{variant}.yaml", rendered)


def test_canary_and_gateway_api_renders_are_byte_identical_twice(tmp_path: Path) -> None:
    from tests.support import read_tree

    trees = [read_tree(render_variant(tmp_path / str(i), *VARIANTS["gateway-api-canary"])[1]) for i in range(2)]
    assert trees[0] == trees[1]
