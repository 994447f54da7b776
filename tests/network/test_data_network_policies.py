"""The data namespace's policies, evaluated on the rendered objects: who reaches PostgreSQL, Patroni's REST
API and etcd, and where the data pods may send anything.

Both failover modes are rendered fresh from envs/ (as `fleet synth` writes dist/). Pods take the labels of
their rendered templates and an address in their city's pod network; a pod in another city is seen by
the other cluster through that address only.
"""

from __future__ import annotations

import ipaddress
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.validate.reachability import Pod, allowed
from tests.support import city_docs, in_mode, pod_template, render_tree, set_mode

APPS, DATA = "shop", "data"
CIDRS = {"jakarta": "10.10.0.0/16", "bandung": "10.20.0.0/16", "surabaya": "10.30.0.0/16"}
API_SERVER = "10.0.0.1"  # inside the default `network_policy.api_server_cidrs`
OBJECT_STORAGE = "203.0.113.5"  # outside the fleet: where the city's S3 endpoint resolves
DNS = Pod("kube-system", {"k8s-app": "kube-dns"})
Tree = tuple[Path, dict[str, list[dict[str, Any]]]]


def _tree(out: Path) -> Tree:
    return out, {
        city: [doc for doc in city_docs(out, city).values() if doc["kind"] == "NetworkPolicy"] for city in CIDRS
    }


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return _tree(render_tree(tmp_path_factory.mktemp("quorum"), *in_mode("quorum")))


