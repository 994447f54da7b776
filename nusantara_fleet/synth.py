"""Renders the fleet into a fresh directory and swaps it in only when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from nusantara_fleet.charts import build_app, chart_ids
from nusantara_fleet.model import Fleet


@dataclass(frozen=True)
class Summary:
    kinds_per_chart: dict[str, Counter[str]]
    seconds: float

    @property
    def files(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.kinds_per_chart.values())


# A worker costs about half a second to start (Python, cdk8s, its Node runtime) and renders a city
# in tenths of a second, so small fleets render in one process and large ones on every core.
CITIES_PER_WORKER = 8


def default_jobs(fleet: Fleet) -> int:
    return max(1, min(os.cpu_count() or 1, len(fleet.cities) // CITIES_PER_WORKER))


def _render_charts(fleet: Fleet, outdir: Path, only: list[str]) -> dict[str, Counter[str]]:
    app, charts = build_app(fleet, outdir, only=only)
    app.synth()
    return {chart.chart_id: Counter(kind for kind, _ in chart.kinds) for chart in charts}


def render_to(fleet: Fleet, outdir: Path, jobs: int = 1) -> dict[str, Counter[str]]:
    """Synthesize into `outdir` (which must not hold older output) and count what was written.

    Charts are independent (no chart depends on another), so `jobs` processes can each synthesize
    a share of them into the same directory; the bytes are the same as one process writes.
    """
    ids = chart_ids(fleet)
    if jobs <= 1:
        return _render_charts(fleet, outdir, ids)
    shares = [ids[i::jobs] for i in range(jobs)]
    # jsii's Node runtime is a child process tied to its parent: workers must start fresh, not fork.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_render_charts, [fleet] * jobs, [outdir] * jobs, shares))
    counts = {chart: kinds for part in parts for chart, kinds in part.items()}
    return {chart: counts[chart] for chart in ids}


def render(fleet: Fleet, out: Path, jobs: int | None = None) -> Summary:
    """Render into a sibling temp dir, then replace `out` with it; on any failure `out` is untouched."""
    started = time.perf_counter()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        kinds = render_to(fleet, staging, default_jobs(fleet) if jobs is None else jobs)
        _swap(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Summary(kinds_per_chart=kinds, seconds=time.perf_counter() - started)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, retired / out.name)
    os.rename(staging, out)
    shutil.rmtree(retired)
