"""Load-time rules of the edge's public addresses and hosts, and of DNS failover: each at its file, line, field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import ENVS, copy_envs


def _replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    """A text edit, so comments and line numbers stay as they are in envs/."""

    def mutate(envs: Path) -> None:
        text = (envs / file).read_text()
        assert old in text
        (envs / file).write_text(text.replace(old, new, 1))

    return mutate


def _city(city: str, address: str) -> Callable[[Path], None]:
    current = next(line for line in (ENVS / f"{city}.yaml").read_text().splitlines() if "edge_address:" in line)
    return _replace(f"{city}.yaml", current, f"  edge_address: {address}")


def _host(field: str, host: str) -> Callable[[Path], None]:
    current = next(line for line in (ENVS / "fleet.yaml").read_text().splitlines() if line.startswith(f"  {field}:"))
    return _replace("fleet.yaml", current, f"  {field}: {host}")


CASES = [
    (
        "shared-address",
        _city("surabaya", "192.0.2.20"),
        [
            "envs/surabaya.yaml:7: network.edge_address: 192.0.2.20 is also bandung's edge load balancer address "
            "(envs/bandung.yaml); global DNS tells the cities apart by it, so each city needs its own"
        ],
    ),
    (
        "inside-a-pod-network",
        _city("jakarta", "10.20.0.5"),
        [
            "envs/jakarta.yaml:7: network.edge_address: 10.20.0.5 lies in bandung's pod_cidr 10.20.0.0/16 "
            "(envs/bandung.yaml); the edge load balancer's address must be outside every pod and service network"
        ],
    ),
    (
        "inside-its-own-service-network",
        _city("bandung", "10.120.3.4"),
        [
            "envs/bandung.yaml:7: network.edge_address: 10.120.3.4 lies in bandung's service_cidr 10.120.0.0/16 "
            "(envs/bandung.yaml); the edge load balancer's address must be outside every pod and service network"
        ],
    ),
    (
        "host-without-parent-zone",
        _host("web", "knitto.co"),
        [
            "envs/fleet.yaml:12: hosts.web: 'knitto.co' has no parent zone to delegate from (its parent would be "
            "'co'); name a host under the shop's zone, e.g. `api.nusantaramart.co.id`"
        ],
    ),
    (
        "same-host-twice",
        _host("web", "api.nusantaramart.co.id"),
        [
            "envs/fleet.yaml:12: hosts.web: 'api.nusantaramart.co.id' is also hosts.api; each host has its own "
            "route and DNS strategy"
        ],
    ),
]


def test_dns_failover_must_fit_the_rto(tmp_path: Path) -> None:
    envs = copy_envs(tmp_path / "envs")
    servers = "    edge_dns_servers: [192.0.2.53]\n"
    _replace("fleet.yaml", servers, f"{servers}    dns_ttl_seconds: 171\n")(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    line = (envs / "fleet.yaml").read_text().splitlines().index("    dns_ttl_seconds: 171") + 1
    assert [str(problem) for problem in caught.value.problems] == [
        f"envs/fleet.yaml:{line}: traffic.dns.dns_ttl_seconds: DNS fails over in up to 181 s "
        "(reconcile_requeue_seconds 10 + dns_ttl_seconds 171), beyond the RTO of 180 s; shorten one of them"
    ]
    _replace("fleet.yaml", "dns_ttl_seconds: 171", "dns_ttl_seconds: 170")(envs)
    assert load_fleet(envs).spec.traffic.dns.dns_ttl_seconds == 170


def test_the_default_addresses_load() -> None:
    addresses = [city.network.edge_address for city in load_fleet(ENVS).cities]
    assert len(set(addresses)) == len(addresses) == 3


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_edge_input_is_named_precisely(tmp_path: Path, mutate: Callable[[Path], None], expected: list[str]) -> None:
    envs = copy_envs(tmp_path / "envs")
    mutate(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert [str(problem) for problem in caught.value.problems] == expected
