"""The services' and the roles Job's rendered connection settings, run against the loopback cluster.

A service connects as its ConfigMap says (`DB_*`) with its password from its Secret; the roles Job as its
environment says. `client_env` turns either into libpq's environment, substituting only what cannot be the
same on one machine: each host becomes 127.0.0.1 at the port of the member its Service would select at that
moment (Patroni's role label: the write Service only the leader, the read Service only a replica, `any`
every running member; a Service with nothing behind it refuses, as one without endpoints does), the
CA file becomes the test CA, and passwords come from `PASSWORDS`. `SUBSTITUTED` lists those keys; the test
checks nothing else differs from the render.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.data.local_cluster import LOOPBACK, PG_BIN

# What a Service name selects, as Kubernetes would by the labels Patroni sets on its pods.
Selects = Callable[[str], int | None]  # a rendered host name -> the port of the member behind it, or None
# The keys `client_env` replaces, by reason: addresses, the CA file's path, the credentials.
SUBSTITUTED = {"PGHOST", "PGPORT", "PGSSLROOTCERT", "PGPASSWORD"}
ROLE_PASSWORDS = {
    "app_order": "test-order-secret",
    "app_payment": "test-payment-secret",
    "app_inventory": "test-inventory-secret",
    "app_catalog": "test-catalog-secret",
    "app_report": "test-report-secret",
    "shop": "test-owner-secret",
}


@dataclass(frozen=True)
class Client:
    """libpq's environment for one connection: the rendered values and the substituted ones."""

    rendered: dict[str, str]
    env: dict[str, str]

    @property
    def changed(self) -> set[str]:
        return {key for key in self.rendered if self.rendered[key] != self.env.get(key)}


def _addresses(hosts: list[str], selects: Selects, closed: int) -> tuple[str, str]:
    """(PGHOST, PGPORT) for the rendered hosts in their order: each at its member's port, or at a port nobody
    listens on when its Service would have no endpoint."""
    ports = [selects(host) for host in hosts]
    return ",".join(LOOPBACK for _ in hosts), ",".join(str(port if port is not None else closed) for port in ports)


def service_client(
    config: Mapping[str, str],
    deployment: dict[str, Any],
    *,
    access: str,
    selects: Selects,
    closed: int,
    ca: str,
) -> Client:
    """A service's reads (`access` read) or writes (write), from its rendered ConfigMap and Deployment."""
    prefix = "DB_WRITE" if access == "write" else "DB_READ"
    hosts = [item.rpartition(":")[0] for item in config[f"{prefix}_HOSTS"].split(",")]
    rendered = {
        "PGHOST": ",".join(hosts),
        "PGPORT": config[f"{prefix}_PORT"],
        "PGDATABASE": config["DB_NAME"],
        "PGUSER": config["DB_USER"],
        "PGSSLMODE": config["DB_SSLMODE"],
        "PGSSLROOTCERT": config["DB_SSLROOTCERT"],
        "PGTARGETSESSIONATTRS": config[f"{prefix}_TARGET_SESSION_ATTRS"],
        "PGPASSWORD": _secret_ref(deployment, "DB_PASSWORD"),
    }
    host, port = _addresses(hosts, selects, closed)
    env = {**rendered, "PGHOST": host, "PGPORT": port, "PGSSLROOTCERT": ca}
    env["PGPASSWORD"] = ROLE_PASSWORDS[config["DB_USER"]]
    return Client(rendered=rendered, env=env)


def job_client(job: dict[str, Any], *, selects: Selects, closed: int, ca: str, superuser: str) -> Client:
    """The roles Job's environment: its hosts, the test CA, the superuser's and every role's password."""
    rendered = {}
    env = {}
    for var in job["spec"]["template"]["spec"]["containers"][0]["env"]:
        name = var["name"]
        if "value" in var:
            rendered[name] = var["value"]
            env[name] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            rendered[name] = f"secret:{ref['name']}/{ref['key']}"
            env[name] = superuser if name == "PGPASSWORD" else _role_password(name)
    hosts = rendered["PGHOST"].split(",")
    env["PGHOST"], env["PGPORT"] = _addresses(hosts, selects, closed)
    env["PGSSLROOTCERT"] = ca
    return Client(rendered=rendered, env=env)


def _role_password(variable: str) -> str:
    role = variable.removesuffix("_PASSWORD").lower()
    return ROLE_PASSWORDS["shop" if role == "owner" else role]


def _secret_ref(deployment: dict[str, Any], name: str) -> str:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ref = next(var for var in container.get("env", []) if var["name"] == name)["valueFrom"]["secretKeyRef"]
    return f"secret:{ref['name']}/{ref['key']}"


def run(client: Client, sql: str, *, file: bool = False, args: tuple[str, ...] = (), timeout: float = 20) -> str:
    """psql with exactly the client's environment (and the Job's own arguments, for its script)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    result = subprocess.run(
        [str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *args, "-f" if file else "-c", sql],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**env, "PGCONNECT_TIMEOUT": "2", **client.env},
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return result.stdout.strip()
