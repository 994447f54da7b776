"""Each database service logs in with its own role and password, verifies the server, and reads in a stated
fallback order: local replicas (or reporting members), any local member, then the other cities."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.workloads import App
from nusantara_fleet.validate import cross_object
from nusantara_fleet.validate.documents import load_documents
from tests.support import DIST, ENVS, city_docs, edit_yaml, render_variant

FLEET = load_fleet(ENVS)
DATABASE_SERVICES = ("order", "payment", "inventory", "catalog", "report")
ZONE = "db.nusantaramart.internal"
LOCAL = "data.svc.cluster.local"
# The other cities in `database.failover.preference` order (jakarta, bandung, surabaya), never reordered by `primary`.
# By name: no failover reorders them, so a failover commit restarts no reader.
OTHERS = {"jakarta": ("bandung", "surabaya"), "bandung": ("jakarta", "surabaya"), "surabaya": ("bandung", "jakarta")}
CIDRS = {"bandung": "10.20.0.0/16", "surabaya": "10.30.0.0/16", "jakarta": "10.10.0.0/16"}


@pytest.mark.parametrize("city", sorted(OTHERS))
@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_reads_fall_back_local_then_the_other_cities_by_name(city: str, service: str) -> None:
    config = city_docs(DIST, city)[("ConfigMap", f"{service}-config")]["data"]
    first = "postgres-reporting" if service == "report" else "postgres-read"
    assert config["DB_READ_HOSTS"].split(",") == [
        f"{first}.{LOCAL}:5432",
        f"postgres-any.{LOCAL}:5432",
        *(f"postgres-any.{other}.{ZONE}:5432" for other in OTHERS[city]),
    ]
    assert config["DB_READ_TARGET_SESSION_ATTRS"] == "any", "the first that answers, in the listed order"
    assert (config["DB_NAME"], config["DB_USER"], config["DB_SCHEMA"]) == ("shop", f"app_{service}", service)
    assert config["DB_SSLROOTCERT"] == "/etc/tls/postgres-ca/ca.crt"
    assert "DB_PASSWORD" not in config, "the password comes from the Secret only"


def test_a_primary_switch_reorders_no_read_fallback_and_no_policy(tmp_path: Path) -> None:
    """Reads never depend on `primary`: a commit moving it (and the gated city to the end of the rollout)
    changes no service's read hosts and no service's network policy."""

    def move(envs: Path) -> None:
        def change(fleet: dict[str, Any]) -> None:
            fleet["primary"] = "bandung"
            fleet["rollout"]["order"] = ["surabaya", "jakarta", "bandung"]

        edit_yaml(envs / "fleet.yaml", change)

    moved, out = render_variant(tmp_path, move)
    for city in OTHERS:
        for service in DATABASE_SERVICES:
            before, after = _app(FLEET, city, service).config, _app(moved, city, service).config
            assert after["DB_READ_HOSTS"] == before["DB_READ_HOSTS"], (city, service)
            policy = ("NetworkPolicy", service)
            assert city_docs(out, city)[policy]["spec"] == city_docs(DIST, city)[policy]["spec"], (city, service)


def _app(fleet: Fleet, city: str, service: str) -> App:
    return next(app for app in fleet.workloads.city(city).apps if app.name == service)


def test_every_city_publishes_its_ready_members_for_the_others_fallback() -> None:
    for city in OTHERS:
        service = city_docs(DIST, city)[("Service", "postgres-any")]
        assert service["spec"]["clusterIP"] == "None", "pod IPs, routable between cities"
        assert service["spec"]["selector"] == {
            "app.kubernetes.io/instance": f"postgres-{city}",
            "app.kubernetes.io/name": "postgres",
        }
        assert "publishNotReadyAddresses" not in service["spec"]
        assert service["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"] == (
            f"postgres-any.{city}.{ZONE}"
        )
        server = city_docs(DIST, city)[("ExternalSecret", "postgres-server-tls")]
        names = server["metadata"]["annotations"]["fleet.nusantaramart.co.id/tls-dns-names"].split(",")
        assert {f"postgres-any.{other}.{ZONE}" for other in OTHERS} | {f"postgres-any.{LOCAL}"} <= set(names)


@pytest.mark.parametrize("service", DATABASE_SERVICES)
def test_the_deployment_reads_its_password_from_its_secret_and_mounts_the_ca(service: str) -> None:
    docs = city_docs(DIST, "bandung")
    spec = docs[("Deployment", service)]["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "password", "name": f"{service}-database"}}}
    ]
    assert {"mountPath": "/etc/tls/postgres-ca", "name": "postgres-ca", "readOnly": True} in container["volumeMounts"]
    assert {
        "name": "postgres-ca",
        "secret": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "secretName": "postgres-ca"},
    } in spec["volumes"]
    secret = docs[("ExternalSecret", f"{service}-database")]
    assert secret["metadata"]["namespace"] == "shop"
    assert secret["spec"]["data"] == [
        {
            "remoteRef": {"key": f"nusantaramart/database/services/{service}", "property": "password"},
            "secretKey": "password",
        }
    ]
    assert secret["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "fleet-vault"}


def test_the_apps_get_the_servers_ca_and_nothing_else_of_its_certificate() -> None:
    ca = city_docs(DIST, "surabaya")[("ExternalSecret", "postgres-ca")]
    assert ca["metadata"]["namespace"] == "shop"
    assert ca["spec"]["data"] == [
        {
            "remoteRef": {"key": "nusantaramart/database/tls/postgres-server", "property": "ca.crt"},
            "secretKey": "ca.crt",
        }
    ]


def test_the_gateway_gets_no_database_credentials() -> None:
    docs = city_docs(DIST, "bandung")
    assert "env" not in docs[("Deployment", "gateway")]["spec"]["template"]["spec"]["containers"][0]
    assert ("ExternalSecret", "gateway-database") not in docs


def test_database_services_may_reach_every_other_citys_members() -> None:
    for city in OTHERS:
        for service in DATABASE_SERVICES:
            policy = city_docs(DIST, city)[("NetworkPolicy", service)]
            blocks = [
                peer["ipBlock"]["cidr"]
                for rule in policy["spec"]["egress"]
                for peer in rule["to"]
                if "ipBlock" in peer and rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
            ]
            assert sorted(blocks) == sorted(CIDRS[other] for other in OTHERS[city]), (city, service)


def test_the_gate_sees_the_password_secret_and_misses_it_when_its_external_secret_is_gone(tmp_path: Path) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(DIST, tree)
    assert not [f for f in cross_object.check(load_documents(tree)) if f.severity == "failure"]
    (tree / "bandung" / "ExternalSecret.order-database.k8s.yaml").unlink()
    (tree / "bandung" / "ExternalSecret.postgres-ca.k8s.yaml").unlink()
    failures = sorted(f.message for f in cross_object.check(load_documents(tree)) if f.severity == "failure")
    assert any("Deployment/order" in m and "order-database" in m for m in failures), failures
    assert any("Deployment/catalog" in m and "postgres-ca" in m for m in failures), failures
