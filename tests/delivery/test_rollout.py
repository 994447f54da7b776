"""`fleet rollout` and `fleet status`: the release flow follows envs/, and the gated city rolls out last."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.diff.compare import compare_trees
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from tests.support import Edit, edit_yaml, render_tree, set_primary, variant_envs

MEDAN = {
    "network": {
        "pod_cidr": "10.40.0.0/16",
        "service_cidr": "10.140.0.0/16",
        "edge_address": "192.0.2.40",
        "eastwest_address": "10.240.0.10",
    },
    "database": {
        "object_storage": {
            "endpoint": "https://s3.medan.nusantaramart.internal",
            "bucket": "nusantaramart-postgres-medan",
        }
    },
}


def add_medan(envs: Path) -> None:
    """A fourth city, rolled out after Surabaya and before the gated Jakarta (standby clusters: quorum wants three)."""
    (envs / "medan.yaml").write_text(json.dumps(MEDAN))

    def change(fleet: dict[str, Any]) -> None:
        fleet["rollout"]["order"] = ["bandung", "surabaya", "medan", "jakarta"]
        fleet["database"]["failover"].update(mode="standby-clusters", preference=["jakarta", "bandung", "surabaya"])

    edit_yaml(envs / "fleet.yaml", change)


# (id, edits, the expected flow: canary city, branches, gated city)
FLEETS: list[tuple[str, list[Edit], tuple[str, list[str], str]]] = [
    ("default", [], ("bandung", ["surabaya"], "jakarta")),
    ("primary-bandung", [partial(set_primary, city="bandung")], ("surabaya", ["jakarta"], "bandung")),
    ("fourth-city", [add_medan], ("bandung", ["surabaya", "medan"], "jakarta")),
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def github_outputs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


@pytest.mark.parametrize(("edits", "expected"), [f[1:] for f in FLEETS], ids=[f[0] for f in FLEETS])
def test_the_flow_is_canary_then_branches_then_the_gated_city(
    edits: list[Edit], expected: tuple[str, list[str], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary, branches, gated = expected
    envs = variant_envs(tmp_path, *edits)
    code, out, _ = run(capsys, "rollout", "--output", "github", "--envs", str(envs))
    assert code == 0
    outputs = github_outputs(out)
    order = [canary, *branches, gated]
    assert outputs == {
        "canary_city": canary,
        "canary_app": f"nusantaramart-{canary}",
        "canary_weight": "10",
        "bake_seconds": "900",
        "branches": json.dumps(
            [{"application": f"nusantaramart-{city}", "city": city} for city in branches], separators=(",", ":")
        ),
        "gated_city": gated,
        "gated_app": f"nusantaramart-{gated}",
        "approval_environment": "production-main",
        "order": " ".join(order),
        "rollback": " ".join(reversed(order)),
    }
    fleet = load_fleet(envs)
    # The flow is the model's: the gated city (no automated sync) is last, the canary city syncs by itself.
    assert fleet.gated_city.name == gated and not fleet.delivery.automated(fleet.gated_city)
    assert fleet.delivery.automated(fleet.city(canary))
    code, out, _ = run(capsys, "rollout", "--output", "json", "--envs", str(envs))
    assert json.loads(out)["rollback"] == list(reversed(order))


def test_the_flow_in_words(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rollout", "--envs", str(variant_envs(tmp_path)))
    assert (code, out) == (
        0,
        "1. canary   bandung: 10% of its traffic, judged after 900 s, then promoted\n"
        "2. branches surabaya: one city at a time, each healthy before the next\n"
        "3. approval GitHub environment production-main\n"
        "4. gated    jakarta: synced by a release manager\n"
        "on failure  roll back in this order: jakarta, surabaya, bandung\n",
    )


def one_city(envs: Path) -> None:
    (envs / "jakarta.yaml").unlink()
    (envs / "surabaya.yaml").unlink()


def replace_in_fleet(old: str, new: str) -> Edit:
    """A text edit of fleet.yaml, so its layout and line numbers stay as written."""

    def edit(envs: Path) -> None:
        text = (envs / "fleet.yaml").read_text()
        assert old in text
        (envs / "fleet.yaml").write_text(text.replace(old, new))

    return edit


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            [replace_in_fleet("primary: jakarta", "primary: bandung")],
            "the gated city 'bandung' (primary: bandung, the gate follows it) must roll out last, after the canary "
            "city and the branches, but the order is [bandung, surabaya, jakarta]; move it to the end: order: "
            "[surabaya, jakarta, bandung]",
        ),
        (
            [replace_in_fleet("rollout:\n", "rollout:\n  gated_city: surabaya\n")],
            "the gated city 'surabaya' (rollout.gated_city: surabaya) must roll out last, after the canary city "
            "and the branches, but the order is [bandung, surabaya, jakarta]; move it to the end: order: "
            "[bandung, jakarta, surabaya]",
        ),
        (
            [
                one_city,
                replace_in_fleet("primary: jakarta", "primary: bandung"),
                replace_in_fleet("order: [bandung, surabaya, jakarta]", "order: [bandung]"),
            ],
            "'bandung' is the only city in the rollout order, so it would be both the canary city and the gated city "
            "(primary: bandung, the gate follows it); a release needs a canary city before the gate: add a city",
        ),
    ],
    ids=["primary-moved", "gate-named", "one-city"],
)
def test_a_gated_city_that_is_not_last_is_refused_with_the_fix(edits: list[Edit], message: str, tmp_path: Path) -> None:
    envs = variant_envs(tmp_path, *edits)
    with pytest.raises(ConfigError) as caught:
        load_fleet(envs)
    # A one-city fleet also has no "two of three cities down" row to fire: that refusal is tested elsewhere.
    (problem,) = [problem for problem in caught.value.problems if not problem.field.startswith("observability.")]
    line = next(n for n, text in enumerate((envs / "fleet.yaml").read_text().splitlines(), 1) if "  order: " in text)
    assert (problem.file, problem.line, problem.field, problem.message) == (
        "envs/fleet.yaml",
        line,
        "rollout.order",
        message,
    )


def test_fleet_diff_says_where_the_next_release_goes_when_the_gate_moves(tmp_path: Path) -> None:
    base = render_tree(tmp_path / "a")
    head = render_tree(tmp_path / "b", partial(set_primary, city="bandung"))
    flows = [risk for risk in compare_trees(base, head).risks if risk.subject == "release flow"]
    assert [str(risk) for risk in flows] == [
        "fleet: release flow: the gate moves from jakarta to bandung, which now rolls out last, behind the "
        "approval; the canary city moves from bandung to surabaya; the next release runs surabaya -> jakarta -> "
        "bandung (`fleet rollout`)"
    ]
    same = tmp_path / "c"
    shutil.copytree(base, same)
    assert [risk for risk in compare_trees(base, same).risks if risk.subject == "release flow"] == []


def test_status_shows_each_city_wave_gate_and_release_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envs = variant_envs(tmp_path)
    dist = ["--envs", str(envs), "--out", str(tmp_path / "dist")]
    assert main(["release", "order", "2.5.0", "--city", "bandung", "--canary", "10", *dist]) == 0
    assert main(["release", "order", "2.5.0", "--city", "surabaya", *dist]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "status", "--service", "order", "--envs", str(envs))
    assert (code, out) == (
        0,
        "city      wave  role     gate   service  stable  canary       previous\n"
        "bandung   0     replica  -      order    2.4.0   2.5.0 (10%)  -\n"
        "surabaya  1     replica  -      order    2.5.0   -            2.4.0\n"
        "jakarta   2     primary  gated  order    2.4.0   -            -\n",
    )
    code, out, _ = run(capsys, "status", "--output", "json", "--envs", str(envs))
    cities = json.loads(out)["cities"]
    assert [(c["city"], c["wave"], c["role"], c["gated"]) for c in cities] == [
        ("bandung", 0, "replica", False),
        ("surabaya", 1, "replica", False),
        ("jakarta", 2, "primary", True),
    ]
    order = {c["city"]: next(s for s in c["services"] if s["service"] == "order") for c in cities}
    assert order["bandung"] == {
        "service": "order",
        "stable": "2.4.0",
        "digest": None,
        "canary": {"tag": "2.5.0", "weight": 10, "digest": None},
        "previous": None,
    }
    assert (order["surabaya"]["stable"], order["surabaya"]["previous"]) == ("2.5.0", "2.4.0")
    assert [len(c["services"]) for c in cities] == [6, 6, 6]


def test_status_of_an_unknown_service_is_a_named_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "status", "--service", "ordr", "--envs", str(variant_envs(tmp_path)))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: command line: SERVICE: unknown service 'ordr'; did you mean 'order'? services: gateway, order, "
        "payment, inventory, catalog, report",
        "no status was printed: 1 problem on the command line",
    ]
