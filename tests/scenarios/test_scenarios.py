"""`fleet scenarios` on the rendered fleet: the default fleet and `primary: bandung` match the design (with the
stated k8gb deviations), and breaking each ingredient in a copy of the tree is caught with its exact divergence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.cli import main
from nusantara_fleet.scenarios.facts import read_facts
from nusantara_fleet.scenarios.run import DEVIATIONS, Check, UserView, judge_tree
from nusantara_fleet.scenarios.simulate import FAILOVER, ROUND_ROBIN, Locality, Outage, World, locality_failover
from nusantara_fleet.validate.documents import load_documents
from tests.scenarios.conftest import scenario_tree
from tests.support import DIST, render_variant, set_mode

B = "b a branch city's service fully down: catalog in bandung: user in bandung"


def _edit(path: Path, change: Any) -> None:
    body = yaml.safe_load(path.read_text())
    change(body)
    path.write_text(yaml.safe_dump(body, sort_keys=False))


def _check(view: UserView, name: str) -> Check:
    check = view.check(name)
    assert check is not None, name
    return check


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scenarios", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_istio_priorities_follow_the_failover_list() -> None:
    cities = [Locality("bandung"), Locality("jakarta"), Locality("surabaya")]
    listed = [("bandung", "jakarta"), ("surabaya", "jakarta"), ("jakarta", "bandung")]
    assert locality_failover(Locality("bandung"), cities, listed) == [0, 1, 2]
    assert locality_failover(Locality("surabaya"), cities, listed) == [2, 1, 0]
    assert locality_failover(Locality("jakarta"), cities, listed) == [1, 0, 2]
    # without an entry for the caller every other region shares one priority
    assert locality_failover(Locality("bandung"), cities, []) == [0, 1, 1]
    # the first entry whose `from` matches decides; later ones are never read
    assert locality_failover(Locality("bandung"), cities, [("bandung", "surabaya"), ("bandung", "jakarta")]) == [
        0,
        2,
        1,
    ]


def test_the_default_fleet_matches_the_design(default_tree: Path) -> None:
    report = judge_tree(default_tree)
    assert (report.primary, report.cities, report.preference) == (
        "jakarta",
        ("bandung", "jakarta", "surabaya"),
        ("bandung", "surabaya"),
    )
    assert report.divergences() == []
    assert report.deviations() == [DEVIATIONS[ROUND_ROBIN], DEVIATIONS[FAILOVER]]
    [jakarta_down] = [r for r in report.results if r.scenario.key == "c"]
    views = {view.user: view for view in jakarta_down.views}
    api = "DNS api.nusantaramart.co.id"
    assert (_check(views["jakarta"], api).observed, _check(views["jakarta"], api).expected) == (
        "bandung+surabaya",
        "bandung",
    )
    assert _check(views["jakarta"], api).verdict == "deviation"
    assert _check(views["surabaya"], "writes").observed == "bandung"
    assert [(t.what, t.seconds) for t in views["bandung"].times] == [
        ("DNS api.nusantaramart.co.id", 40),
        ("DNS ecommerce.knitto.co.id", 40),
        ("writes back", 40),
    ]


def test_primary_bandung_matches_the_design(bandung_tree: Path) -> None:
    report = judge_tree(bandung_tree)
    assert (report.primary, report.preference) == ("bandung", ("jakarta", "surabaya"))
    assert report.divergences() == []
    [bandung_down] = [r for r in report.results if r.scenario.key == "c"]
    assert {view.user: _check(view, "writes").observed for view in bandung_down.views} == dict.fromkeys(
        ("bandung", "jakarta", "surabaya"), "jakarta"
    )
    [surabaya_catalog] = [
        r for r in report.results if r.scenario.key == "b" and r.scenario.subject == "catalog in surabaya"
    ]
    [view] = [v for v in surabaya_catalog.views if v.user == "surabaya"]
    assert _check(view, "calls of catalog").observed == "bandung, then jakarta"


def test_two_cities_down_is_read_only(default_tree: Path) -> None:
    report = judge_tree(default_tree)
    pairs = [r for r in report.results if r.scenario.key == "f"]
    assert [r.scenario.subject for r in pairs] == [
        "bandung and jakarta",
        "bandung and surabaya",
        "jakarta and surabaya",
    ]
    for result in pairs:
        assert {_check(view, "writes").observed for view in result.views} == {"nobody"}
        assert result.notes == ("etcd has 1 of 3 members: no quorum, the leader demotes (read-only)",)


def _catalog_rule(tree: Path) -> Path:
    return tree / "bandung" / "DestinationRule.catalog.k8s.yaml"


def test_a_rule_without_outlier_detection_is_caught(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    _edit(_catalog_rule(tree), lambda body: body["spec"]["trafficPolicy"].pop("outlierDetection"))
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    assert (
        f"DIVERGENCE {B}: calls of catalog: expected jakarta, then surabaya, the fleet gives jakarta+surabaya "
        "(DestinationRule catalog has no outlierDetection: Istio assigns no locality priorities)"
    ) in out.splitlines()
    assert out.splitlines()[-1] == "5 divergence(s) from the design"


def test_a_reordered_failover_list_is_caught(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    def swap(body: dict[str, Any]) -> None:
        [entry] = [
            e
            for e in body["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"]["failover"]
            if e["from"] == "bandung"
        ]
        entry["to"] = "surabaya"

    _edit(_catalog_rule(tree), swap)
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    assert (
        f"DIVERGENCE {B}: calls of catalog: expected jakarta, then surabaya, the fleet gives surabaya, then jakarta"
        in out.splitlines()
    )


def test_a_dropped_gslb_is_caught(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    (tree / "surabaya" / "Gslb.api.k8s.yaml").unlink()
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("DIVERGENCE")] == [
        f"DIVERGENCE f two cities down: bandung and jakarta: user in {user}: DNS api.nusantaramart.co.id: expected "
        "surabaya, the fleet gives nothing (no Gslb api in surabaya)"
        for user in ("bandung", "jakarta", "surabaya")
    ]


def test_a_gateway_without_its_address_is_caught(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    _edit(tree / "bandung" / "Gateway.edge.k8s.yaml", lambda body: body["spec"].pop("addresses"))
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    assert (
        "DIVERGENCE c the primary city fully down: jakarta: user in bandung: DNS ecommerce.knitto.co.id: expected "
        "bandung, the fleet gives surabaya (no address on Gateway edge in bandung)"
    ) in out.splitlines()


def test_a_missing_failover_time_is_caught(tree: Path) -> None:
    _edit(_catalog_rule(tree), lambda body: body["metadata"].pop("annotations"))
    assert (
        f"{B}: time: expected stated, the fleet gives not stated "
        "(DestinationRule annotation fleet.nusantaramart.co.id/failover-seconds)" in judge_tree(tree).divergences()
    )


def test_reads_without_a_fallback_stop_with_their_only_replica(tmp_path: Path) -> None:
    report = judge_tree(scenario_tree(DIST, tmp_path / "dist", read_fallback=False))
    assert (
        "d a replica database down: postgres-bandung-0 in bandung: user in bandung: database reads: expected "
        "catalog: jakarta; inventory: jakarta; order: jakarta; payment: jakarta; report: bandung, the fleet gives "
        "catalog: nobody; inventory: nobody; order: nobody; payment: nobody; report: bandung (no host of catalog, "
        "inventory, order, payment reaches a live member)"
    ) in report.divergences()
    assert len(report.divergences()) == 5


def test_formats(capsys: pytest.CaptureFixture[str], default_tree: Path) -> None:
    code, out, _ = _run(capsys, str(default_tree), "--output", "json")
    document = json.loads(out)
    assert (code, document["passed"], document["divergences"]) == (0, True, [])
    assert [s["key"] for s in document["scenarios"]].count("c") == 1
    code, out, _ = _run(capsys, str(default_tree), "--format", "markdown")
    assert code == 0
    assert out.startswith("### `fleet scenarios`\n\n**every scenario matches the design, 2 stated deviation(s)**")
    assert "| c: jakarta | jakarta | bandung+surabaya~ | bandung+surabaya~ |" in out
    code, out, _ = _run(capsys, str(default_tree))
    assert out.splitlines()[-1] == "every scenario matches the design, 2 stated deviation(s)"


def test_an_unusable_tree_exits_2_with_a_json_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, str(tmp_path / "nowhere"), "-o", "json")
    assert code == 2
    message = "no such directory; run `fleet synth` first"
    assert json.loads(out) == {
        "errors": [{"file": str(tmp_path / "nowhere"), "line": None, "field": "", "message": message}]
    }
    (tmp_path / "city").mkdir()
    (tmp_path / "city" / "ConfigMap.x.k8s.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    code, _, err = _run(capsys, str(tmp_path))
    assert code == 2
    assert (
        err.splitlines()[0] == f"error: {tmp_path}: has no ConfigMap fleet-topology in fleet/: is it a rendered fleet?"
    )


def test_standby_clusters_fail_over_by_hand(tmp_path: Path) -> None:
    """A cluster per city: the primary city's own members take over by themselves, another city only once
    `primary` changes, and losing two branches leaves the primary writing."""
    _, out = render_variant(tmp_path, lambda envs: set_mode(envs, "standby-clusters"))
    report = judge_tree(scenario_tree(out, tmp_path / "judged"))
    assert report.divergences() == []
    by_key = {(r.scenario.key, r.scenario.subject): r for r in report.results}
    primary_down = by_key[("c", "jakarta")]
    assert {_check(v, "writes").observed for v in primary_down.views} == {"nobody"}
    assert primary_down.notes == ("standby clusters: another city is promoted by changing `primary` (manual)",)
    assert {_check(v, "writes").observed for v in by_key[("e", "postgres-jakarta-0 in jakarta")].views} == {"jakarta"}
    assert {_check(v, "writes").observed for v in by_key[("f", "bandung and surabaya")].views} == {"jakarta"}


def test_a_single_pod_service_is_caught(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    _edit(tree / "bandung" / "Deployment.catalog.k8s.yaml", lambda body: body["spec"].update(replicas=1))
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    # its users lose their city, and the others lose it as their fallback
    assert [line for line in out.splitlines() if line.startswith("DIVERGENCE")] == [
        f"DIVERGENCE a a service's main pod down in a city: catalog in bandung: user in {user}: calls of catalog: "
        f"expected {expected}, the fleet gives {given}"
        for user, expected, given in (
            ("bandung", "bandung, then jakarta, then surabaya", "jakarta, then surabaya"),
            ("jakarta", "jakarta, then bandung, then surabaya", "jakarta, then surabaya"),
            ("surabaya", "surabaya, then jakarta, then bandung", "surabaya, then jakarta"),
        )
    ]


def test_traffic_that_disagrees_with_the_database_preference_is_caught(tree: Path) -> None:
    """The design's traffic order follows the database's failover preference: swapping the branches'
    failover_priority without the DestinationRules is a divergence."""

    def priority(city: str, value: int) -> None:
        def change(body: dict[str, Any]) -> None:
            config = yaml.safe_load(body["data"]["postgres.yml"])
            config["tags"]["failover_priority"] = value
            body["data"]["postgres.yml"] = yaml.safe_dump(config)

        _edit(tree / city / "ConfigMap.patroni.k8s.yaml", change)

    priority("bandung", 1)
    priority("surabaya", 2)
    report = judge_tree(tree)
    assert report.preference == ("surabaya", "bandung")
    [jakarta_down] = [r for r in report.results if r.scenario.key == "c"]
    assert {(_check(v, "writes").expected, _check(v, "writes").observed) for v in jakarta_down.views} == {
        ("surabaya", "surabaya")
    }
    assert (
        "a a service's main pod down in a city: catalog in jakarta: user in jakarta: calls of catalog: expected "
        "jakarta, then surabaya, then bandung, the fleet gives jakarta, then bandung, then surabaya"
    ) in report.divergences()


def test_k8gb_failover_answers_every_other_city_when_the_primary_is_unhealthy(default_tree: Path) -> None:
    facts = read_facts(load_documents(default_tree), str(default_tree))
    addresses = {name: city.edge_address for name, city in facts.city.items()}
    healthy = World(facts, Outage())
    assert {city: healthy.answer(city, "api") for city in facts.cities} == {
        city: {addresses["jakarta"]} for city in facts.cities
    }
    edge_lost = World(facts, Outage(all_pods=frozenset({("jakarta", "gateway")})))
    assert {city: edge_lost.answer(city, "api") for city in facts.cities} == {
        city: {addresses["bandung"], addresses["surabaya"]} for city in facts.cities
    }
    assert edge_lost.answer("bandung", "web") == {addresses["bandung"], addresses["surabaya"]}


def test_misshapen_objects_are_facts_not_tracebacks(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    """Bodies of the wrong shape (the schema layer's to report) leave their city without what they hold."""
    _edit(tree / "bandung" / "HTTPRoute.web.k8s.yaml", lambda body: body["spec"].update(hostnames="web"))
    _edit(tree / "bandung" / "Deployment.order.k8s.yaml", lambda body: body["spec"].update(replicas="two"))
    _edit(tree / "surabaya" / "DestinationRule.order.k8s.yaml", lambda body: body["spec"].update(trafficPolicy=[]))
    code, out, _ = _run(capsys, str(tree))
    assert code == 1
    assert (
        "DIVERGENCE c the primary city fully down: jakarta: user in bandung: DNS ecommerce.knitto.co.id: expected "
        "bandung, the fleet gives surabaya (the HTTPRoute of Gslb web lists no hostnames in bandung)"
    ) in out.splitlines()
    assert (
        "DIVERGENCE f two cities down: jakarta and surabaya: user in jakarta: writes: expected nobody, the fleet "
        "gives nobody"
    ) not in out.splitlines()
