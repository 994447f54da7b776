"""Bad workload settings in envs/ fail with the file, line, field and fix; good ones load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import edit_yaml


def _fleet(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda envs: edit_yaml(envs / "fleet.yaml", change)


def _city(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda envs: edit_yaml(envs / f"{name}.yaml", change)


def _provider(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda fleet: fleet["payment_providers"][0].update(fields)


CASES = [
    (
        "unknown-edge-service",
        _fleet(lambda f: f.update(edge_service="gatewy")),
        "edge_service: unknown service 'gatewy'; did you mean 'gateway'? services in fleet.yaml: "
        "catalog, gateway, inventory, order, payment, report",
    ),
    (
        "unknown-edge-mode",
        _fleet(lambda f: f.update(edge="traefik")),
        "edge: Input should be 'ingress-nginx' or 'gateway-api'",
    ),
    (
        "provider-for-unknown-service",
        _fleet(_provider(services=["payments"])),
        "payment_providers[0].services[0]: unknown service 'payments'; did you mean 'payment'?",
    ),
    (
        "provider-opens-the-internet",
        _fleet(_provider(cidrs=["0.0.0.0/0"])),
        "payment_providers[0].cidrs: '0.0.0.0/0' opens a /0 of the internet; "
        "list the provider's published API ranges instead",
    ),
    (
        "provider-cidr-with-host-bits",
        _fleet(_provider(cidrs=["203.0.113.7/24"])),
        "'203.0.113.7/24' has host bits set; write the network address '203.0.113.0/24'",
    ),
    (
        "one-general-node",
        _city("surabaya", lambda c: c.update(node_pools={"general": {"nodes": 1}})),
        "node_pools.general.nodes: the general pool has 1 node(s), so a service's replicas would share one; "
        "set node_pools.general.nodes to at least 2",
    ),
    (
        "fewer-nodes-than-cache-replicas",
        _fleet(lambda f: f.update(report_cache={"replicas": 4})),
        "node_pools.general.nodes: the general pool has 3 node(s) but the report cache runs 4 replicas, one per "
        "node (required anti-affinity); set node_pools.general.nodes to at least 4",
    ),
    (
        "service-named-like-a-canary",
        _fleet(lambda f: f["services"].append({**f["services"][1], "name": "order-canary", "routes": []})),
        "services[6].name: 'order-canary' is the name of 'order''s canary objects; rename the service",
    ),
    (
        "unknown-workload-key",
        _fleet(lambda f: f.update(workloads={"replica": 3})),
        "workloads.replica: unknown key 'replica'; did you mean 'replicas'?",
    ),
    (
        "single-replica",
        _fleet(lambda f: f.update(workloads={"replicas": 1})),
        "workloads.replicas: Input should be greater than or equal to 2",
    ),
]


@pytest.mark.parametrize(("edit", "message"), [(edit, msg) for _, edit, msg in CASES], ids=[c[0] for c in CASES])
def test_bad_workload_config_is_refused(envs: Path, edit: Callable[[Path], None], message: str) -> None:
    edit(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    matching = [problem for problem in caught.value.problems if message in str(problem)]
    assert matching, caught.value
    assert all(problem.file.startswith("envs/") and problem.line for problem in matching)
