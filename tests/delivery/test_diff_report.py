"""`fleet diff` reports for pull requests: committed dist/ on both sides, releases first, label-only changes
collapsed, and a comment that fits GitHub whatever the size of the change."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.cli import main
from nusantara_fleet.diff import compare_trees, diff_sides
from nusantara_fleet.diff import report as diff_report
from nusantara_fleet.diff.compare import FleetDiff
from tests.support import edit_yaml, render_tree, set_primary

Doc = dict[str, Any]
RELEASES = "#### What this change releases"
LIMIT = diff_report.COMMENT_LIMIT
CITIES, SERVICES = 30, 4


def write(tree: Path, chart: str, doc: Doc) -> None:
    folder = tree / chart
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc['kind']}.{doc['metadata']['name']}.k8s.yaml").write_text(yaml.safe_dump(doc, sort_keys=True))


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        check=True,
        text=True,
    )
    return result.stdout.strip()


def workload(
    name: str, image: str, *, version: str, checksum: str = "a", track: str = "stable", kind: str = "Deployment"
) -> Doc:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/version": version}
    pod_labels = {**labels, "fleet.nusantaramart.co.id/service": name.removesuffix("-canary")}
    pod_labels["fleet.nusantaramart.co.id/track"] = track
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {"fleet.nusantaramart.co.id/config-sha256": checksum},
                },
                "spec": {"containers": [{"name": name.removesuffix("-canary"), "image": image}]},
            },
        },
    }


def service(name: str, *, version: str, role: str = "replica") -> Doc:
    labels = {"app.kubernetes.io/version": version, "fleet.nusantaramart.co.id/role": role}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": [{"port": 8080}]},
    }


def canary_ingress(service_name: str, weight: int) -> Doc:
    backend = {"service": {"name": f"{service_name}-canary", "port": {"name": "http"}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": f"{service_name}-canary",
            "namespace": "shop",
            "annotations": {
                "nginx.ingress.kubernetes.io/canary": "true",
                "nginx.ingress.kubernetes.io/canary-weight": str(weight),
            },
        },
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": backend}]}}]},
    }


def section(report: str, start: str, end: str) -> str:
    return report[report.index(start) : report.index(end)]


def size(report: str) -> int:
    return len(report.encode("utf-8"))


# The realistic pull request: a tag bump in every city, a canary in Bandung, the primary moved to Bandung.
def bump_order(envs: Path) -> None:
    edit_yaml(envs / "fleet.yaml", lambda fleet: fleet["services"][1].update(tag="2.5.0"))


def canary_in_bandung(envs: Path) -> None:
    canary = {"gateway": {"canary": {"tag": "1.9.0-rc.1", "weight": 10}}}
    edit_yaml(envs / "bandung.yaml", lambda city: {**city, "services": canary})


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> FleetDiff:
    tmp = tmp_path_factory.mktemp("realistic")
    base = render_tree(tmp / "base")
    head = render_tree(tmp / "head", bump_order, canary_in_bandung, partial(set_primary, city="bandung"))
    return compare_trees(base, head, labels=("main@1a2b3c4d5e6f", "feature@0f9e8d7c6b5a"))


SURABAYA = [
    "**surabaya** · wave 0 · +0 -0 ±25 (5 only labels or checksums)",
    "- rollout wave 1 → 0",
    "- `order` `ghcr.io/nusantaramart/order:2.4.0` → `2.5.0` (Deployment shop/order)",
]
JAKARTA = [
    "**jakarta** · wave 1 · +0 -13 ±165 (144 only labels or checksums)",
    "- no longer the primary city: writes move to `bandung`",
    "- no longer waits at the manual gate",
    "- rollout wave 2 → 1",
    "- `order` `ghcr.io/nusantaramart/order:2.4.0` → `2.5.0` (Deployment shop/order)",
    "- removed workloads: CronJob data/postgres-recap, Job data/postgres-promote-jakarta, Job data/postgres-roles",
]
# The gated city rolls out last, so the new primary moves to the end of the order.
BANDUNG = [
    "**bandung** · wave 2 · +18 -0 ±165 (148 only labels or checksums)",
    "- becomes the primary city: writes move here from `jakarta`",
    "- now waits at the manual gate",
    "- rollout wave 0 → 2",
    "- canary `gateway` `1.9.0-rc.1` at 10 % (new)",
    "- `order` `ghcr.io/nusantaramart/order:2.4.0` → `2.5.0` (Deployment shop/order)",
    "- new workloads: CronJob data/postgres-recap, Job data/postgres-promote-bandung, Job data/postgres-roles",
]
FLEET = [
    "**fleet** · +0 -0 ±53 (41 only labels or checksums)",
    "- primary city `jakarta` → `bandung`",
    "- manual gate `jakarta` → `bandung`",
    "- rollout order `bandung`, `surabaya`, `jakarta` → `surabaya`, `jakarta`, `bandung`",
]


def test_the_realistic_pull_request_leads_with_what_it_releases_and_fits(realistic: FleetDiff) -> None:
    whole = diff_report.markdown(realistic, limit=None)
    comment = diff_report.markdown(realistic, link="https://github.com/o/r/actions/runs/7")
    assert size(whole) > LIMIT  # so the comment had to be shortened
    assert size(comment) <= LIMIT - diff_report.COMMENT_MARGIN
    assert comment.startswith("### `fleet diff` `main@1a2b3c4d5e6f` → `feature@0f9e8d7c6b5a`\n")
    summary = section(comment, RELEASES, "> [!CAUTION]")
    assert summary.split("\n\n")[1:-1] == ["\n".join(city) for city in (SURABAYA, JAKARTA, BANDUNG, FLEET)]
    assert summary == section(whole, RELEASES, "> [!CAUTION]")  # never cut
    assert comment.index("> [!WARNING]") < comment.index(RELEASES) < comment.index("> [!CAUTION]")
    assert comment.index("> [!CAUTION]") < comment.index("```mermaid") < comment.index("#### Details")
    left_out = [line for line in comment.splitlines() if "left out to fit the comment" in line]
    assert left_out, "a shortened city says so"
    assert all("[the full report](<https://github.com/o/r/actions/runs/7>) has them" in line for line in left_out)
    assert comment.count("<details>") == comment.count("</details>") == 4


def test_label_and_checksum_only_objects_are_one_line_per_city(realistic: FleetDiff) -> None:
    whole = diff_report.markdown(realistic, limit=None)
    bandung = section(whole, "<summary><b>bandung</b>", "<summary><b>fleet</b>")
    (line,) = [line for line in bandung.splitlines() if line.startswith("Only labels or checksums")]
    assert line.startswith(
        # A failover commit restarts nothing: no checksum moves, and no object is marked ↻.
        "Only labels or checksums (`app.kubernetes.io/version`, `fleet.nusantaramart.co.id/database-role`, "
        "`fleet.nusantaramart.co.id/role`) changed on 148 object(s): AuthorizationPolicy monitoring/prometheus, "
    )
    assert "↻" not in line
    assert "#### ± Namespace data" not in bandung and "Namespace data, " in line and "Namespace shop" in line
    assert "#### ± Deployment shop/order" in bandung  # its image moved: never collapsed


def test_text_report_also_leads_with_releases_and_collapses(realistic: FleetDiff) -> None:
    text = diff_report.text(realistic)
    assert text.index("releases:") < text.index("RISKS") < text.index("== bandung")
    assert "  bandung · wave 2 · +18 -0 ±165 (148 only labels or checksums)\n" in text
    assert "\n± Namespace data" not in text
    assert "Only labels or checksums (" in section(text, "== bandung", "== fleet")


def many_cities(root: Path, *, head: bool) -> Path:
    """30 cities of 4 services: the head bumps every image, adds a canary per city and relabels."""
    for index in range(CITIES):
        city = f"city{index:02d}"
        for number in range(SERVICES):
            name = f"svc{number:02d}"
            version = "2.0.0" if head else "1.0.0"
            write(root, city, workload(name, f"ghcr.io/n/{name}:{version}", version=version, checksum=version))
            write(root, city, service(name, version="0.2.0" if head else "0.1.0", role="primary" if head else "r"))
        if head:
            write(root, city, workload("svc00-canary", "ghcr.io/n/svc00:2.1.0-rc.1", version="2.1", track="canary"))
            write(root, city, canary_ingress("svc00", 5))
    return root


def image_move(number: int) -> str:
    name = f"svc{number:02d}"
    return f"- `{name}` `ghcr.io/n/{name}:1.0.0` → `2.0.0` (Deployment shop/{name})"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> FleetDiff:
    tmp = tmp_path_factory.mktemp("large")
    return compare_trees(many_cities(tmp / "base", head=False), many_cities(tmp / "head", head=True))


def test_a_change_of_159k_characters_fits_with_every_city_summary(large: FleetDiff) -> None:
    whole = diff_report.markdown(large, limit=None)
    comment = diff_report.markdown(large)
    assert size(whole) >= 159_000
    assert size(comment) <= LIMIT - diff_report.COMMENT_MARGIN
    summary = section(comment, RELEASES, "#### Details")
    for index in range(CITIES):
        city = f"city{index:02d}"
        heading = f"**{city}** · +2 -0 ±8 (4 only labels or checksums)"
        block = summary[summary.index(heading) :].split("\n\n")[0].splitlines()
        assert block[1:] == ["- canary `svc00` `2.1.0-rc.1` at 5 % (new)", *map(image_move, range(SERVICES))], city
    assert "> [!WARNING]\n> Shortened to fit a pull-request comment: " in comment
    assert comment.count("more object diff(s) of city") == CITIES  # every city shortened, none dropped
    assert comment.count("<details>") == comment.count("</details>") == CITIES


@pytest.mark.parametrize(
    ("limit", "lines"),
    [(20_000, None), (12_000, 4), (8_000, 1)],
    ids=["details-dropped", "lines-capped", "one-line-each"],
)
def test_a_tighter_limit_drops_details_before_summary_lines(large: FleetDiff, limit: int, lines: int | None) -> None:
    comment = diff_report.markdown(large, limit=limit)
    assert size(comment) <= limit - diff_report.COMMENT_MARGIN
    assert "<details>" not in comment
    assert f"The details of {CITIES * (2 + 2 * SERVICES)} changed object(s) are left out; " in comment
    for index in range(CITIES):
        heading = f"**city{index:02d}** · +2 -0 ±8 (4 only labels or checksums)\n"
        block = comment[comment.index(heading) :].split("\n\n")[0].splitlines()
        every = ["- canary `svc00` `2.1.0-rc.1` at 5 % (new)", *map(image_move, range(SERVICES))]
        more = [] if lines is None else [f"- … and {len(every) - lines} more release line(s) in the full report"]
        assert block[1:] == every[:lines] + more
    capped = "" if lines is None else f" and each city lists at most {lines} release line(s)"
    assert f"object diff(s) are left out{capped}, every city is summarised; " in comment


def collapsing_pair(tmp_path: Path) -> FleetDiff:
    """Base and head differing in one way per object; only labels and checksum annotations collapse."""
    base, head = tmp_path / "base", tmp_path / "head"
    write(base, "bandung", workload("relabelled", "r:1", version="1", checksum="a"))
    write(head, "bandung", workload("relabelled", "r:1", version="2", checksum="b"))
    write(base, "bandung", service("plain", version="1"))
    write(head, "bandung", service("plain", version="1", role="primary"))
    write(base, "bandung", workload("bumped", "b:1", version="1"))
    write(head, "bandung", workload("bumped", "b:2", version="2"))
    moved = workload("reselected", "s:1", version="1")
    write(base, "bandung", moved)
    moved["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "other"
    write(head, "bandung", moved)
    annotated = service("annotated", version="1")
    write(base, "bandung", annotated)
    annotated["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "1"}
    write(head, "bandung", annotated)
    appset: Doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "shop", "namespace": "argocd"},
        "spec": {"template": {"metadata": {"labels": {"step": "1"}}}},
    }
    write(base, "bandung", appset)
    appset["spec"]["template"]["metadata"]["labels"]["step"] = "2"
    write(head, "bandung", appset)
    return compare_trees(base, head)


def test_only_labels_and_checksums_collapse(tmp_path: Path) -> None:
    (chart,) = collapsing_pair(tmp_path).charts
    assert {str(c.key): c.cosmetic for c in chart.changes} == {
        "ApplicationSet argocd/shop": None,  # its template's labels pick the rollout step
        "Deployment shop/bumped": None,
        "Deployment shop/relabelled": ("app.kubernetes.io/version", "fleet.nusantaramart.co.id/config-sha256"),
        "Deployment shop/reselected": None,  # a selector, though it holds labels
        "Service shop/annotated": None,
        "Service shop/plain": ("fleet.nusantaramart.co.id/role",),
    }
    text = diff_report.text(collapsing_pair(tmp_path / "again"))
    assert (
        "Only labels or checksums (`app.kubernetes.io/version`, `fleet.nusantaramart.co.id/config-sha256`, "
        "`fleet.nusantaramart.co.id/role`) changed on 2 object(s); pods restart (↻): "
        "Deployment shop/relabelled ↻; nothing restarts: Service shop/plain\n"
    ) in text


def canary_pair(tmp_path: Path) -> FleetDiff:
    base, head = tmp_path / "base", tmp_path / "head"
    # order: the canary becomes stable; gateway: its weight moves; report: withdrawn
    write(base, "bandung", workload("order", "o:2.4.0", version="2.4.0"))
    write(base, "bandung", workload("order-canary", "o:2.5.0", version="2.5.0", track="canary"))
    write(head, "bandung", workload("order", "o:2.5.0", version="2.5.0"))
    for tree, weight in ((base, 10), (head, 25)):
        write(tree, "bandung", workload("gateway-canary", "g:1.9.0", version="1.9.0", track="canary"))
        write(tree, "bandung", canary_ingress("gateway", weight))
    write(base, "bandung", workload("report-canary", "r:1.1.0", version="1.1.0", track="canary"))
    return compare_trees(base, head)


def test_canaries_report_promotion_weight_and_withdrawal(tmp_path: Path) -> None:
    markdown = diff_report.markdown(canary_pair(tmp_path))
    assert section(markdown, RELEASES, "#### Details").splitlines()[2:7] == [
        "**bandung** · +0 -2 ±2",
        "- canary `gateway` weight 10 % → 25 %",
        "- canary `order` `2.5.0` promoted to stable",
        "- canary `report` `1.1.0` withdrawn",
        "- `order` `o:2.4.0` → `2.5.0` (Deployment shop/order)",
    ]


def generator_change(repo: Path) -> None:
    """What a change of the generator alone does: the same envs/, every Deployment rendered differently."""
    for path in sorted((repo / "dist").glob("*/Deployment.*.k8s.yaml")):
        edit_yaml(path, lambda doc: doc["spec"].update(minReadySeconds=10))


@pytest.fixture
def pull_request(tmp_path: Path) -> Iterator[Path]:
    """main holds envs/ and its dist/; branch `feature` changes only dist/, as a generator change does."""
    repo = tmp_path / "repo"
    dist = render_tree(tmp_path / "render")
    shutil.copytree(tmp_path / "render" / "envs", repo / "envs")
    shutil.copytree(dist, repo / "dist")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fleet")
    git(repo, "checkout", "-qb", "feature")
    generator_change(repo)
    git(repo, "commit", "-qam", "generator")
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        yield repo
    finally:
        os.chdir(cwd)


def test_a_generator_only_change_shows_when_comparing_committed_dist(
    pull_request: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert diff_sides("main", "WORKTREE", repo=pull_request).empty  # rendering envs/ with one code hides it
    full = pull_request / "full.md"
    argv = ["diff", "main:dist", "dist", "--output", "markdown", "--exit-code", "--full", str(full)]
    assert main([*argv, "--base-label", "main", "--head-label", "feature@0f9e8d7c6b5a"]) == 1
    comment = capsys.readouterr().out
    assert comment.startswith("### `fleet diff` `main` → `feature@0f9e8d7c6b5a`\n")
    assert "No changes" not in comment
    assert "+  minReadySeconds: 10\n" in comment
    assert "**bandung** · wave 0 · +0 -0 ±6\n" in comment
    labels = ("main", "feature@0f9e8d7c6b5a")
    whole = diff_report.markdown(diff_sides("main:dist", "dist", repo=pull_request, labels=labels), limit=None)
    assert full.read_text() == whole


def test_sides_are_named_from_git_by_default(pull_request: Path) -> None:
    main_commit, head_commit = git(pull_request, "rev-parse", "main"), git(pull_request, "rev-parse", "HEAD")
    result = diff_sides("main:dist", "dist", repo=pull_request)
    assert result.labels == (f"main@{main_commit[:12]}:dist", f"dist of feature@{head_commit[:12]}")
    assert diff_sides(main_commit, "WORKTREE", repo=pull_request).labels == (
        main_commit[:12],
        f"working tree of feature@{head_commit[:12]}",
    )


@pytest.mark.parametrize("link", ["http://ci.example.com/run/1", "https://ci.example.com/a b", "javascript:x"])
def test_a_full_link_must_be_an_https_url(link: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "a", "b", "--full-link", link]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: command line: --full-link: {link} is not an https:// URL (no spaces, '<' or '>')"
    )
