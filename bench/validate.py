"""Validate benchmark: `fleet validate` on the default fleet and on a generated 30 x 40 fleet.

Prints the time of each layer and two ratios measured in the same run: against the budget (1 s for the
default fleet, 10 s for 30 x 40) and against calling `kubernetes_validate.validate()` per document
(uncached, the library's own API) on the same core documents. Run by hand: `make bench`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kubernetes_validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import DEFAULT_ENVS, write_envs
from nusantara_fleet.validate import validate
from nusantara_fleet.validate.core_schemas import KUBERNETES_VERSION
from nusantara_fleet.validate.crd_schemas import handles
from nusantara_fleet.validate.documents import load_documents

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policy"
SAMPLE = 200  # documents timed through the uncached library call; enough for a stable per-document figure


def uncached_seconds_per_doc(dist: Path) -> float:
    core = [doc.body for doc in load_documents(dist) if not handles(doc.api_version)][:SAMPLE]
    started = time.perf_counter()
    for body in core:
        with contextlib.suppress(kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    return (time.perf_counter() - started) / max(len(core), 1)


def measure(label: str, envs: Path, work: Path, budget: float) -> None:
    dist = work / f"{label}-dist"
    subprocess.run(
        [sys.executable, "-m", "nusantara_fleet.cli", "synth", "--envs", str(envs), "--out", str(dist)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    report = validate(dist, POLICY)
    seconds = report.seconds
    docs = len(report.documents)
    custom = sum(1 for doc in report.documents if handles(doc.api_version))
    library = uncached_seconds_per_doc(dist) * (docs - custom)
    print(
        f"{label:>14}: {docs:6d} documents ({custom} custom resources, {report.kinds} kinds), "
        f"{report.count('failure')} failures\n"
        f"{'':>16}total {seconds['total']:6.2f} s = load {seconds['load']:5.2f} s + policy {seconds['policy']:5.2f} s "
        f"+ schema {seconds['schema']:5.2f} s (after policy; CRDs run in Node meanwhile)\n"
        f"{'':>16}{docs / seconds['total']:7.0f} documents/s; "
        f"{seconds['total'] / budget:4.2f} of the {budget:.0f} s budget; "
        f"uncached kubernetes_validate.validate() on the core documents alone would take ~{library:5.2f} s "
        f"({library / seconds['total']:4.1f}x the whole gate)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure("default fleet", DEFAULT_ENVS, work, budget=1.0)
        measure("30 x 40 fleet", write_envs(work / "envs-30x40", cities=30, services=40), work, budget=10.0)


if __name__ == "__main__":
    main()
