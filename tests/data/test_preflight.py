"""The drill's preflight passes on this machine and names the Debian package of each missing piece."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.data import preflight
from tests.support import DIST

PATRONI_PYTHON = "/usr/bin/python3"


def run_preflight(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PATRONI_PYTHON, preflight.__file__],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def shadow(directory: Path, module: str, source: str) -> dict[str, str]:
    """PYTHONPATH with `module` replaced by `source`, ahead of Debian's."""
    (directory / f"{module}.py").write_text(source)
    return {"PYTHONPATH": str(directory)}


def test_everything_the_drill_needs_is_here() -> None:
    result = run_preflight()
    assert (result.returncode, result.stderr) == (0, "")
    assert [line.partition(":")[0] for line in result.stdout.splitlines()] == [
        shutil.which(command) for command, _, _ in preflight.COMMANDS
    ]


def test_it_runs_with_patronis_interpreter() -> None:
    assert Path("/usr/bin/patroni").read_text().splitlines()[0] == f"#!{PATRONI_PYTHON}"


@pytest.mark.parametrize(
    ("module", "source", "line"),
    [
        pytest.param(
            "idna",
            'raise ImportError("no idna")\n',
            "missing python module idna: apt-get install python3-idna",
            id="module-absent",
        ),
        pytest.param(
            "six",
            "import no_such_module\n",
            "missing python module no_such_module (imported by six): apt-get install python3-six",
            id="module-imports-an-absent-one",
        ),
        pytest.param(
            "six",
            'raise RuntimeError("half installed")\n',
            "python module six does not import (RuntimeError: half installed): apt-get install --reinstall python3-six",
            id="module-broken",
        ),
        pytest.param(
            "idna",
            "",
            "urllib3 (pyOpenSSL) cannot read the host names of a TLS certificate, as it must for etcd's: "
            "AttributeError: module 'idna' has no attribute 'core' (idna from {dir}/idna.py): "
            "apt-get install --reinstall python3-idna",
            id="idna-imports-but-cannot-encode",
        ),
        pytest.param(
            "idna",
            "class core:\n    IDNAError = ValueError\n\ndef encode(name):\n    return b'elsewhere'\n",
            "urllib3 (pyOpenSSL) reads a TLS certificate's names as [('DNS', 'elsewhere'), ('IP Address', "
            "'127.0.0.1')], not [('DNS', 'localhost'), ('IP Address', '127.0.0.1')]: "
            "apt-get install --reinstall python3-urllib3 python3-openssl python3-idna",
            id="idna-encodes-wrong",
        ),
    ],
)
def test_a_bad_python_module_is_one_line_naming_its_package(
    tmp_path: Path, module: str, source: str, line: str
) -> None:
    """Later modules that import the bad one (urllib3, etcd, patroni) add no lines of their own."""
    result = run_preflight(**shadow(tmp_path, module, source))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == line.format(dir=tmp_path) + "\n"


def test_commands_on_path_are_named_with_their_package(tmp_path: Path) -> None:
    (tmp_path / "git").write_text("#!/bin/sh\necho 'git: cannot run' >&2\nexit 3\n")
    (tmp_path / "openssl").write_text("#!/nonexistent/sh\n")
    for command in ("git", "openssl"):
        (tmp_path / command).chmod(0o755)
    result = run_preflight(PATH=str(tmp_path))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "missing command patronictl: apt-get install patroni",
        f"command {tmp_path}/openssl does not run ([Errno 2] No such file or directory: '{tmp_path}/openssl'): "
        "apt-get install --reinstall openssl",
        f"command {tmp_path}/git --version exits 3 (git: cannot run): apt-get install --reinstall git",
        "missing command promtool: apt-get install prometheus",
        "missing command amtool: apt-get install prometheus-alertmanager",
    ]


def test_postgres_commands_are_checked_where_the_rendered_patroni_config_runs_them() -> None:
    bin_dirs = set()
    for config_map in sorted(DIST.glob("*/ConfigMap.patroni.k8s.yaml")):
        for name, text in yaml.safe_load(config_map.read_text())["data"].items():
            if name.endswith(".yml"):
                bin_dirs.add(yaml.safe_load(text)["postgresql"]["bin_dir"])
    assert bin_dirs == {str(preflight.PG_BIN)}
