#!/usr/bin/env python3
"""Patroni callback: mirror the member's role onto its own pod's label.

With etcd as its DCS Patroni does not touch Kubernetes, so the write and read Services, which select
pods by role, would never move. Patroni calls this on start, stop and every role change as
`label_role.py <action> <role> <scope>`; it patches the pod with the service account's token.
Standard library only: it runs with the image's Python, next to Patroni.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.request

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
# Patroni 4 says `primary`; 3.x said `master`. A standby leader is read-only: never `primary`.
ROLES = {"primary": "primary", "master": "primary", "standby_leader": "standby-leader"}


def label_value(action: str, role: str) -> str | None:
    """The label for this event; None removes it (a stopped member serves nothing)."""
    if action == "on_stop":
        return None
    return ROLES.get(role, "replica")


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: label_role.py <action> <role> [scope]", file=sys.stderr)
        return 2
    action, role = argv[1], argv[2]
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    label = os.environ.get("POD_ROLE_LABEL")
    pod = os.environ.get("PATRONI_NAME")
    if not (host and label and pod):
        print(
            "label_role: KUBERNETES_SERVICE_HOST, POD_ROLE_LABEL and PATRONI_NAME must be set "
            f"(not in a Patroni pod?); {pod or 'member'} stays unlabelled as {role}",
            file=sys.stderr,
        )
        return 1
    with (
        open(f"{ACCOUNT}/token", encoding="utf-8") as token_file,
        open(f"{ACCOUNT}/namespace", encoding="utf-8") as ns_file,
    ):
        token, namespace = token_file.read().strip(), ns_file.read().strip()
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    body = json.dumps({"metadata": {"labels": {label: label_value(action, role)}}}).encode()
    request = urllib.request.Request(
        f"https://{host}:{port}/api/v1/namespaces/{namespace}/pods/{pod}",
        data=body,
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"},
    )
    context = ssl.create_default_context(cafile=f"{ACCOUNT}/ca.crt")
    with urllib.request.urlopen(request, context=context, timeout=5) as response:
        print(f"label_role: {pod} {label}={label_value(action, role)} ({response.status})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
