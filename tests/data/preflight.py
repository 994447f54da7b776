"""Preflight for the database drill: everything Patroni (through its etcd3 client) and the drill import and
run, checked with the interpreter Patroni runs with before the suite starts.

Run as `/usr/bin/python3 tests/data/preflight.py` (`make test` does). Each missing piece is one line on
stderr naming the Debian package that provides it, exit status 1; with nothing missing it prints the
version of every command the drill runs. The environment is used as given (PYTHONPATH, PATH), because
Patroni and the drill's commands inherit the same one. Standard library only at the top level: the modules
it checks are the ones that may be missing.
"""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LOOPBACK = "127.0.0.1"

# What Debian's patroni 3.0.2 imports to run with `etcd3` (patroni.__main__, ha, api, postgresql,
# dcs.etcd3 and python-etcd 0.4.5) and what patronictl imports for the promotion Job, with the package of
# each. Leaves first, so that the first line names the module that is really absent.
MODULES = {
    "idna": "python3-idna",
    "six": "python3-six",
    "urllib3": "python3-urllib3",
    "dns.resolver": "python3-dnspython",
    "cryptography.x509": "python3-cryptography",
    "OpenSSL": "python3-openssl",
    "urllib3.contrib.pyopenssl": "python3-urllib3",
    "etcd": "python3-etcd",
    "psycopg2": "python3-psycopg2",
    "yaml": "python3-yaml",
    "dateutil": "python3-dateutil",
    "psutil": "python3-psutil",
    "click": "python3-click",
    "prettytable": "python3-prettytable",
    "cdiff": "python3-cdiff",
    "patroni.__main__": "patroni",
    "patroni.dcs.etcd3": "patroni",
    "patroni.ctl": "patroni",
}
PACKAGE_OF_TOP_LEVEL = {module.partition(".")[0]: package for module, package in MODULES.items()}

# (command, the argument that prints its version, package). Absolute paths are the ones the drill and
# Patroni (`bin_dir`) run; bare names are looked up on PATH, as the drill, the promotion Job and the
# observability tests find them.
COMMANDS = [
    ("/usr/bin/etcd", "--version", "etcd-server"),
    ("/usr/bin/patroni", "--version", "patroni"),
    ("patronictl", "version", "patroni"),
    (f"{PG_BIN}/postgres", "--version", "postgresql-15"),
    (f"{PG_BIN}/initdb", "--version", "postgresql-15"),
    (f"{PG_BIN}/pg_ctl", "--version", "postgresql-15"),
    (f"{PG_BIN}/pg_controldata", "--version", "postgresql-15"),
    (f"{PG_BIN}/pg_rewind", "--version", "postgresql-15"),
    (f"{PG_BIN}/pg_basebackup", "--version", "postgresql-client-15"),
    (f"{PG_BIN}/pg_isready", "--version", "postgresql-client-15"),
    (f"{PG_BIN}/psql", "--version", "postgresql-client-15"),
    ("openssl", "version", "openssl"),
    ("git", "--version", "git"),
    ("promtool", "--version", "prometheus"),
    ("amtool", "--version", "prometheus-alertmanager"),
]
# Python programs on this interpreter: with a module problem they fail again for the same cause.
ON_THIS_PYTHON = {"/usr/bin/patroni", "patronictl"}
# The names urllib3 must read back from the drill's certificate (tests/data/local_cluster.py make_certs).
CERTIFICATE_NAMES = [("DNS", "localhost"), ("IP Address", LOOPBACK)]


def one_line(text: str) -> str:
    return " ".join(text.split())


def module_problems() -> list[str]:
    """One line per absent or broken module; a later module that fails for the same cause adds none."""
    problems: dict[str, str] = {}  # cause -> line
    for module, package in MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            # A module can be present while one it imports is not: name the absent one.
            absent = exc.name if isinstance(exc, ModuleNotFoundError) and exc.name else module
            known = PACKAGE_OF_TOP_LEVEL.get(absent.partition(".")[0])
            problems.setdefault(
                absent,
                f"missing python module {absent}: apt-get install {known}"
                if known
                else f"missing python module {absent} (imported by {module}): apt-get install {package}",
            )
        except Exception as exc:  # a broken install fails on import with anything
            cause = f"{type(exc).__name__}: {one_line(str(exc))}"
            problems.setdefault(
                cause, f"python module {module} does not import ({cause}): apt-get install --reinstall {package}"
            )
    return list(problems.values())


def certificate_problems() -> list[str]:
    """Importing python-etcd switches urllib3 to pyOpenSSL, which reads the peer certificate's names
    through idna on every TLS connection to etcd: the call that fails when idna is absent or shadowed.
    Made here on an in-memory certificate with the drill's names, without a network."""
    x509: Any = importlib.import_module("cryptography.x509")
    ec: Any = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    hashes: Any = importlib.import_module("cryptography.hazmat.primitives.hashes")
    crypto: Any = importlib.import_module("OpenSSL.crypto")
    pyopenssl: Any = importlib.import_module("urllib3.contrib.pyopenssl")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(names, critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        read = pyopenssl.get_subj_alt_name(crypto.X509.from_cryptography(certificate))
    except Exception as exc:
        idna = sys.modules.get("idna")
        return [
            "urllib3 (pyOpenSSL) cannot read the host names of a TLS certificate, as it must for etcd's: "
            f"{type(exc).__name__}: {one_line(str(exc))} (idna from {getattr(idna, '__file__', None)}): "
            "apt-get install --reinstall python3-idna"
        ]
    if read != CERTIFICATE_NAMES:
        return [
            f"urllib3 (pyOpenSSL) reads a TLS certificate's names as {read}, not {CERTIFICATE_NAMES}: "
            "apt-get install --reinstall python3-urllib3 python3-openssl python3-idna"
        ]
    return []


def command_versions(*, modules_import: bool) -> tuple[list[str], list[str]]:
    """(the first line each command prints for its version, one problem line per missing or broken one)."""
    versions: list[str] = []
    problems: list[str] = []
    for command, version_arg, package in COMMANDS:
        found = shutil.which(command)
        if found is None:
            problems.append(f"missing command {command}: apt-get install {package}")
            continue
        if command in ON_THIS_PYTHON and not modules_import:
            continue
        try:
            result = subprocess.run([found, version_arg], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(
                f"command {found} does not run ({one_line(str(exc))}): apt-get install --reinstall {package}"
            )
            continue
        output = (result.stdout + result.stderr).strip().splitlines() or [""]
        if result.returncode != 0:  # the last line: where a failing program says why
            problems.append(
                f"command {found} {version_arg} exits {result.returncode} ({output[-1]}): "
                f"apt-get install --reinstall {package}"
            )
        else:
            versions.append(f"{found}: {output[0]}")
    return versions, problems


def main() -> int:
    problems = module_problems()
    modules_import = not problems
    if modules_import:  # the certificate check needs every module
        problems += certificate_problems()
    versions, command_problems = command_versions(modules_import=modules_import)
    problems += command_problems
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("\n".join(versions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
