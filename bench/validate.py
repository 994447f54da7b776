"""Validate benchmark: `fleet validate` on the default fleet and on a generated 30 x 40 fleet.

For each: the gate end to end (load, policy, and the schema layer running alongside), then each layer
alone, and two ratios measured in the same run: against the budget (1 s for the default fleet, 10 s for
30 x 40) and against `kubernetes_validate.validate()` per document (the library's own uncached call) on
the same core documents. Run by hand: `make bench`.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import kubernetes_validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import DEFAULT_ENVS, write_envs
from nusantara_fleet.validate import schemas, validate
from nusantara_fleet.validate.core_schemas import KUBERNETES_VERSION
from nusantara_fleet.validate.crd_schemas import handles
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.policy import Policies

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policy"
SAMPLE = 200  # documents timed through the uncached library call; enough for a stable per-document figure


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Node, forked workers): unlike wall time,
    it does not grow when other work shares the machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def uncached_seconds_per_doc(documents: list[Document]) -> float:
    core = [doc.body for doc in documents if not handles(doc.api_version)][:SAMPLE]
    started = time.perf_counter()
    for body in core:
        with contextlib.suppress(kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    return (time.perf_counter() - started) / max(len(core), 1)


def measure(label: str, envs: Path, work: Path, budget: float) -> None:
    dist = work / label.replace(" ", "")
    subprocess.run(
        [sys.executable, "-m", "nusantara_fleet.cli", "synth", "--envs", str(envs), "--out", str(dist)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cpu_before = cpu_seconds()
    report = validate(dist, POLICY)
    cpu = cpu_seconds() - cpu_before
    split = report.seconds
    docs = report.documents
    custom = sum(1 for doc in docs if handles(doc.api_version))
    schema_alone = seconds(lambda: schemas.start(docs)())
    policy_alone = seconds(lambda: Policies(POLICY).evaluate(docs))
    library = uncached_seconds_per_doc(docs) * (len(docs) - custom)
    print(
        f"{label}: {len(docs)} documents ({custom} custom resources, {report.kinds} kinds), "
        f"{report.count('failure')} failures, {report.count('warning')} warnings\n"
        f"  gate  {split['total']:6.2f} s = load {split['load']:5.2f} s + policy {split['policy']:5.2f} s "
        f"+ schema wait {split['schema']:5.2f} s   ({split['total'] / budget:4.2f} of the {budget:.0f} s budget, "
        f"{len(docs) / split['total']:5.0f} documents/s); CPU {cpu:5.2f} s over {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}\n"
        f"  alone schema layer {schema_alone:5.2f} s, policy layer {policy_alone:5.2f} s\n"
        f"  kubernetes_validate.validate() per core document: ~{library:6.2f} s "
        f"({library / split['total']:4.1f}x the whole gate)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure("default fleet", DEFAULT_ENVS, work, budget=1.0)
        measure("30 x 40 fleet", write_envs(work / "envs-30x40", cities=30, services=40), work, budget=10.0)


if __name__ == "__main__":
    main()
