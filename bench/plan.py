"""`fleet plan` benchmark: the capacity plan of a 30 cities x 40 services fleet against its 2 s budget.

Run by hand (`make bench`). Times `fleet plan` end to end (a process as a user starts it: interpreter,
imports, loading and resolving envs/, the plan, the table) and the plan's own computation in process,
each the median of several runs and printed as a share of the budget.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import write_envs
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.capacity.demand import resolve_demand
from nusantara_fleet.model.capacity.plan import resolve_capacity

FLEET = [sys.executable, "-m", "nusantara_fleet.cli"]
CITIES, SERVICES = 30, 40
BUDGET_SECONDS = 2.0
RUNS = 5


def end_to_end(envs: Path) -> list[float]:
    """Wall times of `fleet plan`; it exits 1 when a line does not fit, which a generated fleet may."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = subprocess.run([*FLEET, "plan", "--envs", str(envs)], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if result.returncode not in (0, 1):
            raise SystemExit(f"fleet plan failed:\n{result.stderr.decode()}")
    return times


def plan_alone(envs: Path) -> tuple[list[float], int]:
    """The plan's computation on a loaded fleet: what `fleet synth` pays for its capacity warnings too."""
    fleet = load_fleet(envs)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        plan = resolve_capacity(
            fleet.spec,
            resolve_demand(fleet.spec),
            fleet.cities,
            fleet.services,
            fleet.data,
            fleet.workloads,
            fleet.data_plans,
        )
        times.append(time.perf_counter() - started)
    return times, len(plan.lines)


def report(label: str, times: list[float]) -> None:
    median = statistics.median(times)
    print(
        f"{label:>26}: median {median:5.2f} s  (min {min(times):.2f}, max {max(times):.2f})  "
        f"{median / BUDGET_SECONDS:4.0%} of the {BUDGET_SECONDS:.0f} s budget"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        envs = write_envs(Path(tmp) / "envs", cities=CITIES, services=SERVICES)
        print(f"fleet plan on {CITIES} cities x {SERVICES} services, {RUNS} runs each")
        report("fleet plan, end to end", end_to_end(envs))
        times, lines = plan_alone(envs)
        report(f"the plan alone ({lines} lines)", times)


if __name__ == "__main__":
    main()
