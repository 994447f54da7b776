"""`fleet diff`: object-by-object comparison of two rendered trees, risks first, deterministic."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.cli import main
from nusantara_fleet.diff import compare_trees, diff_sides
from nusantara_fleet.diff import report as diff_report
from tests.support import ENVS, edit_yaml, render_tree, set_primary, set_rollout

Doc = dict[str, Any]


def write(tree: Path, chart: str, doc: Doc) -> None:
    folder = tree / chart
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc['kind']}.{doc['metadata']['name']}.k8s.yaml").write_text(yaml.safe_dump(doc, sort_keys=True))


def obj(kind: str, name: str, spec: Doc, api: str = "apps/v1", namespace: str = "shop") -> Doc:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def pod(*images: str) -> Doc:
    return {"template": {"spec": {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}}}


def statefulset(size: str, storage_class: str = "ssd-retain") -> Doc:
    claim = {
        "metadata": {"name": "pgdata"},
        "spec": {"resources": {"requests": {"storage": size}}, "storageClassName": storage_class},
    }
    return obj(
        "StatefulSet",
        "postgres",
        {"replicas": 2, **pod("postgres:16.4"), "volumeClaimTemplates": [claim]},
        namespace="data",
    )


def netpol(ingress: list[Doc], types: list[str] | None = None) -> Doc:
    spec: Doc = {"podSelector": {}, "policyTypes": types or ["Ingress"], "ingress": ingress}
    return obj("NetworkPolicy", "order", spec, api="networking.k8s.io/v1")


ORDER_PEER = [{"from": [{"podSelector": {"matchLabels": {"app": "gateway"}}}], "ports": [{"port": 8080}]}]

# (id, base objects, head objects, expected risk text): each pair changes one thing.
PAIRS: list[tuple[str, list[Doc], list[Doc], str]] = [
    ("statefulset-deleted", [statefulset("100Gi")], [], "StatefulSet deleted"),
    (
        "pvc-deleted",
        [obj("PersistentVolumeClaim", "backup", {"resources": {"requests": {"storage": "1Ti"}}}, "v1")],
        [],
        "PersistentVolumeClaim deleted",
    ),
    (
        "storage-changed",
        [statefulset("100Gi")],
        [statefulset("50Gi")],
        "storage of volume claim pgdata changed: 100Gi -> 50Gi",
    ),
    (
        "storage-class-changed",
        [statefulset("100Gi")],
        [statefulset("100Gi", "standard")],
        "storage class of volume claim pgdata changed: ssd-retain -> standard",
    ),
    (
        "replicas-reduced",
        [obj("Deployment", "order", {"replicas": 3, **pod("order:2.4.0")})],
        [obj("Deployment", "order", {"replicas": 1, **pod("order:2.4.0")})],
        "replicas reduced: 3 -> 1",
    ),
    (
        "hpa-min-reduced",
        [obj("HorizontalPodAutoscaler", "order", {"minReplicas": 2}, "autoscaling/v2")],
        [obj("HorizontalPodAutoscaler", "order", {"minReplicas": 1}, "autoscaling/v2")],
        "minReplicas reduced: 2 -> 1",
    ),
    (
        "pdb-reduced",
        [obj("PodDisruptionBudget", "order", {"minAvailable": 2}, "policy/v1")],
        [obj("PodDisruptionBudget", "order", {"minAvailable": 1}, "policy/v1")],
        "PodDisruptionBudget reduced: minAvailable 2 -> 1",
    ),
    (
        "pdb-deleted",
        [obj("PodDisruptionBudget", "order", {"minAvailable": 1}, "policy/v1")],
        [],
        "PodDisruptionBudget deleted",
    ),
    (
        "netpol-peer-dropped",
        [netpol(ORDER_PEER)],
        [netpol([{"ports": [{"port": 8080}]}])],
        "ingress[0].from admits more peers",
    ),
    (
        "netpol-rule-added",
        [netpol(ORDER_PEER)],
        [netpol([*ORDER_PEER, {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])],
        "1 more ingress rule(s)",
    ),
    (
        "netpol-cidr-widened",
        [netpol([{"from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}])],
        [netpol([{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])],
        "ingress[0].from admits more peers",
    ),
    (
        "netpol-ports-dropped",
        [netpol(ORDER_PEER)],
        [netpol([{"from": ORDER_PEER[0]["from"]}])],
        "ingress[0].ports admits more ports",
    ),
    ("netpol-deleted", [netpol(ORDER_PEER)], [], "NetworkPolicy deleted"),
    (
        "image-backwards",
        [obj("Deployment", "order", {"replicas": 2, **pod("ghcr.io/n/order:2.10.0")})],
        [obj("Deployment", "order", {"replicas": 2, **pod("ghcr.io/n/order:2.9.1")})],
        "image of container c0 moved backwards: 2.10.0 -> 2.9.1",
    ),
]


@pytest.mark.parametrize(("base", "head", "risk"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_each_risk_is_flagged(base: list[Doc], head: list[Doc], risk: str, tmp_path: Path) -> None:
    for doc in base:
        write(tmp_path / "base", "bandung", doc)
    for doc in head:
        write(tmp_path / "head", "bandung", doc)
    (tmp_path / "head").mkdir(exist_ok=True)
    result = compare_trees(tmp_path / "base", tmp_path / "head")
    assert [r.message for r in result.risks if risk in r.message], [str(r) for r in result.risks]
    text = diff_report.text(result)
    assert text.index("RISKS") < text.index("changes (+added")


def test_safe_changes_raise_no_risk(tmp_path: Path) -> None:
    """Growing replicas and storage, moving an image forwards and narrowing a policy are not risks."""
    write(tmp_path / "base", "bandung", obj("Deployment", "order", {"replicas": 2, **pod("order:2.4.0")}))
    write(tmp_path / "base", "bandung", statefulset("100Gi"))
    write(tmp_path / "base", "bandung", netpol([{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]))
    write(tmp_path / "head", "bandung", obj("Deployment", "order", {"replicas": 3, **pod("order:2.5.0")}))
    write(tmp_path / "head", "bandung", netpol([{"from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}]))
    head_sts = statefulset("100Gi")
    head_sts["spec"]["replicas"] = 3
    write(tmp_path / "head", "bandung", head_sts)
    result = compare_trees(tmp_path / "base", tmp_path / "head")
    assert result.risks == ()
    assert result.charts[0].count("changed") == 3


def test_primary_change_and_moved_gate_are_flagged(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")
    head = render_tree(tmp_path / "b", partial(set_primary, city="bandung"))
    result = compare_trees(base, head)
    messages = [str(risk) for risk in result.risks]
    assert any("primary city changed: jakarta -> bandung" in m for m in messages), messages
    assert any("gate on jakarta" in m and "now syncs automatically" in m and "now on bandung" in m for m in messages)


def test_removing_the_gate_is_flagged(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")
    head = tmp_path / "head"
    shutil.copytree(base, head)

    def automate(app: Doc) -> None:
        app["spec"]["syncPolicy"]["automated"] = {"prune": True, "selfHeal": True}

    edit_yaml(head / "fleet" / "Application.nusantaramart-jakarta.k8s.yaml", automate)
    (risk,) = compare_trees(base, head).risks
    assert (risk.subject, risk.message) == ("gate on jakarta", "manual gate removed: it now syncs automatically")


def test_changed_objects_report_paths_counts_and_a_unified_diff(tmp_path: Path) -> None:
    base = tmp_path / "base"
    write(base, "bandung", obj("Deployment", "order", {"replicas": 2, **pod("order:2.4.0")}))
    write(base, "bandung", obj("Service", "old", {"ports": [{"port": 80}]}, "v1"))
    head = tmp_path / "head"
    write(head, "bandung", obj("Deployment", "order", {"replicas": 2, **pod("order:2.5.0")}))
    write(head, "bandung", obj("Service", "new", {"ports": [{"port": 80}]}, "v1"))
    write(head, "surabaya", obj("Service", "new", {"ports": [{"port": 80}]}, "v1"))
    result = compare_trees(base, head)
    bandung, surabaya = result.charts
    assert (bandung.chart, bandung.count("added"), bandung.count("removed"), bandung.count("changed")) == (
        "bandung",
        1,
        1,
        1,
    )
    assert (surabaya.chart, surabaya.count("added")) == ("surabaya", 1)
    changed = next(c for c in bandung.changes if c.status == "changed")
    assert changed.paths == ("spec.template.spec.containers[c0].image",)
    assert "-      - image: order:2.4.0\n" in changed.diff
    assert "+      - image: order:2.5.0\n" in changed.diff
    assert [str(c.key) for c in bandung.changes] == ["Deployment shop/order", "Service shop/new", "Service shop/old"]


def test_markdown_report_leads_with_releases_then_risks_then_mermaid_then_sections(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")
    head = render_tree(tmp_path / "b", partial(set_primary, city="bandung"))
    markdown = diff_report.markdown(compare_trees(base, head))
    releases = markdown.index("#### What this change releases")
    assert releases < markdown.index("> [!CAUTION]") < markdown.index("```mermaid") < markdown.index("<details>")
    assert "surabaya -->|healthy| jakarta" in markdown  # the gated city (now bandung) rolls out last
    assert "surabaya -->|manual sync| jakarta" not in markdown  # the gate moved to bandung with the primary
    assert "bandung -. replication .-> jakarta" in markdown
    assert markdown.count("<details>") == markdown.count("</details>") == 4


def test_report_is_deterministic(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")
    head = render_tree(tmp_path / "b", partial(set_primary, city="surabaya"))
    first = diff_report.markdown(compare_trees(base, head))
    shutil.copytree(base, tmp_path / "a2")
    shutil.copytree(head, tmp_path / "b2")
    assert diff_report.markdown(compare_trees(tmp_path / "a2", tmp_path / "b2")) == first


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_git_refs_render_each_side_from_its_envs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Default sides: the merge base with main vs the working tree."""
    repo = tmp_path / "repo"
    shutil.copytree(ENVS, repo / "envs")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "envs")
    git(repo, "commit", "-q", "-m", "fleet")
    git(repo, "checkout", "-q", "-b", "feature")
    assert (
        main(
            [
                "release",
                "order",
                "2.5.0",
                "--city",
                "surabaya",
                "--envs",
                str(repo / "envs"),
                "--out",
                str(repo / "dist"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    result = diff_sides(None, None, repo=repo)
    assert [chart.chart for chart in result.charts] == ["surabaya"]
    assert result.risks == ()
    changed = {str(c.key): c.paths for c in result.charts[0].changes}
    assert any("2.5.0" in c.diff for c in result.charts[0].changes), changed
    cwd = Path.cwd()
    try:
        os.chdir(repo)
        assert main(["diff", "main", "WORKTREE", "--exit-code"]) == 1
    finally:
        os.chdir(cwd)
    assert "surabaya" in capsys.readouterr().out


def test_collected_sides_are_exactly_what_synth_writes(tmp_path: Path) -> None:
    """`fleet diff` renders sides in process; the objects must equal `fleet synth`'s files, one for one."""
    from nusantara_fleet.diff.objects import read_tree
    from nusantara_fleet.diff.sides import render_envs

    written = read_tree(render_tree(tmp_path))
    collected = render_envs(tmp_path / "envs")
    assert sorted(collected) == sorted(written)
    assert all(collected[key].body() == written[key].body() for key in written)


def test_removing_the_gate_from_the_application_set_is_flagged(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a", partial(set_rollout, strategy="application-set"))
    head = tmp_path / "head"
    shutil.copytree(base, head)

    def ungate(appset: Doc) -> None:
        for element in appset["spec"]["generators"][0]["list"]["elements"]:
            element["gated"] = "false"

    edit_yaml(head / "fleet" / "ApplicationSet.nusantaramart.k8s.yaml", ungate)
    (risk,) = compare_trees(base, head).risks
    assert (risk.subject, risk.message) == ("gate on jakarta", "manual gate removed: it now syncs automatically")


def test_a_folder_of_a_ref_is_a_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`REF:dist` compares what a commit deploys, generator changes included."""
    repo = tmp_path / "repo"
    shutil.copytree(render_tree(tmp_path / "a"), repo / "dist")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "dist")
    git(repo, "commit", "-q", "-m", "dist")
    edit_yaml(
        repo / "dist" / "fleet" / "Application.nusantaramart-bandung.k8s.yaml",
        lambda app: app["spec"].update(revisionHistoryLimit=3),
    )
    result = diff_sides("main:dist", str(repo / "dist"), repo=repo)
    (chart,) = result.charts
    assert [(str(c.key), c.paths) for c in chart.changes] == [
        ("Application argocd/nusantaramart-bandung", ("spec.revisionHistoryLimit",))
    ]
    assert result.notes == ()


def _bump_everywhere(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["services"][1].update(tag="2.5.0"))


@pytest.mark.parametrize(("strategy", "flagged"), [("app-of-apps", True), ("application-set", False)])
def test_one_commit_changing_several_ungated_cities_is_flagged(strategy: str, flagged: bool, tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a", partial(set_rollout, strategy=strategy))
    head = render_tree(tmp_path / "b", partial(set_rollout, strategy=strategy), _bump_everywhere)
    risks = [risk for risk in compare_trees(base, head).risks if risk.subject == "rollout order"]
    if flagged:
        assert [risk.message.split(" change in one commit")[0] for risk in risks] == ["bandung, surabaya"]
    else:
        assert risks == []


def test_a_release_to_one_city_does_not_raise_the_rollout_flag(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")

    def release_in_bandung(envs: Path) -> None:
        edit_yaml(envs / "bandung.yaml", lambda city: city.update(services={"order": {"tag": "2.5.0"}}))

    head = render_tree(tmp_path / "b", release_in_bandung)
    assert [risk for risk in compare_trees(base, head).risks if risk.subject == "rollout order"] == []
