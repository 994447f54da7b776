"""The Application health check in argocd-cm, run by Lua 5.1 in Argo CD's sandbox (no string, io, os.execute).

Stale or in-flight child status must read Progressing so the root's next wave waits; a failed sync of
the current revision reads Degraded; the gated city always reads Healthy (its real state in the message),
so the root never waits on it.
"""

from __future__ import annotations

import copy
from typing import Any

import lupa.lua51 as lua51
import pytest

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.argocd_cm import application_health_lua

SOURCE = {
    "path": "dist/bandung",
    "repoURL": "https://github.com/nusantaramart/nusantara-fleet.git",
    "targetRevision": "main",
}
REVISION = "3f" * 20


def fresh() -> dict[str, Any]:
    """A child that compared and synced its current spec and is healthy."""
    return {
        "metadata": {"name": "nusantaramart-bandung", "annotations": {}},
        "spec": {"source": dict(SOURCE)},
        "status": {
            "health": {"status": "Healthy"},
            "sync": {"status": "Synced", "revision": REVISION, "comparedTo": {"source": dict(SOURCE)}},
            "operationState": {"phase": "Succeeded", "syncResult": {"revision": REVISION}},
        },
    }


def evaluate(app: dict[str, Any]) -> tuple[str, str]:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    # Argo CD opens only base, table, package and a safe os: take the rest away.
    runtime.execute("string = nil; io = nil; debug = nil; math = nil")
    check = runtime.eval(f"function(obj) {application_health_lua()} end")
    result = check(runtime.table_from(app, recursive=True))
    return str(result["status"]), str(result["message"])


def variant(change: str) -> dict[str, Any]:
    app = copy.deepcopy(fresh())
    status = app["status"]
    if change == "no-status":
        del app["status"]
    elif change == "operation-requested":
        app["operation"] = {"sync": {"revision": REVISION}}
    elif change == "operation-running":
        status["operationState"]["phase"] = "Running"
    elif change == "stale-compared-source":
        status["sync"]["comparedTo"]["source"]["targetRevision"] = "release-41"
    elif change == "out-of-sync":
        status["sync"]["status"] = "OutOfSync"
    elif change == "pinned-sha-not-observed":
        pinned = "a1" * 20
        app["spec"]["source"]["targetRevision"] = pinned
        status["sync"]["comparedTo"]["source"]["targetRevision"] = pinned
    elif change == "failed-sync":
        status["sync"]["status"] = "OutOfSync"
        status["operationState"] = {
            "phase": "Failed",
            "message": "one or more objects failed to apply",
            "syncResult": {"revision": REVISION},
        }
    elif change == "degraded":
        status["health"] = {"status": "Degraded", "message": "Deployment order has no available replicas"}
    elif change == "gated-out-of-sync":
        app["metadata"]["annotations"][naming.GATE_ANNOTATION] = "true"
        status["sync"]["status"] = "OutOfSync"
    elif change == "gated-never-synced":
        app["metadata"]["annotations"][naming.GATE_ANNOTATION] = "true"
        status["sync"]["status"] = "OutOfSync"
        status["health"] = {"status": "Missing"}
    elif change == "gated-degraded":
        app["metadata"]["annotations"][naming.GATE_ANNOTATION] = "true"
        status["health"] = {"status": "Degraded", "message": "Deployment order has no available replicas"}
    return app


CASES = [
    ("fresh", "Healthy", ""),
    ("no-status", "Progressing", "waiting for child Application status"),
    ("operation-requested", "Progressing", "child sync operation requested"),
    ("operation-running", "Progressing", "child sync operation Running"),
    ("stale-compared-source", "Progressing", "child status is stale: comparedTo differs from spec.source"),
    ("out-of-sync", "Progressing", "child is OutOfSync"),
    ("pinned-sha-not-observed", "Progressing", "child has not observed pinned revision " + "a1" * 20),
    ("failed-sync", "Degraded", "child sync Failed: one or more objects failed to apply"),
    ("degraded", "Degraded", "Deployment order has no available replicas"),
    # The root never waits on the gated city: not on its release manager, not on its health.
    ("gated-out-of-sync", "Healthy", "gated (synced by a release manager): OutOfSync, Healthy"),
    ("gated-never-synced", "Healthy", "gated (synced by a release manager): OutOfSync, Missing"),
    ("gated-degraded", "Healthy", "gated (synced by a release manager): Synced, Degraded"),
]


@pytest.mark.parametrize(("change", "status", "message"), CASES, ids=[c[0] for c in CASES])
def test_application_health(change: str, status: str, message: str) -> None:
    app = fresh() if change == "fresh" else variant(change)
    assert evaluate(app) == (status, message)
