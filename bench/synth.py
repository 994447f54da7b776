"""Render benchmark: `fleet synth` end to end against the floor of writing the same YAML with PyYAML's C dumper.

Run by hand (`make bench`); prints the figures for the default fleet and a generated 30 x 40 fleet.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import DEFAULT_ENVS, write_envs

FLEET = [sys.executable, "-m", "nusantara_fleet.cli"]


def floor_seconds(rendered: Path, scratch: Path) -> tuple[float, int]:
    """Time PyYAML's C dumper writing the same documents, one file each."""
    docs = [
        (path.relative_to(rendered), yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
        for path in sorted(rendered.rglob("*.yaml"))
    ]
    started = time.perf_counter()
    for rel, doc in docs:
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w") as handle:
            yaml.dump(doc, handle, Dumper=yaml.CSafeDumper, sort_keys=True)
    return time.perf_counter() - started, len(docs)


def measure(label: str, envs: Path, work: Path, jobs: list[str] | None = None) -> None:
    out = work / f"{label}-dist"
    started = time.perf_counter()
    subprocess.run(
        [*FLEET, "synth", "--envs", str(envs), "--out", str(out), *(jobs or [])],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    floor, objects = floor_seconds(out, work / f"{label}-floor")
    print(
        f"{label:>15}: {objects:6d} objects  synth {wall:6.2f} s end to end  "
        f"{objects / wall:7.0f} objects/s  floor (PyYAML C dumper) {floor:5.2f} s  "
        f"ratio {wall / floor:5.1f}x"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure("default fleet", DEFAULT_ENVS, work)
        big = write_envs(work / "envs-30x40", cities=30, services=40)
        measure("30 x 40 fleet", big, work)
        measure("same, 1 process", big, work, ["--jobs", "1"])


if __name__ == "__main__":
    main()
