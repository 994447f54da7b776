#!/usr/bin/env python3
"""Makes this city's database the writable one, after `primary` was changed in envs/, then brings the
running cluster's configuration to what envs/ renders.

`quorum`: a switchover to this city's first member, unless a member here already leads (after an
automatic failover there is nothing to do); patronictl authenticates to the REST API from its
PATRONI_CTL_* environment. `standby-clusters`: refuses while any other city still answers as a
primary (fence it first: promoting now would split the brain), then removes `standby_cluster` from
this city's dynamic configuration, which promotes its standby leader. The other cities' REST API is
asked over TLS, checking its certificate against PATRONI_CTL_CACERT and the name asked for; an answer
whose certificate does not verify proves something is listening there, so it refuses then too.

Then, on every sync (the Job is an Argo CD hook): `patronictl edit-config --apply` merges the rendered
dynamic configuration (DYNAMIC_CONFIG: ttl, loop_wait, maximum_lag_on_failover, postgresql.parameters,
...), which `bootstrap.dcs` sets only when the cluster is created; and, in quorum mode, `patronictl
reload` until every running member reports the failover priorities its patroni.yml now holds
and the hash of the file they run with (EXPECTED_TAGS): the kubelet refreshes the mounted file a minute or
so after the sync, and a reload applies the failover priorities, pg_hba, the REST API's allowlist and
etcd's hosts without a restart. A member that is down reads the file when it starts.
Standard library only: it runs with the Python of the Patroni image.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

RELOAD_ATTEMPTS = 30  # the kubelet refreshes a mounted ConfigMap within its sync period plus its cache's TTL
RELOAD_PAUSE_SECONDS = 10


class Unverified(Exception):
    """Something answers at a city's REST API address with a certificate that does not verify."""


def patronictl(*args: str) -> str:
    config = os.environ["PATRONI_CONFIG"]
    result = subprocess.run(["patronictl", "-c", config, *args], check=True, capture_output=True, text=True)
    return result.stdout


def answers_as_primary(api: str, context: ssl.SSLContext) -> bool:
    """True when `api` answers /primary with 200; False when it answers otherwise or not at all (down, fenced).

    Raises Unverified when the TLS handshake fails on the certificate.
    """
    try:
        with urllib.request.urlopen(f"https://{api}/primary", timeout=5, context=context) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLError):
            raise Unverified(f"{api}: {exc.reason}") from exc
        return False
    except ssl.SSLError as exc:
        raise Unverified(f"{api}: {exc}") from exc
    except OSError:
        return False


def stale_tags(expected: dict[str, dict[str, object]]) -> list[str]:
    """The running members whose tags are not yet the expected ones."""
    members = {m["Member"]: m.get("Tags") or {} for m in json.loads(patronictl("list", "--format", "json"))}
    return sorted(
        name
        for name, tags in expected.items()
        if name in members and any(members[name].get(key) != value for key, value in tags.items())
    )


def reload_tags() -> int:
    expected = json.loads(os.environ.get("EXPECTED_TAGS") or "{}")
    if not expected:
        return 0
    stale = stale_tags(expected)
    for _ in range(RELOAD_ATTEMPTS):
        if not stale:
            return 0
        print(patronictl("reload", os.environ["CLUSTER"], "--force"))
        stale = stale_tags(expected)
        if stale:
            time.sleep(RELOAD_PAUSE_SECONDS)
    if stale:
        print(f"{', '.join(stale)} still run with their old tags; is the patroni ConfigMap synced?", file=sys.stderr)
        return 1
    return 0


def apply_config() -> int:
    print(patronictl("edit-config", "--apply", os.environ["DYNAMIC_CONFIG"], "--force"))
    return reload_tags()


def main() -> int:
    mode, candidate = os.environ["FAILOVER_MODE"], os.environ["CANDIDATE"]
    if mode == "quorum":
        members = json.loads(patronictl("list", "--format", "json"))
        leader = next((m["Member"] for m in members if m.get("Role") == "Leader"), None)
        prefix = candidate.rpartition("-")[0]
        if leader is not None and leader.rpartition("-")[0] == prefix:
            print(f"{leader} already leads; nothing to do for the switchover")
        else:
            print(patronictl("switchover", "--candidate", candidate, "--force"))
        return apply_config()
    others = [api for api in os.environ.get("OTHER_PRIMARIES", "").split(",") if api]
    context = ssl.create_default_context(cafile=os.environ["PATRONI_CTL_CACERT"])
    try:
        alive = [api for api in others if answers_as_primary(api, context)]
    except Unverified as exc:
        print(f"refusing to promote: cannot tell whether {exc}; fix its certificate or fence it", file=sys.stderr)
        return 1
    if alive:
        print(f"refusing to promote: {', '.join(alive)} still answers as primary; fence it first", file=sys.stderr)
        return 1
    print(patronictl("edit-config", "--force", "--set", "standby_cluster=null"))
    return apply_config()


if __name__ == "__main__":
    sys.exit(main())
