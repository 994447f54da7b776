"""Runs the rendered data layer on loopback: Debian's etcd, Patroni and PostgreSQL, one member per city.

The configuration is the rendered one, as `fleet synth` writes it to `dist/` (the etcd StatefulSets'
arguments, the `patroni` ConfigMaps' patroni.yml, the StatefulSets' and the promotion Job's
environment). `substitute()` and `job_env()` replace what cannot be the same on one machine and nothing
else; `changed_paths()` lets the test prove that.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.model.data.timing import PatroniTiming

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LOOPBACK = "127.0.0.1"
PASSWORDS = {
    "superuser": "test-superuser-secret",
    "replication": "test-replication-secret",
    "restapi": "test-restapi-secret",
}
RESTAPI_USER = "test-restapi-user"
CIDR = re.compile(r"\b\d+\.\d+\.\d+\.\d+/\d+\b")

# Debian's Patroni 3.0.2 is slower to run against than production would be; a small lease keeps the
# drill short. Same formula as production (see model/data/timing.py); the test checks both.
TEST_TIMING = PatroniTiming.derive(loop_wait=2, retry_timeout=3, promotion=30, min_ttl=0)

# What `substitute` may change, by reason. Anything else differing from dist/ fails the test.
ADDRESS_KEYS = {
    "etcd3.hosts",
    "postgresql.listen",
    "postgresql.pg_hba",
    "restapi.listen",
    "restapi.allowlist",
}
PATH_KEYS = {
    "restapi.cafile",
    "restapi.certfile",
    "restapi.keyfile",
    "etcd3.cacert",
    "etcd3.cert",
    "etcd3.key",
    "postgresql.authentication.replication.sslrootcert",
    "postgresql.authentication.superuser.sslrootcert",
    "postgresql.data_dir",
    "postgresql.pgpass",
    "postgresql.parameters.ssl_ca_file",
    "postgresql.parameters.ssl_cert_file",
    "postgresql.parameters.ssl_key_file",
    "postgresql.parameters.unix_socket_directories",
    "postgresql.callbacks.on_role_change",
    "postgresql.callbacks.on_start",
    "postgresql.callbacks.on_stop",
}
# WAL-G talks to S3; on loopback the archive is a directory, so its commands become `cp`.
BACKUP_TOOL_KEYS = {
    "postgresql.parameters.archive_command",
    "bootstrap.restore.command",
    "bootstrap.restore.recovery_conf.restore_command",
}
# The lease, shortened for the drill (TEST_TIMING); production's values are checked on paper.
TIMING_KEYS = {
    "bootstrap.dcs.ttl",
    "bootstrap.dcs.loop_wait",
    "bootstrap.dcs.retry_timeout",
    "bootstrap.dcs.primary_start_timeout",
}
# Patroni 3.0.2 ignores `failover_priority` (honoured from 3.2): the lower-priority cities get
# `nofailover` so that the most preferred surviving city wins, as priority does on Patroni 4.
VERSION_KEYS = {"tags.nofailover"}
ALLOWED = ADDRESS_KEYS | PATH_KEYS | BACKUP_TOOL_KEYS | TIMING_KEYS | VERSION_KEYS
# etcd flags `etcd_command` rewrites: URLs (addresses and ports) and file paths.
ETCD_SUBSTITUTED = {
    "--initial-cluster",
    "--listen-peer-urls",
    "--initial-advertise-peer-urls",
    "--listen-client-urls",
    "--advertise-client-urls",
    "--listen-metrics-urls",
    "--data-dir",
    "--trusted-ca-file",
    "--cert-file",
    "--key-file",
    "--peer-trusted-ca-file",
    "--peer-cert-file",
    "--peer-key-file",
}
# The promotion Job's variables `job_env` replaces: its config file and certificates are paths, its
# REST API credentials come from a Secret. Patroni 3.0.2 has no `ctl.authentication` (Patroni 4's
# PATRONI_CTL_USERNAME/PASSWORD), so they reach 3.0.2's patronictl as the REST API's credentials,
# which its patronictl falls back to: the same basic auth on the same request.
JOB_PATHS = {"PATRONI_CONFIG", "PATRONI_CTL_CACERT", "PATRONI_CTL_CERTFILE", "PATRONI_CTL_KEYFILE", "DYNAMIC_CONFIG"}
# The dynamic configuration the Job applies carries the drill's lease, as the bootstrap section does.
DYNAMIC_TIMING_KEYS = {key.removeprefix("bootstrap.dcs.") for key in TIMING_KEYS}
JOB_CREDENTIALS = {
    "PATRONI_CTL_USERNAME": "PATRONI_RESTAPI_USERNAME",
    "PATRONI_CTL_PASSWORD": "PATRONI_RESTAPI_PASSWORD",
}


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((LOOPBACK, 0))
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def changed_paths(before: Any, after: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every leaf (or list) that differs, was added or was removed."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: set[str] = set()
        for key in before.keys() | after.keys():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in after:
                out.add(path)
            else:
                out |= changed_paths(before[key], after[key], path)
        return out
    return set() if before == after else {prefix}


@dataclass
class Member:
    """One city on loopback: its etcd member and its Patroni member."""

    city: str
    root: Path
    pg_port: int
    api_port: int
    etcd_client: int
    etcd_peer: int
    etcd_metrics: int
    patroni: subprocess.Popen[bytes] | None = None
    etcd: subprocess.Popen[bytes] | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def api(self) -> str:
        return f"https://{LOOPBACK}:{self.api_port}"


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certs(root: Path) -> Certs:
    """One CA and one loopback certificate for server and client use. Production has one certificate per
    purpose; on loopback every one of them would carry the same names, so the drill uses this one for all."""
    root.mkdir(parents=True, exist_ok=True)
    ext = root / "ext.cnf"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
        "keyUsage=digitalSignature,keyEncipherment\n"
    )
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        str(root / "ca.key"),
        "-out",
        str(root / "ca.crt"),
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(root / "tls.key"),
        "-out",
        str(root / "tls.csr"),
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(root / "tls.csr"),
        "-CA",
        str(root / "ca.crt"),
        "-CAkey",
        str(root / "ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(root / "tls.crt"),
    )
    (root / "tls.key").chmod(0o600)
    return Certs(ca=root / "ca.crt", cert=root / "tls.crt", key=root / "tls.key")


def etcd_command(rendered: list[str], member: Member, members: dict[str, Member], certs: Certs) -> list[str]:
    """The rendered etcd command with loopback URLs, a local data dir and the test certificates."""
    out = []
    for arg in rendered:
        flag, _, value = arg.partition("=")
        if flag == "--initial-cluster":
            value = ",".join(f"{m.city}=https://{LOOPBACK}:{m.etcd_peer}" for m in members.values())
        elif flag in ("--listen-peer-urls", "--initial-advertise-peer-urls"):
            value = f"https://{LOOPBACK}:{member.etcd_peer}"
        elif flag in ("--listen-client-urls", "--advertise-client-urls"):
            value = f"https://{LOOPBACK}:{member.etcd_client}"
        elif flag == "--listen-metrics-urls":
            value = f"http://{LOOPBACK}:{member.etcd_metrics}"
        elif flag == "--data-dir":
            value = str(member.root / "etcd")
        elif flag.endswith("trusted-ca-file"):
            value = str(certs.ca)
        elif flag.endswith("cert-file"):
            value = str(certs.cert)
        elif flag.endswith("key-file"):
            value = str(certs.key)
        out.append(f"{flag}={value}" if value else flag)
    return out


def substitute(
    rendered: dict[str, Any],
    *,
    member: Member,
    members: dict[str, Member],
    certs: Certs,
    callback: Path,
    nofailover: bool,
    base_backup: Path | None = None,
    restore_archive: Path | None = None,
) -> dict[str, Any]:
    """The rendered patroni.yml with loopback addresses and ports, local paths, `cp` for WAL-G, the
    drill's lease and the Patroni 3.0.2 translation of `failover_priority`; nothing else."""
    config = copy.deepcopy(rendered)
    if "etcd3" in config:
        etcd = config["etcd3"]
        etcd["hosts"] = [f"{LOOPBACK}:{m.etcd_client}" for m in members.values()]
        etcd.update(cacert=str(certs.ca), cert=str(certs.cert), key=str(certs.key))
    config["restapi"]["listen"] = f"{LOOPBACK}:{member.api_port}"
    config["restapi"]["allowlist"] = [f"{LOOPBACK}/32"]
    config["restapi"].update(cafile=str(certs.ca), certfile=str(certs.cert), keyfile=str(certs.key))
    pg = config["postgresql"]
    pg["listen"] = f"{LOOPBACK}:{member.pg_port}"
    pg["pg_hba"] = list(dict.fromkeys(CIDR.sub(f"{LOOPBACK}/32", line) for line in pg["pg_hba"]))
    pg["data_dir"] = str(member.data_dir)
    pg["pgpass"] = str(member.root / "pgpass")
    for user in ("replication", "superuser"):
        pg["authentication"][user]["sslrootcert"] = str(certs.ca)
    params = pg["parameters"]
    params.update(
        ssl_ca_file=str(certs.ca),
        ssl_cert_file=str(certs.cert),
        ssl_key_file=str(certs.key),
        unix_socket_directories=str(member.root),
        archive_command=f"test ! -f {member.archive}/%f && cp %p {member.archive}/%f",
    )
    for event in pg.get("callbacks", {}):
        pg["callbacks"][event] = str(callback)
    bootstrap = config.get("bootstrap")
    if bootstrap is not None:
        dcs = bootstrap["dcs"]
        dcs.update(
            ttl=TEST_TIMING.ttl,
            loop_wait=TEST_TIMING.loop_wait,
            retry_timeout=TEST_TIMING.retry_timeout,
            primary_start_timeout=TEST_TIMING.primary_start_timeout,
        )
        if "restore" in bootstrap:
            assert base_backup is not None and restore_archive is not None
            bootstrap["restore"]["command"] = f"cp -a {base_backup} {member.data_dir}"
            bootstrap["restore"]["recovery_conf"]["restore_command"] = f"cp {restore_archive}/%f %p"
    if nofailover:
        config.setdefault("tags", {})["nofailover"] = True
    return config


