"""Pod Security Admission on the fleet's namespaces: the profile every pod there already meets.

Every pod the fleet renders runs as a non-root user with privilege escalation off, every Linux
capability dropped, the runtime's seccomp profile and only configMap, secret, emptyDir and claim
volumes (`constructs/pod.py`, `constructs/workloads/`), which is what the `restricted` profile of the
Pod Security Standards demands (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
So each namespace enforces it: the API server then refuses any pod that does not, whoever applies it.
`deny_pod_security` in policy/ checks the rendered pods against the same profile before they ship.
"""

from __future__ import annotations

from typing import Literal

from nusantara_fleet import naming

Level = Literal["privileged", "baseline", "restricted"]
Mode = Literal["enforce", "warn", "audit"]

LEVEL: Level = "restricted"
# The profile's checks as of the oldest Kubernetes minor the gate validates against (1.29), so an API
# server upgrade cannot tighten them under running workloads unannounced.
VERSION = "v1.29"
# Enforce refuses a violating pod; warn tells whoever applies it; audit records it in the audit log.
MODES: tuple[Mode, ...] = ("enforce", "warn", "audit")


def namespace_labels(level: Level = LEVEL) -> dict[str, str]:
    """The Pod Security Admission labels every namespace of the fleet carries (`level` where a namespace's
    plan says why it needs another profile)."""
    labels: dict[str, str] = {}
    for mode in MODES:
        labels[f"{naming.POD_SECURITY_PREFIX}/{mode}"] = level
        labels[f"{naming.POD_SECURITY_PREFIX}/{mode}-version"] = VERSION
    return labels
