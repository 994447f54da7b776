"""Renders the fleet into a fresh directory and swaps it in only when complete."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from nusantara_fleet.charts import build_app, chart_ids
from nusantara_fleet.model import Fleet
from nusantara_fleet.outdir import replace_tree


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


# <linux/prctl.h>
_PR_SET_PDEATHSIG = 1
# How often a worker on a system without PR_SET_PDEATHSIG checks that the main process still runs.
_PARENT_POLL_SECONDS = 1.0


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Worker initializer: a worker ends with the main process, even one killed with SIGKILL.

    Otherwise an orphaned worker would go on rendering into a staging directory nobody removes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the main process stops workers
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the main process died before the signal was armed
        os._exit(1)


def render_to(fleet: Fleet, outdir: Path, jobs: int = 1) -> dict[str, Counter[str]]:
    """Synthesize into `outdir` (which must not hold older output) and count what was written.

    Charts are independent (no chart depends on another), so up to `jobs` processes (never more than
    charts or cores) each synthesize a share of them into the same directory; the bytes are the same as
    one process writes.
    """
    ids = chart_ids(fleet)
    jobs = min(jobs, len(ids), os.cpu_count() or 1)
    if jobs <= 1:
        return _render_charts(fleet, outdir, ids)
    shares = [ids[i::jobs] for i in range(jobs)]
    # jsii's Node runtime is a child process tied to its parent: workers must start fresh, not fork.
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=_die_with_parent, initargs=(os.getpid(),)
    )
    try:
        parts = list(pool.map(_render_charts, [fleet] * jobs, [outdir] * jobs, shares))
    except BaseException:
        # Interrupted or failed: stop the other workers now, before the caller removes the directory
        # they write into (shutdown would wait for them to finish). Python 3.14 names this kill_workers().
        for process in pool._processes.values():
            process.kill()
        raise
    finally:
        pool.shutdown(cancel_futures=True)
    counts = {chart: kinds for part in parts for chart, kinds in part.items()}
    return {chart: counts[chart] for chart in ids}


def render(fleet: Fleet, out: Path, jobs: int | None = None, *, envs: Path | None = None) -> Summary:
    """Render beside `out`, then swap the new tree in; on any failure `out` is untouched.

    `out` must be absent, empty or an earlier render (see `nusantara_fleet.outdir`); `envs`, when given, is refused as
    the output and as anything around it.
    """
    started = time.perf_counter()
    count = default_jobs(fleet) if jobs is None else jobs
    kinds = replace_tree(out, lambda staging: render_to(fleet, staging, count), envs=envs)
    return Summary(kinds_per_chart=kinds, seconds=time.perf_counter() - started)
