"""Every rendered namespace enforces the restricted Pod Security profile, every rendered pod meets it, and
the gate's rule refuses a rendered pod that stops meeting it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet.validate.documents import load_documents
from nusantara_fleet.validate.policy import Policies
from tests.support import all_docs, render_tree
from tests.validate.support import POLICY

RULE = "fleet.deny_pod_security"
PSA = {
    f"pod-security.kubernetes.io/{mode}{suffix}": value
    for mode in ("enforce", "warn", "audit")
    for suffix, value in (("", "restricted"), ("-version", "v1.29"))
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_tree(tmp_path_factory.mktemp("psa"))


def _pod_security_findings(tree: Path) -> list[str]:
    return sorted(f.message for f in Policies(POLICY).evaluate(load_documents(tree)) if f.rule == RULE)


def test_every_namespace_enforces_warns_and_audits_restricted(rendered: Path) -> None:
    """All but Istio's root namespace, where the CNI node agent mounts host paths (model/traffic/mesh.py)."""
    namespaces = [doc for _, doc in all_docs(rendered) if doc["kind"] == "Namespace"]
    assert len(namespaces) == 9  # shop, data and istio-system in each of the three cities
    for doc in namespaces:
        labels = doc["metadata"]["labels"]
        levels = {key: value for key, value in labels.items() if key.startswith("pod-security.")}
        if doc["metadata"]["name"] == "istio-system":
            assert levels == {**PSA, **{key: "privileged" for key in PSA if not key.endswith("-version")}}
        else:
            assert levels == PSA


def test_the_rendered_fleet_meets_the_profile_its_namespaces_enforce(rendered: Path) -> None:
    assert _pod_security_findings(rendered) == []


def test_a_rendered_pod_that_breaks_restricted_is_refused(rendered: Path, tmp_path: Path) -> None:
    tree = tmp_path / "dist"
    shutil.copytree(rendered, tree)
    path = tree / "jakarta" / "CronJob.postgres-recap.k8s.yaml"
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0
    path.write_text(yaml.safe_dump(doc))
    namespace = tree / "surabaya" / "Namespace.shop.k8s.yaml"
    ns: dict[str, Any] = yaml.safe_load(namespace.read_text())
    del ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
    namespace.write_text(yaml.safe_dump(ns))
    assert _pod_security_findings(tree) == [
        "CronJob/postgres-recap: namespace data enforces the restricted Pod Security profile, which refuses this pod: "
        "the pod runs as UID 0 (securityContext.runAsUser); give it a non-zero UID",
        "Namespace/shop: lacks pod-security.kubernetes.io/enforce; label it with the strictest Pod Security profile "
        "its pods meet (restricted) and a pinned Kubernetes version",
    ]
