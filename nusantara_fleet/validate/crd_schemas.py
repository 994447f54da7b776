"""Custom resources against their upstream CRD schemas, shipped by pinned npm `@kubernetes-models/*` packages.

Each package compiles the upstream API types of one project (Argo CD v3, Gateway API, external-secrets,
Prometheus Operator, Istio's CRD YAML) into validators; `crd_check.mjs` runs them for a whole batch in
one Node process. The packages are pinned in package.json and installed by `make setup` (`npm ci`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# API group -> the npm package holding its schemas. A group missing here has no schema: a failure.
PACKAGES = {
    "argoproj.io": "@kubernetes-models/argo-cd",
    "external-secrets.io": "@kubernetes-models/external-secrets",
    "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "networking.istio.io": "@kubernetes-models/istio",
    "security.istio.io": "@kubernetes-models/istio",
    "telemetry.istio.io": "@kubernetes-models/istio",
}

_SCRIPT = Path(__file__).with_name("crd_check.mjs")
_PROJECT_NODE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "node"


class CrdSchemaError(RuntimeError):
    """The CRD validators could not run at all (Node or the packages missing)."""


@dataclass(frozen=True)
class Outcome:
    """The verdict on one custom resource: its errors, or why no schema exists for it."""

    errors: tuple[str, ...] = ()
    missing: str | None = None


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def handles(api_version: str) -> bool:
    return group_of(api_version) in PACKAGES


def _node() -> str:
    if _PROJECT_NODE.exists():
        return str(_PROJECT_NODE)
    found = shutil.which("node")
    if found is None:
        raise CrdSchemaError("node is not installed; run `make setup` (npm ci installs the pinned Node)")
    return found


class Pending:
    """A batch being checked by a Node process that runs while Python checks everything else."""

    def __init__(self, bodies: list[dict[str, Any]]) -> None:
        self._count = len(bodies)
        self._process: subprocess.Popen[str] | None = None
        requests = [_request(body) for body in bodies]
        self._input = json.dumps(requests)
        if bodies:
            modules = sorted({str(request["module"]) for request in requests})
            self._process = subprocess.Popen(
                [_node(), str(_SCRIPT), *modules],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def outcomes(self) -> list[Outcome]:
        if self._process is None:
            return []
        out, err = self._process.communicate(self._input)
        if self._process.returncode != 0:
            raise CrdSchemaError(f"the CRD schema check failed to run: {err.strip()[-2000:]}")
        results: list[dict[str, Any]] = json.loads(out)
        if len(results) != self._count:
            raise CrdSchemaError(f"the CRD schema check answered {len(results)} of {self._count} documents")
        return [Outcome(errors=tuple(item.get("errors", ())), missing=item.get("missing")) for item in results]


def _request(body: dict[str, Any]) -> dict[str, Any]:
    api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
    module = f"{PACKAGES[group_of(api_version)]}/{api_version}/{kind}"
    return {"module": module, "apiVersion": api_version, "kind": kind, "body": body}


def check(bodies: list[dict[str, Any]]) -> list[Outcome]:
    """Validate custom resources (each of a group in PACKAGES) in one Node process."""
    return Pending(bodies).outcomes()
