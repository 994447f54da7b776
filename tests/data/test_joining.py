"""Adding a city to a running fleet: an odd etcd member count, and a join instead of a new cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.delivery.test_transitions import add_cities
from tests.support import city_docs, edit_yaml, render_tree, set_mode, variant_envs


def _problems(envs: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    return [str(problem) for problem in caught.value.problems]


def _cluster(out: Path, city: str) -> dict[str, Any]:
    data: dict[str, Any] = city_docs(out, city)[("ConfigMap", "etcd-cluster")]["data"]
    return data


def test_a_fourth_city_is_refused_at_the_joining_city(tmp_path: Path) -> None:
    envs = variant_envs(tmp_path, lambda envs: add_cities(envs, names=("medan",)))
    assert _problems(envs) == [
        "envs/medan.yaml:10: database.joining: 4 cities make 4 etcd members, an even count: they survive no more "
        "lost cities than 3 would, and a split between two halves leaves neither a majority; add cities two at a "
        "time (README, Add a city)"
    ]


def test_an_even_count_without_a_joining_city_is_named_at_the_failover_mode(tmp_path: Path) -> None:
    envs = variant_envs(tmp_path, lambda envs: add_cities(envs, joining=False, names=("medan",)))
    (problem,) = _problems(envs)
    assert problem.startswith("envs/fleet.yaml:20: database.failover.mode: 4 cities make 4 etcd members")


def test_an_even_count_is_fine_without_etcd(tmp_path: Path) -> None:
    fleet = load_fleet(
        variant_envs(
            tmp_path,
            lambda envs: set_mode(envs, "standby-clusters"),
            lambda envs: add_cities(envs, joining=False, names=("medan",)),
        )
    )
    assert len(fleet.cities) == 4


def test_joining_needs_an_etcd_to_join_and_is_never_the_primary(tmp_path: Path) -> None:
    def join(city: str) -> Any:
        return lambda envs: edit_yaml(envs / f"{city}.yaml", lambda spec: spec["database"].update(joining=True))

    assert _problems(variant_envs(tmp_path / "primary", join("jakarta"))) == [
        "envs/jakarta.yaml:13: database.joining: jakarta is marked joining but the primary city bootstraps the "
        "database and cannot join it"
    ]
    standby = variant_envs(tmp_path / "standby", lambda envs: set_mode(envs, "standby-clusters"), join("bandung"))
    assert _problems(standby) == [
        "envs/bandung.yaml:10: database.joining: bandung is marked joining but there is no etcd to join in "
        "`standby-clusters` mode"
    ]


def test_two_new_cities_join_the_running_members_which_keep_their_pods(tmp_path: Path) -> None:
    out = render_tree(tmp_path, add_cities)
    members = [
        f"{city}=https://etcd.{city}.db.nusantaramart.internal:2380"
        for city in ("bandung", "jakarta", "makassar", "medan", "surabaya")
    ]
    for city in ("bandung", "jakarta", "makassar", "medan", "surabaya"):
        state = "existing" if city in ("makassar", "medan") else "new"
        assert _cluster(out, city) == {"ETCD_INITIAL_CLUSTER": ",".join(members), "ETCD_INITIAL_CLUSTER_STATE": state}
        etcd = city_docs(out, city)[("StatefulSet", "etcd")]["spec"]["template"]["spec"]["containers"][0]
        # The membership is read from the environment at first start only, never from a flag of the pod.
        assert not [arg for arg in etcd["command"] if arg.startswith("--initial-cluster=")]
        assert [var["name"] for var in etcd["env"]] == ["ETCD_INITIAL_CLUSTER", "ETCD_INITIAL_CLUSTER_STATE"]
        assert all(var["valueFrom"]["configMapKeyRef"]["name"] == "etcd-cluster" for var in etcd["env"])
