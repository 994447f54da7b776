"""Every way envs/ can be wrong gives one located, actionable message, and nothing is written."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.cli import main
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import ENVS, edit_yaml, read_tree

Mutation = Callable[[Path], None]


def fleet_edit(change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return lambda envs: edit_yaml(envs / "fleet.yaml", change)


def city_edit(city: str, change: Callable[[dict[str, Any]], Any]) -> Mutation:
    return lambda envs: edit_yaml(envs / f"{city}.yaml", change)


def write(name: str, text: str) -> Mutation:
    def mutate(envs: Path) -> None:
        (envs / name).write_text(text)

    return mutate


def replace(name: str, old: str, new: str) -> Mutation:
    def mutate(envs: Path) -> None:
        text = (envs / name).read_text()
        assert old in text
        (envs / name).write_text(text.replace(old, new, 1))

    return mutate


def append(name: str, text: str) -> Mutation:
    def mutate(envs: Path) -> None:
        (envs / name).write_text((envs / name).read_text() + text)

    return mutate


def set_path(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def fleet_set(*path: str | int, value: Any) -> Mutation:
    return fleet_edit(lambda d: set_path(d, path, value))


def city_set(city: str, *path: str | int, value: Any) -> Mutation:
    return city_edit(city, lambda d: set_path(d, path, value))


_FLEET_LINES = len((ENVS / "fleet.yaml").read_text().splitlines())  # an appended line lands after these
# A key `fleet_set` adds lands after fleet.yaml as `edit_yaml` rewrites it (no comments).
_DUMPED_LINES = len(yaml.safe_dump(yaml.safe_load((ENVS / "fleet.yaml").read_text()), sort_keys=False).splitlines())

CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "malformed-yaml",
        write("bandung.yaml", "network:\n  pod_cidr: [10.20.0.0/16\n"),
        [
            "envs/bandung.yaml:3: malformed YAML: expected ',' or ']', but got '<stream end>'; fix the "
            "syntax on this line",
        ],
    ),
    (
        "unknown-key-did-you-mean",
        replace("bandung.yaml", "network:", "netwrk:"),
        [
            "envs/bandung.yaml:3: network: required field 'network' is missing; add it",
            "envs/bandung.yaml:3: netwrk: unknown key 'netwrk'; did you mean 'network'? allowed keys: "
            "database, network, node_pools, services",
        ],
    ),
    (
        "unknown-nested-key",
        fleet_edit(lambda d: d["services"][2].update(helth_path="/check")),
        [
            "envs/fleet.yaml:71: services[2].helth_path: unknown key 'helth_path'; did you mean "
            "'health_path'? allowed keys: cache, cross_city_bytes_per_request, database, digest, health_path, name, "
            "port, reads, resource_class, routes, rps_per_pod, tag, tmp_size_mib, traffic_pct, wal_bytes_per_request",
        ],
    ),
    (
        "missing-required",
        replace("surabaya.yaml", "  service_cidr: 10.130.0.0/16\n", ""),
        [
            "envs/surabaya.yaml:3: network.service_cidr: required field 'service_cidr' is missing; add it",
        ],
    ),
    (
        "wrong-type",
        fleet_set("services", 1, "port", value="eighty"),
        [
            "envs/fleet.yaml:43: services[1].port: Input should be a valid integer, unable to parse string "
            "as an integer (got 'eighty')",
        ],
    ),
    (
        "overlapping-pod-cidrs",
        replace("surabaya.yaml", "10.30.0.0/16", "10.20.128.0/17"),
        [
            "envs/surabaya.yaml:4: network.pod_cidr: 10.20.128.0/17 overlaps bandung's pod_cidr "
            "10.20.0.0/16 (envs/bandung.yaml); every pod and service network in the fleet must be distinct",
        ],
    ),
    (
        "service-cidr-overlaps-pod-cidr",
        city_set("jakarta", "network", "service_cidr", value="10.30.0.0/20"),
        [
            "envs/surabaya.yaml:4: network.pod_cidr: 10.30.0.0/16 overlaps jakarta's service_cidr "
            "10.30.0.0/20 (envs/jakarta.yaml); every pod and service network in the fleet must be distinct",
        ],
    ),
    (
        "cidr-host-bits",
        city_set("bandung", "network", "pod_cidr", value="10.20.0.1/16"),
        [
            "envs/bandung.yaml:2: network.pod_cidr: '10.20.0.1/16' has host bits set; write the network "
            "address '10.20.0.0/16'",
        ],
    ),
    (
        "primary-not-a-city",
        replace("fleet.yaml", "primary: jakarta", "primary: medan"),
        [
            "envs/fleet.yaml:5: primary: primary city 'medan' has no city file; known cities: bandung, "
            "jakarta, surabaya",
        ],
    ),
    (
        "two-primaries-as-list",
        fleet_set("primary", value=["jakarta", "bandung"]),
        [
            "envs/fleet.yaml:1: primary: exactly one primary city is allowed, got 2: jakarta, bandung; name "
            "the single city whose database takes writes",
        ],
    ),
    (
        "two-primaries-as-repeated-key",
        append("fleet.yaml", "primary: bandung\n"),
        [
            f"envs/fleet.yaml:{_FLEET_LINES + 1}: primary: key 'primary' is written twice (first on line 5); "
            "keep exactly one",
        ],
    ),
    (
        "city-missing-from-rollout",
        fleet_set("rollout", "order", value=["bandung", "jakarta"]),
        [
            "envs/fleet.yaml:3: rollout.order: city 'surabaya' (envs/surabaya.yaml) is missing from the "
            "rollout order; add it where it should roll out",
        ],
    ),
    (
        "city-repeated-in-rollout",
        fleet_set("rollout", "order", value=["bandung", "surabaya", "bandung", "jakarta"]),
        [
            "envs/fleet.yaml:6: rollout.order[2]: city 'bandung' appears twice in the rollout order (also "
            "at position 0); list every city exactly once",
        ],
    ),
    (
        "unknown-city-in-rollout",
        fleet_set("rollout", "order", value=["bandung", "surabaya", "jakarta", "medan"]),
        [
            "envs/fleet.yaml:7: rollout.order[3]: unknown city 'medan' in the rollout order; known cities: "
            "bandung, jakarta, surabaya",
        ],
    ),
    (
        "duplicate-city",
        write(
            "jakarta.yml",
            "network: {pod_cidr: 10.90.0.0/16, service_cidr: 10.190.0.0/16, edge_address: 192.0.2.90, "
            "eastwest_address: 10.250.0.10}\n",
        ),
        [
            "envs/jakarta.yml: city 'jakarta' is defined twice (also in envs/jakarta.yaml); keep one file per city",
        ],
    ),
    (
        "duplicate-service",
        fleet_set("services", 2, "name", value="order"),
        [
            "envs/fleet.yaml:56: services[2].name: service 'order' is defined twice (also services[1]); "
            "service names must be unique",
            "envs/fleet.yaml:113: payment_providers[0].services[0]: unknown service 'payment'; services in "
            "fleet.yaml: catalog, gateway, inventory, order, report",
            "envs/fleet.yaml:122: payment_providers[1].services[0]: unknown service 'payment'; services in "
            "fleet.yaml: catalog, gateway, inventory, order, report",
        ],
    ),
    (
        "tag-latest",
        fleet_set("services", 0, "tag", value="latest"),
        [
            "envs/fleet.yaml:31: services[0].tag: 'latest' must be a pinned release tag such as `1.4.2` "
            "(letters, digits, '.', '_', '-'); `latest` and empty tags are never deployable",
        ],
    ),
    (
        "tag-empty",
        fleet_set("services", 0, "tag", value=""),
        [
            "envs/fleet.yaml:31: services[0].tag: '' must be a pinned release tag such as `1.4.2` (letters, "
            "digits, '.', '_', '-'); `latest` and empty tags are never deployable",
        ],
    ),
    (
        "canary-tag-latest",
        city_set("bandung", "services", value={"order": {"canary": {"tag": "latest", "weight": 10}}}),
        [
            "envs/bandung.yaml:13: services.order.canary.tag: 'latest' must be a pinned release tag such as "
            "`1.4.2` (letters, digits, '.', '_', '-'); `latest` and empty tags are never deployable",
        ],
    ),
    (
        "unknown-service-in-city",
        city_set("bandung", "services", value={"ordr": {"tag": "2.5.0"}}),
        [
            "envs/bandung.yaml:11: services.ordr: unknown service 'ordr'; did you mean 'order'? services in "
            "fleet.yaml: catalog, gateway, inventory, order, payment, report",
        ],
    ),
    (
        "city-file-name-not-a-dns-label",
        write(
            "Medan_City.yaml",
            "network: {pod_cidr: 10.90.0.0/16, service_cidr: 10.190.0.0/16, edge_address: 192.0.2.90, "
            "eastwest_address: 10.250.0.10}\n",
        ),
        [
            "envs/Medan_City.yaml: city file name 'Medan_City' must be a DNS label: lowercase letters, "
            "digits and '-', starting with a letter, at most 32 characters, e.g. `jakarta` (and not fleet); "
            "rename the file",
        ],
    ),
    (
        "cron-descriptor",
        fleet_edit(lambda d: d["database"].update(backup={"schedule": "@daily"})),
        [
            "envs/fleet.yaml:25: database.backup.schedule: '@daily' must be a five-field cron expression "
            "(minute hour day-of-month month day-of-week), e.g. `30 2 * * *`; `@daily` and other "
            "descriptors are not accepted",
        ],
    ),
    (
        "duration-in-days",
        fleet_set("rollout", "gate_window", value={"duration": "1d"}),
        [
            "envs/fleet.yaml:8: rollout.gate_window.duration: '1d' must be a duration of hours, minutes and "
            "seconds, e.g. `1h`, `90m` or `1h30m`",
        ],
    ),
    (
        "hostname-without-dot",
        fleet_set("hosts", "api", value="localhost"),
        [
            "envs/fleet.yaml:9: hosts.api: 'localhost' must be a lowercase DNS name with a dot, e.g. "
            "`api.nusantaramart.co.id`",
        ],
    ),
    (
        "health-path-relative",
        fleet_edit(lambda d: d["services"][1].update(health_path="check")),
        [
            "envs/fleet.yaml:56: services[1].health_path: 'check' must be an absolute URL path of letters, "
            "digits and `/_.-`, e.g. `/api/orders`",
        ],
    ),
    (
        "image-registry-not-a-reference",
        fleet_set("image_registry", value="https://ghcr.io/nusantaramart"),
        [
            f"envs/fleet.yaml:{_DUMPED_LINES + 1}: image_registry: 'https://ghcr.io/nusantaramart' must be an image "
            "repository without tag, e.g. `ghcr.io/nusantaramart/patroni`",
        ],
    ),
    (
        "bucket-with-underscore",
        city_set("bandung", "database", "object_storage", "bucket", value="fleet_backups"),
        [
            "envs/bandung.yaml:9: database.object_storage.bucket: 'fleet_backups' must be an S3 bucket "
            "name: 3-63 lowercase letters, digits, '.' and '-', e.g. `fleet-backups`",
        ],
    ),
    (
        "traffic-shares-above-100",
        fleet_edit(lambda d: d["services"][4].update(traffic_pct=60)),
        [
            "envs/fleet.yaml:29: services: the services behind 'gateway' take 115 % of the traffic (order "
            "15, payment 10, inventory 25, catalog 60, report 5); a request reaches one of them, so their "
            "traffic_pct must add up to at most 100",
        ],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_precisely(envs: Path, mutate: Mutation, expected: list[str]) -> None:
    mutate(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert [str(p) for p in caught.value.problems] == expected


def test_canary_weight_above_half_is_rejected(envs: Path) -> None:
    city_set("bandung", "services", value={"order": {"canary": {"tag": "2.5.0", "weight": 60}}})(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert [str(p) for p in caught.value.problems] == [
        "envs/bandung.yaml:14: services.order.canary.weight: Input should be less than or equal to 50 (got 60)"
    ]


def _fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for name, content in read_tree(root).items():
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES[:6]], ids=[c[0] for c in CASES[:6]])
def test_cli_exits_non_zero_and_leaves_dist_untouched(
    envs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, expected: list[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["synth", "--envs", str(envs), "--out", str(out)]) == 0
    before = _fingerprint(out)
    mutate(envs)
    assert main(["synth", "--envs", str(envs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(f"error: {message}" in err for message in expected)
    assert "nothing was written" in err
    assert _fingerprint(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dist.lock", "dist", "envs"]  # no staging left


def test_every_problem_is_reported_at_once(envs: Path) -> None:
    fleet_set("services", 0, "tag", value="latest")(envs)
    city_edit("bandung", lambda d: d.update(netwrk=d.pop("network")))(envs)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    fields = {p.field for p in caught.value.problems}
    assert {"services[0].tag", "netwrk", "network"} <= fields
