"""City files hold only differences: a value equal to the inherited one is noise that hides intent."""

from __future__ import annotations

from pathlib import Path

from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.capacity.demand import design_capacity_rps
from tests.support import ENVS


def test_no_city_repeats_an_inherited_value() -> None:
    fleet = load_fleet(ENVS)
    stable = {svc.name: svc.spec.tag for svc in fleet.services}
    repeats = []
    for city in fleet.cities:
        for pool_name, override in city.spec.node_pools:
            if override is not None and override.nodes == getattr(fleet.spec.node_pools, pool_name).nodes:
                repeats.append(f"{city.source}: node_pools.{pool_name}.nodes")
        for name, state in city.spec.services.items():
            if state.tag == stable[name]:
                repeats.append(f"{city.source}: services.{name}.tag")
    assert repeats == []


def test_defaults_resolve_per_city() -> None:
    fleet = load_fleet(ENVS)
    assert [c.name for c in fleet.cities] == ["bandung", "surabaya", "jakarta"]
    assert fleet.primary.name == "jakarta" and fleet.gated_city.name == "jakarta"
    assert {c.name: c.pools["general"].nodes for c in fleet.cities} == {
        "bandung": 5,
        "surabaya": 3,
        "jakarta": 5,
    }
    assert {c.name: c.pools["database"].nodes for c in fleet.cities} == {
        "bandung": 2,
        "surabaya": 2,
        "jakarta": 3,
    }
    assert fleet.city("jakarta").pools["database"].dedicated and not fleet.city("jakarta").pools["general"].dedicated
    assert design_capacity_rps(fleet.spec.capacity) == (3900, 4500)
    assert [s.name for s in fleet.services] == [
        "gateway",
        "order",
        "payment",
        "inventory",
        "catalog",
        "report",
    ]
    writes = {s.name: [r.path for r in s.spec.routes if r.access == "write"] for s in fleet.services}
    assert writes["order"] == ["/api/orders"] and writes["payment"] == ["/api/payments"]
    assert writes["catalog"] == [] and writes["report"] == []


def test_gate_follows_the_primary_unless_set(envs: Path) -> None:
    text = (envs / "fleet.yaml").read_text().replace("primary: jakarta", "primary: bandung")
    text = text.replace("order: [bandung, surabaya, jakarta]", "order: [surabaya, jakarta, bandung]")
    (envs / "fleet.yaml").write_text(text)
    fleet = load_fleet(envs)
    assert (fleet.primary.name, fleet.gated_city.name) == ("bandung", "bandung")
    assert [(c.name, c.role) for c in fleet.cities] == [
        ("surabaya", "replica"),
        ("jakarta", "replica"),
        ("bandung", "primary"),
    ]
