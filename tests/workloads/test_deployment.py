"""Every Deployment is highly available, sized, probed and locked down, in every edge mode and with canaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.model import Fleet
from tests.support import all_docs, city_docs


@pytest.fixture(params=["ingress_canary", "gateway_canary"])
def rendered(request: pytest.FixtureRequest) -> tuple[Fleet, Path]:
    result: tuple[Fleet, Path] = request.getfixturevalue(request.param)
    return result


APPS_NAMESPACE = "shop"


def _workloads(out: Path) -> list[tuple[str, dict[str, Any]]]:
    """Deployments and StatefulSets of the apps namespace (the data layer is tested on its own)."""
    return [
        (path.parent.name, doc)
        for path, doc in all_docs(out)
        if doc["kind"] in {"Deployment", "StatefulSet"} and doc["metadata"]["namespace"] == APPS_NAMESPACE
    ]


def test_there_are_stable_and_canary_deployments(rendered: tuple[Fleet, Path]) -> None:
    names = {doc["metadata"]["name"] for _, doc in _workloads(rendered[1])}
    assert {"gateway", "gateway-canary", "order", "order-canary", "report-cache"} <= names


def test_every_workload_has_a_service_selecting_exactly_its_pods(rendered: tuple[Fleet, Path]) -> None:
    _, out = rendered
    for city, workload in _workloads(out):
        docs = city_docs(out, city)
        name = workload["metadata"]["name"]
        service = docs[("Service", name)]
        assert service["spec"]["selector"] == workload["spec"]["selector"]["matchLabels"], (city, name)
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()


def test_every_multi_replica_workload_has_a_pdb_of_min_available_one(rendered: tuple[Fleet, Path]) -> None:
    _, out = rendered
    checked = 0
    for city, workload in _workloads(out):
        docs = city_docs(out, city)
        name = workload["metadata"]["name"]
        pdb = docs.get(("PodDisruptionBudget", name))
        if workload["spec"]["replicas"] > 1:
            assert pdb is not None, f"{city}/{name} has {workload['spec']['replicas']} replicas and no PDB"
            assert pdb["spec"]["minAvailable"] == 1
            assert pdb["spec"]["selector"] == workload["spec"]["selector"]
            checked += 1
        else:
            assert pdb is None, f"{city}/{name} has one replica: a PDB would block every drain"
    assert checked >= 3 * 7


def test_every_container_is_probed_sized_and_hardened(rendered: tuple[Fleet, Path]) -> None:
    fleet, out = rendered
    health = {svc.name: svc.spec.health_path for svc in fleet.services}
    for city, workload in _workloads(out):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            where = f"{city}/{workload['metadata']['name']}/{container['name']}"
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, f"{where} has no {probe}"
            if container["name"] in health:
                assert container["readinessProbe"]["httpGet"]["path"] == health[container["name"]]
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert not container["image"].endswith(":latest"), where


def test_replicas_spread_evenly_over_the_general_nodes(rendered: tuple[Fleet, Path]) -> None:
    """Services: at most one replica more on any node than on the emptiest, so main and backup never share
    one while the HPA may still place more pods than nodes; zones are a preference."""
    _, out = rendered
    checked = 0
    for _, workload in _workloads(out):
        if workload["kind"] != "Deployment":
            continue
        pod = workload["spec"]["template"]["spec"]
        selector = {"matchLabels": workload["spec"]["selector"]["matchLabels"]}
        assert "affinity" not in pod
        assert pod["topologySpreadConstraints"] == [
            {
                "labelSelector": selector,
                "maxSkew": 1,
                "nodeTaintsPolicy": "Honor",
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
            },
            {
                "labelSelector": selector,
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
            },
        ]
        assert pod["nodeSelector"] == {"node.nusantaramart.co.id/pool": "general"}
        checked += 1
    assert checked >= 3 * 6


def test_the_cache_keeps_one_replica_per_node(rendered: tuple[Fleet, Path]) -> None:
    _, out = rendered
    for city in ("bandung", "surabaya", "jakarta"):
        cache = city_docs(out, city)[("StatefulSet", "report-cache")]
        pod = cache["spec"]["template"]["spec"]
        selector = cache["spec"]["selector"]["matchLabels"]
        (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term == {"labelSelector": {"matchLabels": selector}, "topologyKey": "kubernetes.io/hostname"}
        assert [rule["topologyKey"] for rule in pod["topologySpreadConstraints"]] == ["topology.kubernetes.io/zone"]


def test_each_service_runs_as_its_own_account_without_a_token(rendered: tuple[Fleet, Path]) -> None:
    _, out = rendered
    for city, workload in _workloads(out):
        account = workload["spec"]["template"]["spec"]["serviceAccountName"]
        sa = city_docs(out, city)[("ServiceAccount", account)]
        assert sa["automountServiceAccountToken"] is False
        assert account == workload["metadata"]["name"].removesuffix("-canary")


def test_canary_runs_the_candidate_image_beside_the_stable_one(ingress_canary: tuple[Fleet, Path]) -> None:
    _, out = ingress_canary
    docs = city_docs(out, "bandung")
    stable, canary = docs[("Deployment", "order")], docs[("Deployment", "order-canary")]
    image = canary["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/nusantaramart/order:2.5.0-rc.1"
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/nusantaramart/order:2.4.0"
    assert canary["metadata"]["labels"]["app.kubernetes.io/version"] == "2.5.0-rc.1"
    assert stable["spec"]["selector"] != canary["spec"]["selector"], "the stable Service would reach canary pods"
    assert not any(name.endswith("-canary") for _, name in city_docs(out, "jakarta")), "canary leaked to Jakarta"


def test_a_digest_pins_the_image(envs: Path) -> None:
    from nusantara_fleet.model import load_fleet
    from tests.support import edit_yaml

    digest = "sha256:" + "ab" * 32

    def pin(fleet: dict[str, Any]) -> None:
        fleet["services"][1]["digest"] = digest

    edit_yaml(envs / "fleet.yaml", pin)
    fleet = load_fleet(envs)
    app = next(app for app in fleet.workloads.city(fleet.city("jakarta")).apps if app.name == "order")
    assert app.stable.image == f"ghcr.io/nusantaramart/order@{digest}"
