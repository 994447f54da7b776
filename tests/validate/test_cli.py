from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nusantara_fleet.cli import main
from nusantara_fleet.validate import cross_object
from nusantara_fleet.validate.policy import Policies
from tests.validate.support import POLICY, fixture_dir


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args, "--policy", str(POLICY)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_tree_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(fixture_dir("deny_missing_pdb", "allow")))
    assert code == 0
    rules = len(Policies(POLICY).rules) + 1 + len(cross_object.RULES)  # and the schema check
    assert out.startswith(f"2 documents, 2 kinds, {rules} rules: 0 failures, 0 warnings, 0 exceptions in ")


def test_a_failure_exits_1_and_names_file_rule_and_object(capsys: pytest.CaptureFixture[str]) -> None:
    tree = fixture_dir("deny_host_path", "deny")
    code, out, _ = run(capsys, str(tree))
    assert code == 1
    assert out.splitlines()[:3] == [
        "bandung",
        f"  {tree}/bandung/Pod.web.yaml",
        "    FAIL main.deny_host_path: Pod/web: volume logs mounts the node's filesystem (hostPath /var/log); "
        "use a PVC or emptyDir",
    ]


def test_warnings_are_findings_only_with_fail_on_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(fixture_dir("warn_ingress_nginx", "deny"), tmp_path / "dist")
    # The Ingresses' backend, so that their warnings are all there is (a Service without a selector).
    backend = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gateway", "namespace": "shop"}}
    backend["spec"] = {"ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}
    (tmp_path / "dist" / "bandung" / "Service.gateway.yaml").write_text(json.dumps(backend))
    tree = str(tmp_path / "dist")
    assert run(capsys, tree)[0] == 0
    assert run(capsys, tree, "--fail-on-warn")[0] == 1
    assert run(capsys, str(fixture_dir("deny_secret_data", "deny")), "--fail-on-warn")[0] == 1


def test_schema_failures_fail_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(fixture_dir("deny_missing_pdb", "allow"), tmp_path / "dist")
    path = tmp_path / "dist" / "bandung" / "Deployment.web.yaml"
    path.write_text(path.read_text().replace("replicas: 2", "replicas: two"))
    code, out, _ = run(capsys, str(tmp_path / "dist"), "--output", "json")
    assert code == 1
    failures = [f for entry in json.loads(out)["results"] for f in entry.get("failures", [])]
    assert [f["metadata"]["rule"] for f in failures] == ["schema.kubernetes"]
    assert (
        failures[0]["msg"]
        == "Deployment/web: spec.replicas: 'two' is not of type 'integer', 'null' [Kubernetes 1.29-1.33]"
    )


def test_unreadable_yaml_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bandung").mkdir()
    (tmp_path / "bandung" / "bad.yaml").write_text("kind: Pod\nmetadata: [\n")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 2
    assert out == ""
    assert f"error: {tmp_path}/bandung/bad.yaml:3: malformed YAML" in err


def test_a_missing_tree_says_how_to_make_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such directory; run `fleet synth` first" in err
