"""The data layer's hardening as rendered: Patroni's REST API behind TLS, a password and a client certificate;
one certificate per purpose, mounted only where used; names verified wherever clients connect by name;
least-privilege accounts; images pinned by digest; egress to the object storage and the API server."""

from __future__ import annotations

import posixpath
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import Rendered, collect_variant, edit_yaml, in_mode, pod_template, set_mode

Docs = dict[tuple[str, str], dict[str, Any]]
CITY = "jakarta"  # the primary city: it renders every data-layer object, the recap and promotion included
ZONE = "db.nusantaramart.internal"
# By name: a failover changes no certificate.
WRITE_HOSTS = [f"postgres-write.{city}.{ZONE}" for city in ("bandung", "jakarta", "surabaya")]
DIGEST = "sha256:" + "cd" * 32


def _docs(rendered: Rendered, city: str = CITY) -> Docs:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in rendered[city]}


@pytest.fixture(scope="module")
def quorum(tmp_path_factory: pytest.TempPathFactory) -> Docs:
    return _docs(collect_variant(tmp_path_factory.mktemp("quorum"), *in_mode("quorum")))


@pytest.fixture(scope="module")
def standby(tmp_path_factory: pytest.TempPathFactory) -> Docs:
    return _docs(collect_variant(tmp_path_factory.mktemp("standby"), partial(set_mode, mode="standby-clusters")))


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = pod_template(doc)["spec"]
    return pod


def patroni_yml(docs: Docs, key: str = "postgres.yml") -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(docs[("ConfigMap", "patroni")]["data"][key])
    return config


def env(doc: dict[str, Any]) -> dict[str, Any]:
    return {var["name"]: var.get("value", var.get("valueFrom")) for var in pod_spec(doc)["containers"][0]["env"]}


