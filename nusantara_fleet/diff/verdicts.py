"""Per city, the head side's verdicts that lead a pull request's summary: does it still fit the design capacity
(`fleet plan`), and does it still behave as the design says in every failure scenario (`fleet scenarios`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nusantara_fleet.diff.objects import Tree
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model.capacity.plan import CapacityPlan
from nusantara_fleet.model.loader import FLEET_FILE
from nusantara_fleet.scenarios.run import judge_diff_tree

ENVS = "envs"


@dataclass(frozen=True)
class Verdict:
    city: str
    capacity: str  # `fits`, `N line(s) short`, or why it was not judged
    scenarios: str  # `pass`, `N divergence(s)`, or why they were not run

    def line(self) -> str:
        return f"capacity: {self.capacity} (`fleet plan`) · scenarios: {self.scenarios} (`fleet scenarios`)"


def plan_beside(tree: Path) -> CapacityPlan | None:
    """The capacity plan of the envs/ next to a rendered tree (a checkout's `dist/`, which CI proves fresh)."""
    envs = tree.parent / ENVS
    if not (envs / FLEET_FILE).is_file():
        return None
    from nusantara_fleet.model import load_fleet

    try:
        return load_fleet(envs).capacity
    except ConfigError:
        return None


def verdicts(tree: Tree, plan: CapacityPlan | None, shown: str) -> tuple[Verdict, ...]:
    """One verdict per city of the head tree (or of its plan when the tree holds no fleet)."""
    try:
        report = judge_diff_tree(tree, shown)
    except ConfigError as error:
        cities = tuple(dict.fromkeys(line.city for line in plan.lines if line.city)) if plan else ()
        reason = f"not run, {error.problems[0].message}"
        return tuple(Verdict(city, _capacity(plan, city), reason) for city in cities)
    counts = report.city_verdicts()
    return tuple(
        Verdict(city, _capacity(plan, city), "pass" if not counts[city] else f"{counts[city]} divergence(s)")
        for city in report.cities
    )


def _capacity(plan: CapacityPlan | None, city: str) -> str:
    if plan is None:
        return "not judged, no envs/ beside the tree"
    short = [line for line in plan.short if line.where == city]
    return "fits" if not short else f"{len(short)} line(s) short"
