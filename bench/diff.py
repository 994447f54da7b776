"""`fleet diff` benchmark: a 30 cities x 40 services fleet with one service's tag changed everywhere.

Run by hand (`make bench`). Measures, in one run: `fleet diff` end to end between two envs directories
and between git refs (the pull-request case), one `fleet synth` of the same fleet (the render floor a
diff pays twice), and the comparison alone against GNU `diff -r` over the same two trees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import write_envs
from nusantara_fleet.diff import compare_trees

FLEET = [sys.executable, "-m", "nusantara_fleet.cli"]
CITIES, SERVICES = 30, 40
BUDGET_SECONDS = 5.0
RUNS = 5
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds, result.stdout


def repeat(command: list[str], cwd: Path | None = None) -> list[float]:
    """Wall times of RUNS runs, sorted: the machine is shared, so the spread is part of the figure."""
    return sorted(timed(command, cwd)[0] for _ in range(RUNS))


def bump_one_service(envs: Path) -> str:
    """Give the first service a new tag in fleet.yaml: every city's objects of that service change."""
    path = envs / "fleet.yaml"
    fleet = yaml.safe_load(path.read_text())
    service = fleet["services"][0]
    service["tag"] = f"{service['tag']}-bench"
    path.write_text(yaml.safe_dump(fleet, sort_keys=False))
    return str(service["name"])


def main() -> None:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = write_envs(work / "base" / "envs", cities=CITIES, services=SERVICES)
        head = work / "head" / "envs"
        shutil.copytree(base, head)
        service = bump_one_service(head)

        synth, _ = timed([*FLEET, "synth", "--envs", str(base), "--out", str(work / "base-dist")])
        timed([*FLEET, "synth", "--envs", str(head), "--out", str(work / "head-dist")])
        objects = sum(1 for _ in (work / "base-dist").rglob("*.k8s.yaml"))

        dirs = repeat([*FLEET, "diff", str(base), str(head)])

        repo = work / "repo"
        shutil.copytree(base, repo / "envs")
        for args in (["init", "-q", "-b", "main"], ["add", "envs"], ["commit", "-q", "-m", "base"]):
            timed(["git", *args], cwd=repo)
        shutil.copy(head / "fleet.yaml", repo / "envs" / "fleet.yaml")
        refs = repeat([*FLEET, "diff"], cwd=repo)

        started = time.perf_counter()
        result = compare_trees(work / "base-dist", work / "head-dist")
        compare = time.perf_counter() - started
        changed = sum(chart.count("changed") for chart in result.charts)
        gnu, _ = timed(["diff", "-r", str(work / "base-dist"), str(work / "head-dist")])

    shown = ", ".join(f"{value:.1f}" for value in load)
    print(f"fleet: {CITIES} cities x {SERVICES} services, {objects} objects per side; {service} bumped everywhere")
    print(f"  {changed} objects changed in {len(result.charts)} charts; load average before the run: {shown}")
    for label, runs in (("fleet diff DIR DIR", dirs), ("fleet diff (git refs)", refs)):
        best, median, worst = runs[0], runs[len(runs) // 2], runs[-1]
        print(
            f"  {label:<24}{median:6.2f} s median of {RUNS} (best {best:.2f}, worst {worst:.2f})  "
            f"budget {BUDGET_SECONDS:.0f} s  ratio {median / BUDGET_SECONDS:4.2f}"
        )
    print(f"  fleet synth (one side)  {synth:6.2f} s   diff / synth ratio {dirs[len(dirs) // 2] / synth:4.2f}")
    print(f"  compare only            {compare:6.2f} s   GNU diff -r {gnu:5.2f} s  ratio {compare / gnu:4.2f}")


if __name__ == "__main__":
    main()