def certificates_mounted(doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each TLS Secret the pod mounts, with the keys it takes ("*" for all of them)."""
    spec = pod_spec(doc)
    mounted = {m["name"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
    return {
        volume["secret"]["secretName"]: tuple(item["key"] for item in volume["secret"].get("items", [])) or ("*",)
        for volume in spec["volumes"]
        if "secret" in volume and volume["secret"]["secretName"].endswith("-tls") and volume["name"] in mounted
    }


WORKLOADS = {
    "members": ("StatefulSet", "postgres-jakarta"),
    "reporting": ("StatefulSet", "postgres-reporting-jakarta"),
    "etcd": ("StatefulSet", "etcd"),
    "recap": ("CronJob", "postgres-recap"),
    "backup": ("CronJob", "postgres-backup"),
    "promote": ("Job", "postgres-promote-jakarta"),
}
ALL = ("*",)
MOUNTS = {
    "quorum": {
        "members": {"postgres-server-tls": ALL, "patroni-api-tls": ALL, "etcd-client-tls": ALL},
        "reporting": {"postgres-server-tls": ALL, "patroni-api-tls": ALL, "etcd-client-tls": ALL},
        "etcd": {"etcd-peer-tls": ALL, "etcd-server-tls": ALL},
        "recap": {"postgres-server-tls": ("ca.crt",)},
        "backup": {},
        "promote": {"patroni-api-tls": ALL, "etcd-client-tls": ALL},
    },
    "standby-clusters": {
        "members": {"postgres-server-tls": ALL, "patroni-api-tls": ALL},
        "reporting": {"postgres-server-tls": ALL, "patroni-api-tls": ALL},
        "recap": {"postgres-server-tls": ("ca.crt",)},
        "backup": {},
        "promote": {"patroni-api-tls": ("ca.crt",)},
    },
}


def test_the_rest_api_speaks_tls_only_and_its_unsafe_calls_need_a_password_and_a_client_certificate(
    quorum: Docs,
) -> None:
    for key in ("postgres.yml", "postgres-reporting.yml"):
        assert patroni_yml(quorum, key)["restapi"] == {
            "allowlist": ["10.20.0.0/16", "10.10.0.0/16", "10.30.0.0/16"],  # bandung, jakarta, surabaya
            "allowlist_include_members": True,
            "cafile": "/etc/tls/patroni-api-tls/ca.crt",
            "certfile": "/etc/tls/patroni-api-tls/tls.crt",
            "keyfile": "/etc/tls/patroni-api-tls/tls.key",
            "listen": "0.0.0.0:8008",
            "verify_client": "optional",
        }
    members = quorum[("StatefulSet", "postgres-jakarta")]
    variables = env(members)
    assert variables["PATRONI_RESTAPI_USERNAME"] == {
        "secretKeyRef": {"key": "restapi-username", "name": "postgres-credentials"}
    }
    assert variables["PATRONI_RESTAPI_PASSWORD"] == {
        "secretKeyRef": {"key": "restapi-password", "name": "postgres-credentials"}
    }
    credentials = quorum[("ExternalSecret", "postgres-credentials")]["spec"]["data"]
    assert {"restapi-username", "restapi-password"} <= {item["secretKey"] for item in credentials}
    container = pod_spec(members)["containers"][0]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["scheme"] == "HTTPS"


@pytest.mark.parametrize("mode", ["quorum", "standby-clusters"])
def test_each_pod_mounts_only_the_certificates_it_uses(quorum: Docs, standby: Docs, mode: str) -> None:
    docs = quorum if mode == "quorum" else standby
    expected = MOUNTS[mode]
    assert {name: certificates_mounted(docs[WORKLOADS[name]]) for name in expected} == expected
    secrets = {name for kind, name in docs if kind == "ExternalSecret" and name.endswith("-tls")}
    assert secrets == {secret for mounts in expected.values() for secret in mounts}


def _tls_files(docs: Docs) -> dict[str, list[str]]:
    """Every certificate file a data-layer workload is configured to read, by workload."""
    config = patroni_yml(docs)
    postgresql = config["postgresql"]
    patroni = [
        *(config["restapi"][key] for key in ("cafile", "certfile", "keyfile")),
        *(config.get("etcd3", {}).get(key) for key in ("cacert", "cert", "key")),
        *(postgresql["parameters"][key] for key in ("ssl_ca_file", "ssl_cert_file", "ssl_key_file")),
        *(postgresql["authentication"][user]["sslrootcert"] for user in ("replication", "superuser")),
    ]
    files = {"members": [path for path in patroni if path], "reporting": [path for path in patroni if path]}
    if ("StatefulSet", "etcd") in docs:
        command = pod_spec(docs[WORKLOADS["etcd"]])["containers"][0]["command"]
        files["etcd"] = [arg.split("=", 1)[1] for arg in command if arg.split("=", 1)[0].endswith("-file")]
    files["recap"] = [env(docs[WORKLOADS["recap"]])["PGSSLROOTCERT"]]
    promote = env(docs[WORKLOADS["promote"]])
    files["promote"] = [
        value
        for key, value in promote.items()
        if key.startswith("PATRONI_CTL_") and key[12:] in {"CACERT", "CERTFILE", "KEYFILE"}
    ]
    return files


@pytest.mark.parametrize("mode", ["quorum", "standby-clusters"])
def test_every_certificate_file_a_workload_reads_is_mounted_there(quorum: Docs, standby: Docs, mode: str) -> None:
    docs = quorum if mode == "quorum" else standby
    for workload, paths in _tls_files(docs).items():
        spec = pod_spec(docs[WORKLOADS[workload]])
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert paths, workload
        for path in paths:
            directory, name = posixpath.split(path)
            volume = volumes[mounts[directory]]["secret"]
            keys = [item["key"] for item in volume.get("items", [])]
            assert not keys or name in keys, (workload, path)


def _names(docs: Docs, secret: str) -> list[str]:
    annotations = docs[("ExternalSecret", secret)]["metadata"]["annotations"]
    return str(annotations["fleet.nusantaramart.co.id/tls-dns-names"]).split(",")


def test_clients_that_connect_by_name_verify_it_and_members_only_the_ca(quorum: Docs) -> None:
    postgres_names = _names(quorum, "postgres-server-tls")
    assert postgres_names == [
        *WRITE_HOSTS,
        *(f"postgres-any.{city}.{ZONE}" for city in ("bandung", "surabaya", "jakarta")),  # reads' fallback
        "postgres-read.data.svc.cluster.local",
        "postgres-any.data.svc.cluster.local",
        "postgres-reporting.data.svc.cluster.local",
    ]
    recap = env(quorum[WORKLOADS["recap"]])
    assert (recap["PGSSLMODE"], recap["PGSSLROOTCERT"]) == ("verify-full", "/etc/tls/postgres-server-tls/ca.crt")
    assert recap["PGHOST"] in postgres_names
    for service in ("order", "report"):
        config = quorum[("ConfigMap", f"{service}-config")]["data"]
        assert config["DB_SSLMODE"] == "verify-full"
        hosts = [
            config["DB_READ_HOST"],
            *(host.rsplit(":", 1)[0] for host in config["DB_READ_HOSTS"].split(",")),
            *(host.rsplit(":", 1)[0] for host in config.get("DB_WRITE_HOSTS", "").split(",") if host),
        ]
        assert set(hosts) <= set(postgres_names), service
    # Members replicate from each other's pod IP, which no certificate names.
    auth = patroni_yml(quorum)["postgresql"]["authentication"]
    assert {user: auth[user]["sslmode"] for user in auth} == {"replication": "verify-ca", "superuser": "verify-ca"}
    # The promotion Job checks the other cities by their write Service's name, on the REST API's certificate.
    promote = env(quorum[WORKLOADS["promote"]])
    others = [api.rsplit(":", 1)[0] for api in promote["OTHER_PRIMARIES"].split(",")]
    assert set(others) <= set(_names(quorum, "patroni-api-tls"))
    assert promote["PATRONI_CTL_CACERT"] == "/etc/tls/patroni-api-tls/ca.crt"
    etcd_names = [f"etcd.{city}.{ZONE}" for city in ("bandung", "jakarta", "surabaya")]  # by name, as etcd has no order
    assert [host.rsplit(":", 1)[0] for host in patroni_yml(quorum)["etcd3"]["hosts"]] == etcd_names
    assert _names(quorum, "etcd-server-tls") == _names(quorum, "etcd-peer-tls") == etcd_names
    usages = {
        name: doc["metadata"]["annotations"]["fleet.nusantaramart.co.id/tls-usages"]
        for (kind, name), doc in quorum.items()
        if kind == "ExternalSecret" and name.endswith("-tls")
    }
    assert usages == {
        "postgres-server-tls": "server",
        "patroni-api-tls": "server,client",
        "etcd-peer-tls": "server,client",
        "etcd-server-tls": "server",
        "etcd-client-tls": "client",
    }
    assert (
        "fleet.nusantaramart.co.id/tls-dns-names"
        not in quorum[("ExternalSecret", "etcd-client-tls")]["metadata"]["annotations"]
    )


def test_the_promotion_job_authenticates_to_the_rest_api_as_patronictl(quorum: Docs) -> None:
    promote = env(quorum[WORKLOADS["promote"]])
    assert promote["PATRONI_CTL_USERNAME"] == {
        "secretKeyRef": {"key": "restapi-username", "name": "postgres-credentials"}
    }
    assert promote["PATRONI_CTL_PASSWORD"] == {
        "secretKeyRef": {"key": "restapi-password", "name": "postgres-credentials"}
    }
    assert (promote["PATRONI_CTL_CERTFILE"], promote["PATRONI_CTL_KEYFILE"], promote["PATRONI_CTL_INSECURE"]) == (
        "/etc/tls/patroni-api-tls/tls.crt",
        "/etc/tls/patroni-api-tls/tls.key",
        "true",
    )
    # The keys are readable by the pod's group only.
    assert pod_spec(quorum[WORKLOADS["promote"]])["securityContext"]["fsGroup"] == 999


def _rules(docs: Docs, name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = docs[("Role", name)]["rules"]
    return rules


def test_patroni_may_patch_only_its_own_pods(quorum: Docs, standby: Docs) -> None:
    own = ["postgres-jakarta-0", "postgres-jakarta-1", "postgres-reporting-jakarta-0"]
    assert _rules(quorum, "postgres") == [
        {"apiGroups": [""], "resourceNames": own, "resources": ["pods"], "verbs": ["get", "patch"]}
    ]
    assert _rules(standby, "postgres") == [
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["create", "get", "list", "patch", "update", "watch"],
        },
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]},
        {
            "apiGroups": [""],
            "resourceNames": [*own, "postgres-restore-jakarta-0"],
            "resources": ["pods"],
            "verbs": ["get", "patch"],
        },
    ]


def test_the_promotion_job_has_its_own_account_only_where_patronictl_needs_the_kubernetes_api(
    quorum: Docs, standby: Docs
) -> None:
    # Quorum: patronictl talks to etcd and the REST API only, so the Job mounts no token at all.
    job = pod_spec(quorum[WORKLOADS["promote"]])
    assert job["automountServiceAccountToken"] is False and "serviceAccountName" not in job
    assert ("ServiceAccount", "postgres-promote") not in quorum and ("Role", "postgres-promote") not in quorum
    # Kubernetes DCS: it loads the cluster and patches the dynamic configuration, nothing else.
    assert pod_spec(standby[WORKLOADS["promote"]])["serviceAccountName"] == "postgres-promote"
    assert _rules(standby, "postgres-promote") == [
        {"apiGroups": [""], "resources": ["configmaps", "pods"], "verbs": ["list", "watch"]},
        {
            "apiGroups": [""],
            "resourceNames": ["postgres-jakarta-config"],
            "resources": ["configmaps"],
            "verbs": ["patch"],
        },
    ]
    binding = standby[("RoleBinding", "postgres-promote")]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "postgres-promote", "namespace": "data"}]


def test_etcd_pods_mount_no_service_account_token(quorum: Docs) -> None:
    etcd = pod_spec(quorum[WORKLOADS["etcd"]])
    assert etcd["automountServiceAccountToken"] is False and "serviceAccountName" not in etcd


def test_a_digest_pins_each_data_layer_image_and_the_tag_still_labels_it(tmp_path: Path) -> None:
    def pin(fleet: dict[str, Any]) -> None:
        fleet["database"].update(digest=DIGEST, etcd_digest=DIGEST, backup={"digest": DIGEST})

    docs = _docs(collect_variant(tmp_path, *in_mode("quorum"), lambda envs: edit_yaml(envs / "fleet.yaml", pin)))
    images = {name: pod_spec(docs[WORKLOADS[name]])["containers"][0]["image"] for name in WORKLOADS}
    assert images == {
        "members": f"ghcr.io/nusantaramart/patroni@{DIGEST}",
        "reporting": f"ghcr.io/nusantaramart/patroni@{DIGEST}",
        "etcd": f"quay.io/coreos/etcd@{DIGEST}",
        "recap": f"ghcr.io/nusantaramart/patroni@{DIGEST}",
        "backup": f"registry.k8s.io/kubectl@{DIGEST}",
        "promote": f"ghcr.io/nusantaramart/patroni@{DIGEST}",
    }
    labels = {name: docs[WORKLOADS[name]]["metadata"]["labels"]["app.kubernetes.io/version"] for name in WORKLOADS}
    assert (
        labels["etcd"] == "v3.5.21" and labels["backup"] == "v1.28.15" and labels["members"] == "4.0.7-pg15-walg3.0.7"
    )


def _egress(docs: Docs, name: str = "postgres-egress") -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = docs[("NetworkPolicy", name)]["spec"]["egress"]
    return rules


def test_object_storage_is_reached_on_its_endpoint_port_and_listed_networks(quorum: Docs, tmp_path: Path) -> None:
    fleet = [*(f"10.{n}.0.0/16" for n in (20, 10, 30)), *(f"10.1{n}.0.0/16" for n in (20, 10, 30))]  # by city name
    assert {
        "ports": [{"port": 443, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": fleet}}],
    } in (_egress(quorum))

    def storage(city: dict[str, Any]) -> None:
        city["database"]["object_storage"].update(
            endpoint="https://s3.jakarta.nusantaramart.internal:9000", cidrs=["192.0.2.0/28", "198.51.100.0/28"]
        )

    docs = _docs(collect_variant(tmp_path, lambda envs: edit_yaml(envs / "jakarta.yaml", storage)))
    assert {
        "ports": [{"port": 9000, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "192.0.2.0/28"}}, {"ipBlock": {"cidr": "198.51.100.0/28"}}],
    } in _egress(docs)
    assert not any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for rule in _egress(docs) for peer in rule["to"])


def test_the_api_server_is_reached_at_the_cluster_fact(quorum: Docs, tmp_path: Path) -> None:
    assert {"ports": [{"port": 6443, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]} in _egress(
        quorum
    )

    def fact(fleet: dict[str, Any]) -> None:
        fleet["network_policy"] = {"api_server_cidrs": ["172.16.0.0/28"], "api_server_port": 8443}

    docs = _docs(collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", fact)))
    expected = {"ports": [{"port": 8443, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "172.16.0.0/28"}}]}
    for policy in ("postgres-egress", "postgres-backup-egress"):
        assert expected in _egress(docs, policy), policy


@pytest.mark.parametrize(
    ("endpoint", "line"),
    [("https://s3.bandung.nusantaramart.internal:99999", 8), ("https://:9000", 8), ("https://[s3.bandung", 8)],
    ids=["port-out-of-range", "no-host", "unparsable"],
)
def test_an_object_storage_endpoint_must_name_a_host_and_a_valid_port(envs: Path, endpoint: str, line: int) -> None:
    edit_yaml(envs / "bandung.yaml", lambda city: city["database"]["object_storage"].update(endpoint=endpoint))
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert [str(p) for p in caught.value.problems] == [
        f"envs/bandung.yaml:{line}: database.object_storage.endpoint: {endpoint!r} is not an https:// URL of a host "
        "and an optional port, e.g. https://s3.jakarta.nusantaramart.internal or "
        "https://s3.jakarta.nusantaramart.internal:9000"
    ]


def test_network_facts_must_be_network_addresses(envs: Path) -> None:
    edit_yaml(envs / "bandung.yaml", lambda city: city["database"]["object_storage"].update(cidrs=["192.0.2.7/28"]))
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet.update(network_policy={"api_server_cidrs": ["10.0.0.1/8"]}))
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    assert sorted(str(p) for p in caught.value.problems) == [
        "envs/bandung.yaml:10: database.object_storage.cidrs: '192.0.2.7/28' has host bits set; write the network "
        "address '192.0.2.0/28'",
        "envs/fleet.yaml:211: network_policy.api_server_cidrs: '10.0.0.1/8' has host bits set; write the network "
        "address '10.0.0.0/8'",
    ]
