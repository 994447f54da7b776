"""Renders the fleet into a fresh directory and swaps it in only when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nusantara_fleet.charts import build_app
from nusantara_fleet.model import Fleet


@dataclass(frozen=True)
class Summary:
    kinds_per_chart: dict[str, Counter[str]]
    seconds: float

    @property
    def files(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.kinds_per_chart.values())


def render_to(fleet: Fleet, outdir: Path) -> dict[str, Counter[str]]:
    """Synthesize into `outdir` (which must not hold older output) and count what was written."""
    app, charts = build_app(fleet, outdir)
    app.synth()
    return {chart.chart_id: Counter(kind for kind, _ in chart.kinds) for chart in charts}


def render(fleet: Fleet, out: Path) -> Summary:
    """Render into a sibling temp dir, then replace `out` with it; on any failure `out` is untouched."""
    started = time.perf_counter()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        kinds = render_to(fleet, staging)
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