@pytest.fixture(scope="module")
def standby(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return _tree(render_tree(tmp_path_factory.mktemp("standby"), partial(set_mode, mode="standby-clusters")))


# The workload of each name in a city, its namespace, and which host of the city's pod network it gets.
WORKLOADS: dict[str, tuple[str, str, int]] = {
    "member": ("StatefulSet", "postgres-{city}", 10),
    "reporting": ("StatefulSet", "postgres-reporting-{city}", 11),
    "etcd": ("StatefulSet", "etcd", 12),
    "promote": ("Job", "postgres-promote-{city}", 13),
    "recap": ("CronJob", "postgres-recap", 14),
    "backup": ("CronJob", "postgres-backup", 15),
    "roles": ("Job", "postgres-roles", 16),
    "order": ("Deployment", "order", 20),
    "catalog": ("Deployment", "catalog", 21),
    "report": ("Deployment", "report", 22),
    "gateway": ("Deployment", "gateway", 23),
}


def pod(tree: Tree, city: str, name: str) -> Pod:
    if name == "stranger":  # something else deployed into the data namespace
        return Pod(DATA, {"app": "debug"}, str(ipaddress.IPv4Network(CIDRS[city])[99]))
    kind, template, host = WORKLOADS[name]
    doc = city_docs(tree[0], city)[(kind, template.format(city=city))]
    namespace = doc["metadata"]["namespace"]
    return Pod(namespace, pod_template(doc)["metadata"]["labels"], str(ipaddress.IPv4Network(CIDRS[city])[host]))


def outside(ip: str) -> Pod:
    return Pod(None, ip=ip)


def across(tree: Tree, src_city: str, src: str, dst_city: str, dst: str, port: int) -> bool:
    """`src` in one city to `dst` in another: each cluster knows the other's pod by its address only, so the
    source's city judges the sending and the destination's city the receiving."""
    source, target = pod(tree, src_city, src), pod(tree, dst_city, dst)
    policies = tree[1]
    sends = allowed(policies[src_city], source, outside(str(target.ip)), port)
    receives = allowed(policies[dst_city], outside(str(source.ip)), target, port)
    return sends and receives


IN_CITY = [
    # Apps reach PostgreSQL on the pods they read from (and write to), never the REST API.
    ("order", "member", 5432, True),
    ("order", "member", 8008, False),
    ("catalog", "member", 8008, False),
    ("order", "reporting", 5432, False),
    ("report", "reporting", 5432, True),
    ("report", "reporting", 8008, False),
    ("report", "member", 5432, True),  # its fallback when the reporting members are down
    ("gateway", "member", 5432, False),
    # Members reach each other on both ports; the promotion Job the REST API and etcd.
    ("member", "member", 5432, True),
    ("member", "member", 8008, True),
    ("reporting", "member", 8008, True),
    ("member", "reporting", 8008, True),
    ("promote", "member", 8008, True),
    ("promote", "member", 5432, False),
    ("promote", "etcd", 2379, True),
    ("member", "etcd", 2379, True),
    ("member", "etcd", 2380, False),
    # The recap needs PostgreSQL on the members only; the backup execs through the API, no database port.
    ("recap", "member", 5432, True),
    ("recap", "member", 8008, False),
    ("recap", "reporting", 5432, False),
    # The roles Job sets roles and grants on the leader, through PostgreSQL only.
    ("roles", "member", 5432, True),
    ("roles", "member", 8008, False),
    ("roles", "reporting", 5432, False),
    ("roles", "etcd", 2379, False),
    ("backup", "member", 8008, False),
    ("backup", "reporting", 5432, False),
    ("order", "etcd", 2379, False),
    ("stranger", "member", 5432, False),
    ("stranger", "member", 8008, False),
    ("stranger", "etcd", 2379, False),
]


@pytest.mark.parametrize(("src", "dst", "port", "expected"), IN_CITY, ids=[f"{s}->{d}:{p}" for s, d, p, _ in IN_CITY])
def test_who_reaches_the_database_in_a_city(quorum: Tree, src: str, dst: str, port: int, expected: bool) -> None:
    source, target = pod(quorum, "jakarta", src), pod(quorum, "jakarta", dst)
    assert allowed(quorum[1]["jakarta"], source, target, port) is expected


ACROSS = [
    ("order", "member", 5432, True),  # writes to the primary city's leader
    ("order", "member", 8008, False),
    ("catalog", "member", 5432, True),  # reads fall back to another city when the city has no member left
    ("catalog", "member", 8008, False),
    ("gateway", "member", 5432, False),
    ("member", "member", 5432, True),
    ("member", "member", 8008, True),
    ("member", "etcd", 2379, True),
    ("etcd", "etcd", 2380, True),
    ("member", "etcd", 2380, False),
    ("order", "etcd", 2379, False),
]


@pytest.mark.parametrize(("src", "dst", "port", "expected"), ACROSS, ids=[f"{s}->{d}:{p}" for s, d, p, _ in ACROSS])
def test_who_reaches_another_citys_database(quorum: Tree, src: str, dst: str, port: int, expected: bool) -> None:
    assert across(quorum, "bandung", src, "jakarta", dst, port) is expected


def test_the_promotion_job_reaches_the_rest_api_of_every_city(quorum: Tree, standby: Tree) -> None:
    for tree in (quorum, standby):
        for city in ("bandung", "surabaya"):
            assert across(tree, "jakarta", "promote", city, "member", 8008)
            assert not across(tree, "jakarta", "promote", city, "member", 5432)


# Where a data pod may send anything outside the data namespace's own pods.
OUT = [
    ("member", OBJECT_STORAGE, 443, True),  # WAL-G to the city's object storage
    ("member", OBJECT_STORAGE, 80, False),
    ("member", "10.20.0.50", 443, False),  # the object-storage rule never reaches into the fleet
    ("member", "10.120.0.10", 443, False),
    ("reporting", OBJECT_STORAGE, 443, True),  # base backups and the archive copy
    ("etcd", OBJECT_STORAGE, 443, False),
    ("recap", OBJECT_STORAGE, 443, False),
    ("promote", OBJECT_STORAGE, 443, False),
    ("stranger", OBJECT_STORAGE, 443, False),
    ("member", API_SERVER, 6443, True),  # the role callback labels the member's own pod
    ("backup", API_SERVER, 6443, True),  # kubectl exec
    ("etcd", API_SERVER, 6443, False),
    ("recap", API_SERVER, 6443, False),
    ("promote", API_SERVER, 6443, False),  # quorum: patronictl needs etcd and the REST API only
    ("stranger", API_SERVER, 6443, False),
]


@pytest.mark.parametrize(("src", "ip", "port", "expected"), OUT, ids=[f"{s}->{ip}:{p}" for s, ip, p, _ in OUT])
def test_what_leaves_the_data_namespace(quorum: Tree, src: str, ip: str, port: int, expected: bool) -> None:
    assert allowed(quorum[1]["jakarta"], pod(quorum, "jakarta", src), outside(ip), port) is expected


def test_on_the_kubernetes_dcs_patroni_and_the_promotion_reach_the_api_server(standby: Tree) -> None:
    policies = standby[1]["jakarta"]
    for name in ("member", "reporting", "promote", "backup"):
        assert allowed(policies, pod(standby, "jakarta", name), outside(API_SERVER), 6443), name
    assert not allowed(policies, pod(standby, "jakarta", "recap"), outside(API_SERVER), 6443)
    assert not allowed(policies, pod(standby, "jakarta", "stranger"), outside(API_SERVER), 6443)


def test_every_data_pod_resolves_names_at_the_cluster_dns_only(quorum: Tree) -> None:
    impostor = Pod("kube-system", {"k8s-app": "something-else"})
    policies = quorum[1]["jakarta"]
    for name in ("member", "reporting", "etcd", "promote", "recap", "backup"):
        source = pod(quorum, "jakarta", name)
        assert allowed(policies, source, DNS, 53, "UDP") and allowed(policies, source, DNS, 53, "TCP"), name
        assert not allowed(policies, source, impostor, 53, "UDP"), name
        assert not allowed(policies, source, outside("8.8.8.8"), 53, "UDP"), name


def test_the_data_namespace_denies_both_ways_by_default(quorum: Tree) -> None:
    deny = next(p for p in quorum[1]["jakarta"] if p["metadata"]["name"] == "data-default-deny")
    assert deny["spec"] == {"egress": [], "ingress": [], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert deny["metadata"]["namespace"] == DATA