def patroni_env(statefulset: dict[str, Any], member: Member) -> dict[str, str]:
    """The StatefulSet's own Patroni variables, with the pod's values: name, addresses, passwords."""
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    names = {item["name"] for item in container["env"]}
    values = {
        "PATRONI_NAME": f"{statefulset['metadata']['name']}-0",
        "PATRONI_RESTAPI_CONNECT_ADDRESS": f"{LOOPBACK}:{member.api_port}",
        "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"{LOOPBACK}:{member.pg_port}",
        "PATRONI_SUPERUSER_PASSWORD": PASSWORDS["superuser"],
        "PATRONI_REPLICATION_PASSWORD": PASSWORDS["replication"],
        "PATRONI_RESTAPI_USERNAME": RESTAPI_USER,
        "PATRONI_RESTAPI_PASSWORD": PASSWORDS["restapi"],
        "POD_ROLE_LABEL": next(i["value"] for i in container["env"] if i["name"] == "POD_ROLE_LABEL"),
    }
    missing = set(values) - names
    assert not missing, f"the StatefulSet no longer sets {sorted(missing)}"
    return values


def job_env(job: dict[str, Any], *, config: Path, certs: Certs, dynamic: Path) -> dict[str, str]:
    """The promotion Job's environment with the test's config files, certificates and credentials."""
    rendered = job["spec"]["template"]["spec"]["containers"][0]["env"]
    paths = {"PATRONI_CONFIG": str(config), "PATRONI_CTL_CACERT": str(certs.ca), "DYNAMIC_CONFIG": str(dynamic)}
    paths |= {"PATRONI_CTL_CERTFILE": str(certs.cert), "PATRONI_CTL_KEYFILE": str(certs.key)}
    secrets = {"PATRONI_CTL_USERNAME": RESTAPI_USER, "PATRONI_CTL_PASSWORD": PASSWORDS["restapi"]}
    env = {}
    for var in rendered:
        name = var["name"]
        if name in JOB_CREDENTIALS:
            env[JOB_CREDENTIALS[name]] = secrets[name]
        elif name in JOB_PATHS:
            env[name] = paths[name]
        else:
            env[name] = var["value"]
    return env


