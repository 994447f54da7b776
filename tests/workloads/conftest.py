"""Renders shared by the workload and network tests: each variant once per test session."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from nusantara_fleet.model import Fleet
from tests.support import add_canaries, render_variant, set_edge


@pytest.fixture(scope="session")
def ingress_canary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, Path]:
    """The fleet on ingress-nginx, with canaries of the gateway and order in Bandung."""
    return render_variant(
        tmp_path_factory.mktemp("ingress-canary"), partial(set_edge, mode="ingress-nginx"), add_canaries
    )


@pytest.fixture(scope="session")
def gateway_canary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, Path]:
    """The default fleet (Gateway API), with the same canaries."""
    return render_variant(
        tmp_path_factory.mktemp("gateway-canary"), partial(set_edge, mode="gateway-api"), add_canaries
    )
