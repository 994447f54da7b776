"""Validate benchmark: `fleet validate` on the default fleet and on a generated 30 x 40 fleet.

For each: the gate end to end (load, policy, cross-object, and the schema layer running alongside), then each layer
alone (core kinds on every supported Kubernetes minor, custom resources against their vendored CRDs with
their CEL rules, the Rego policies, the cross-object checks), and the ratios measured in the same run:
against the budget (1 s for the default fleet, 10 s for 30 x 40), the gate with the cross-object layer
against the gate without it (issue #10 allows 1.2x; in wall time, its share of the gate's split, and in CPU
time, which other work on the machine does not inflate, its CPU alone against the gate's CPU), and against
`kubernetes_validate.validate()` (the library's own uncached call) on the same core documents and minors.
Run by hand: `make bench`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import kubernetes_validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleetgen import DEFAULT_ENVS, write_envs
from nusantara_fleet.validate import cross_object, schemas, validate
from nusantara_fleet.validate.core_schemas import SUPPORTED_VERSIONS, span
from nusantara_fleet.validate.crd_schemas import handles
from nusantara_fleet.validate.documents import Document, load_documents
from nusantara_fleet.validate.policy import Policies

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policy"
T = TypeVar("T")
SAMPLE = 200  # (document, minor) pairs timed through the uncached library call: a stable per-check figure


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Node, forked workers): unlike wall time,
    it does not grow when other work shares the machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_of(action: Callable[[], object]) -> float:
    before = cpu_seconds()
    action()
    return cpu_seconds() - before


def cross_object_cpu(documents: list[Document]) -> float:
    """The cross-object layer alone, in CPU seconds, with the documents kept out of the collector's passes
    as the gate keeps them."""
    gc.freeze()
    return cpu_of(lambda: cross_object.check(documents))


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def uncached_seconds_per_doc(documents: list[Document]) -> float:
    """What the library's own call costs per core document checked on every supported minor."""
    core = [doc.body for doc in documents if not handles(doc.api_version)][: SAMPLE // len(SUPPORTED_VERSIONS)]
    started = time.perf_counter()
    for body in core:
        for version in SUPPORTED_VERSIONS:
            with contextlib.suppress(kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(body, version, strict=True)
    return (time.perf_counter() - started) / max(len(core), 1)


def layer_seconds(documents: list[Document]) -> tuple[float, float]:
    """Each schema layer alone: core kinds, then custom resources."""
    core = [doc for doc in documents if not handles(doc.api_version)]
    custom = [doc for doc in documents if handles(doc.api_version)]
    return seconds(lambda: schemas.start(core)()), seconds(lambda: schemas.start(custom)())


def in_child(action: Callable[[], T]) -> T:
    """`action` in a forked child, so that it starts from this process's cold caches (as `fleet validate`
    does, modules aside) and leaves them cold; its result comes back pickled over a pipe."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(pickle.dumps(action()))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        result: T = pickle.loads(pipe.read())
    os.waitpid(child, 0)
    return result


def gate(dist: Path) -> dict[str, Any]:
    cpu_before = cpu_seconds()
    report = validate(dist, POLICY)
    return {
        "cpu": cpu_seconds() - cpu_before,
        "seconds": report.seconds,
        "documents": len(report.documents),
        "custom": sum(1 for doc in report.documents if handles(doc.api_version)),
        "kinds": report.kinds,
        "failures": report.count("failure"),
        "warnings": report.count("warning"),
    }


def measure(label: str, envs: Path, work: Path, budget: float) -> None:
    dist = work / label.replace(" ", "")
    subprocess.run(
        [sys.executable, "-m", "nusantara_fleet.cli", "synth", "--envs", str(envs), "--out", str(dist)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = in_child(lambda: gate(dist))
    split, total = run["seconds"], run["seconds"]["total"]
    docs = load_documents(dist)
    core_alone, custom_alone = in_child(lambda: layer_seconds(docs))
    policy_alone = seconds(lambda: Policies(POLICY).evaluate(docs))
    cross_cpu = in_child(lambda: cross_object_cpu(docs))
    library = uncached_seconds_per_doc(docs) * (len(docs) - run["custom"])
    print(
        f"{label}: {run['documents']} documents ({run['custom']} custom resources, {run['kinds']} kinds), "
        f"{run['failures']} failures, {run['warnings']} warnings\n"
        f"  gate  {total:6.2f} s = load {split['load']:5.2f} s + policy {split['policy']:5.2f} s "
        f"+ cross-object {split['cross-object']:5.2f} s + schema wait {split['schema']:5.2f} s   "
        f"({total / budget:4.2f} of the {budget:.0f} s budget, "
        f"{run['documents'] / total:5.0f} documents/s); CPU {run['cpu']:5.2f} s over {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}\n"
        f"  alone: core kinds on Kubernetes {span(SUPPORTED_VERSIONS)} {core_alone:5.2f} s, "
        f"custom resources (vendored CRDs, CEL) {custom_alone:5.2f} s, policy layer {policy_alone:5.2f} s\n"
        f"  cross-object layer: gate with it / without it {total / (total - split['cross-object']):4.2f}x "
        f"in wall time ({split['cross-object']:5.2f} s of {total:5.2f} s), "
        f"{run['cpu'] / (run['cpu'] - cross_cpu):4.2f}x in CPU time ({cross_cpu:5.2f} s alone of {run['cpu']:5.2f} s)\n"
        f"  kubernetes_validate.validate() on each core document and minor: ~{library:6.2f} s "
        f"({library / total:4.1f}x the whole gate)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure("default fleet", DEFAULT_ENVS, work, budget=1.0)
        measure("30 x 40 fleet", write_envs(work / "envs-30x40", cities=30, services=40), work, budget=10.0)


if __name__ == "__main__":
    main()