def client_context(certs: Certs, *, identify: bool = False) -> ssl.SSLContext:
    """TLS to the REST API as the other pods speak it: the server's certificate and name checked (127.0.0.1
    is on the test certificate); with `identify`, presenting the client certificate as the members do."""
    context = ssl.create_default_context(cafile=str(certs.ca))
    if identify:
        context.load_cert_chain(str(certs.cert), str(certs.key))
    return context


def as_postgres() -> dict[str, Any]:
    """PostgreSQL refuses to run as root; drop to `postgres` when the suite runs as root (CI)."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def chown_tree(root: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        for path in root.rglob("*"):
            shutil.chown(path, "postgres", "postgres")


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # libpq looks for client certificates under $HOME; root's home is closed to `postgres`.
    home = {"HOME": str(log.parent)} if os.geteuid() == 0 else {}
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **home, **(env or {})},
            start_new_session=True,
            **as_postgres(),
        )


def kill(process: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL the process and its whole session, as losing the machine would."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def kill_postmaster(member: Member) -> None:
    pid_file = member.data_dir / "postmaster.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # a member that is down or starting answers with errors
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def http_json(url: str, context: ssl.SSLContext | None = None) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # Patroni answers 503 with the same body on role checks
        return json.loads(exc.read())


def request(
    url: str, method: str, body: Any, *, context: ssl.SSLContext, auth: tuple[str, str] | None = None
) -> tuple[int, str]:
    """One REST API call: its status and body, whatever the status."""
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    call = urllib.request.Request(url, data=json.dumps(body).encode(), method=method, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=5, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def psql(member: Member, sql: str, *, database: str = "postgres", timeout: float = 5, file: bool = False) -> str:
    """Run SQL (or, with `file`, the SQL file at that path) over TCP with TLS and a password, as a client
    in another pod would."""
    result = subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            LOOPBACK,
            "-p",
            str(member.pg_port),
            "-U",
            "postgres",
            "-d",
            database,
            "-f" if file else "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PGPASSWORD": PASSWORDS["superuser"], "PGSSLMODE": "require", "PGCONNECT_TIMEOUT": "2"},
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return result.stdout.strip()


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def tail(path: Path, lines: int = 200) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
