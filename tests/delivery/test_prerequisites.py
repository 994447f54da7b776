"""The cluster prerequisites: the add-on charts the root installs before any data layer, and the checks a
human runs before Argo CD starts (`fleet prerequisites`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nusantara_fleet import naming
from nusantara_fleet.cli import main
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.delivery import DATA_WAVE
from tests.support import ENVS, collect_variant, fleet_docs

CITIES = ("bandung", "surabaya", "jakarta")
PREREQUISITES = {
    "external-secrets": ("https://charts.external-secrets.io", "1.3.2", "external-secrets"),
    "topolvm": ("https://topolvm.github.io/topolvm", "15.1.0", "topolvm-system"),
    "external-dns": ("https://kubernetes-sigs.github.io/external-dns", "1.21.1", "external-dns"),
}


def test_every_city_gets_the_three_pinned_prerequisite_charts_before_its_data_layer(tmp_path: Path) -> None:
    docs = fleet_docs(collect_variant(tmp_path))
    for city in CITIES:
        data = docs[("Application", f"nusantaramart-{city}-data")]
        data_wave = int(data["metadata"]["annotations"][naming.SYNC_WAVE])
        assert data_wave == DATA_WAVE
        for name, (repo, version, namespace) in PREREQUISITES.items():
            app = docs[("Application", f"{name}-{city}")]
            source = app["spec"]["source"]
            assert (source["repoURL"], source["chart"], source["targetRevision"]) == (repo, name, version)
            assert app["spec"]["destination"] == {"name": city, "namespace": namespace}
            assert int(app["metadata"]["annotations"][naming.SYNC_WAVE]) < data_wave, name
            assert "automated" in app["spec"]["syncPolicy"], name  # the gated city's too: nothing waits on a human


def test_topolvm_serves_the_data_layer_storage_class_on_the_database_pool_only() -> None:
    fleet = load_fleet(ENVS)
    for city in fleet.cities:
        assert fleet.data_plans[city.name].storage_class.provisioner == "topolvm.io"
        (topolvm,) = [a for a in fleet.prerequisites.addons if a.name == "topolvm" and a.city == city.name]
        toleration = {"effect": "NoSchedule", "key": naming.POOL_LABEL, "operator": "Equal", "value": "database"}
        placement = {"nodeSelector": {naming.POOL_LABEL: "database"}, "tolerations": [toleration]}
        assert topolvm.values == {
            "lvmd": {
                "deviceClasses": [{"default": True, "name": "ssd", "spare-gb": 10, "volume-group": "nvme"}],
                **placement,
            },
            "node": placement,
            "storageClasses": [],
        }
        assert topolvm.namespace_labels == {"topolvm.io/webhook": "ignore"}


def test_only_the_topolvm_application_labels_the_namespace_it_creates(tmp_path: Path) -> None:
    docs = fleet_docs(collect_variant(tmp_path))
    labelled = {
        name: doc["spec"]["syncPolicy"]["managedNamespaceMetadata"]
        for (kind, name), doc in docs.items()
        if kind == "Application" and "managedNamespaceMetadata" in doc["spec"].get("syncPolicy", {})
    }
    assert labelled == {f"topolvm-{city}": {"labels": {"topolvm.io/webhook": "ignore"}} for city in CITIES}


def test_external_dns_publishes_every_name_the_data_services_announce_and_only_its_city_s() -> None:
    fleet = load_fleet(ENVS)
    zone = fleet.spec.database.cross_city_domain
    for city in fleet.cities:
        (dns,) = [a for a in fleet.prerequisites.addons if a.name == "external-dns" and a.city == city.name]
        assert dns.values["domainFilters"] == [zone]
        assert dns.values["txtOwnerId"] == city.name  # `policy: sync` deletes only this city's records
        assert (dns.values["provider"], dns.values["sources"], dns.values["policy"]) == (
            {"name": "rfc2136"},
            ["service"],
            "sync",
        )
        published = fleet.prerequisites.published[city.name]
        assert published == tuple(
            f"{name}.{city.name}.{zone}" for name in ("etcd", "postgres-any", "postgres-reporting", "postgres-write")
        )
        assert all(name.endswith(f".{zone}") for name in published)


def test_the_checks_cover_every_unrenderable_prerequisite_with_a_command() -> None:
    checks = load_fleet(ENVS).prerequisites.checks
    assert [check.what.split(" ")[0:2] for check in checks] == [
        ["Argo", "CD"],
        ["Vault", "holding"],
        ["External", "Secrets"],
        ["pod", "and"],
        ["CoreDNS", "in"],
        ["the", "TSIG"],
        ["node", "pools"],
        ["LVM", "volume"],
        ["every", "node"],
        ["the", "Gateway"],
    ]
    assert all(check.commands and check.why for check in checks)
    pools = next(check for check in checks if check.what.startswith("node pools"))
    assert "kubectl --context jakarta get nodes -L node.nusantaramart.co.id/pool -o wide" in pools.commands


def test_fleet_prerequisites_prints_the_checks_the_add_ons_and_the_manual_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["prerequisites", "--envs", str(ENVS)]) == 0
    out = capsys.readouterr().out
    fleet = load_fleet(ENVS)
    for check in fleet.prerequisites.checks:
        assert check.what in out
        assert all(f"   $ {command}" in out for command in check.commands)
    for addon in fleet.prerequisites.addons:
        assert f"- {addon.name} {addon.version} ({addon.repo_url}) in {addon.city}" in out
    steps = out.split("Manual steps (app-of-apps), and no others:\n", 1)[1]
    assert [line for line in steps.splitlines() if line.startswith("   $ ")] == [
        f"   $ {step.command}" for step in fleet.delivery.manual_steps()
    ]
