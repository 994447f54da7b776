"""Pod-spec parts every workload shares: placement on its pool, one pod per node, and a locked-down runtime."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.model.fleet import Pool
from nusantara_fleet.model.spec import ContainerResources, ProbeSpec

HOSTNAME_KEY = "kubernetes.io/hostname"


def placement(*, pool: Pool, selector: dict[str, str], spread_key: str) -> dict[str, Any]:
    """On the pool's nodes, never two replicas on one node, and spread over `spread_key` where nodes carry it."""
    return {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": selector}, "topologyKey": HOSTNAME_KEY}
                ]
            }
        },
        "nodeSelector": pool.node_selector,
        "tolerations": pool.tolerations,
        "topologySpreadConstraints": [
            {
                "labelSelector": {"matchLabels": selector},
                "maxSkew": 1,
                "topologyKey": spread_key,
                "whenUnsatisfiable": "ScheduleAnyway",
            }
        ],
    }


def pod_security(run_as_user: int) -> dict[str, Any]:
    return {
        "fsGroup": run_as_user,
        "runAsGroup": run_as_user,
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
    }


def resources(spec: ContainerResources) -> dict[str, Any]:
    return {
        "limits": {"cpu": spec.limits.cpu, "memory": spec.limits.memory},
        "requests": {"cpu": spec.requests.cpu, "memory": spec.requests.memory},
    }


def probe(handler: dict[str, Any], timing: ProbeSpec) -> dict[str, Any]:
    return {
        **handler,
        "failureThreshold": timing.failure_threshold,
        "periodSeconds": timing.period_seconds,
        "timeoutSeconds": timing.timeout_seconds,
    }
