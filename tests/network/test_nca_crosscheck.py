"""The gate's reachability evaluator agrees with network-config-analyzer on every city of `dist/`.

`fleet validate` judges flows with its own NetworkPolicy evaluator (`validate/reachability.py`). Here an
independent implementation, IBM's network-config-analyzer (`nca`, from PyPI, in `.venv-nca`), computes the
connectivity of the same rendered folder, and the two must agree for every pair of the city's workloads
and every TCP port any of them listens on (plus DNS), and for traffic to and from each other city's pod
network. nca sees only what is in the folder, as the evaluator does: namespaces outside it (monitoring,
istio-system) hold no pods for either.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from nusantara_fleet.validate.documents import load_documents
from nusantara_fleet.validate.flows import CityNetwork, pod_networks
from nusantara_fleet.validate.tree import Folder, PodTemplate, folders
from tests.support import ROOT

NCA = ROOT / ".venv-nca" / "bin" / "nca"
DNS_PORT = 53
LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")
# nca leaves `protocols:` out when the ports hold for every protocol.
GROUP = re.compile(r"\{(?:protocols:(?P<protocols>[A-Z, ]+),)?dst_ports:(?P<ports>[0-9,\-]+)\}")
RANGE = re.compile(r"^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$")

Endpoint = str  # `ns/name[Kind]` for a workload, `a.b.c.d-e.f.g.h` for addresses


@dataclass(frozen=True)
class Allowed:
    """What nca says one source may open to one destination."""

    every: bool
    tcp: frozenset[int]

    def admits(self, port: int) -> bool:
        return self.every or port in self.tcp


def _ports(text: str) -> set[int]:
    found: set[int] = set()
    for item in text.split(","):
        low, _, high = item.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def nca_connectivity(folder: Path) -> dict[tuple[Endpoint, Endpoint], Allowed]:
    if not NCA.is_file():
        pytest.fail(f"{NCA} is missing: run `make setup` (it installs tools/nca-requirements.txt)")
    run = subprocess.run(
        [str(NCA), "--connectivity", str(folder), "--resource_list", str(folder), "--output_format", "txt_no_fw_rules"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    answer: dict[tuple[Endpoint, Endpoint], Allowed] = {}
    for line in run.stdout.splitlines():
        match = LINE.match(line.strip())
        if match is None:
            continue
        conns = match["conns"]
        tcp = {
            port
            for group in GROUP.finditer(conns)
            if group["protocols"] is None or "TCP" in group["protocols"]
            for port in _ports(group["ports"])
        }
        answer[(match["src"], match["dst"])] = Allowed("All connections" in conns, frozenset(tcp))
    assert answer, f"nca printed no connectivity for {folder}:\n{run.stdout[-2000:]}"
    return answer


def _workload(template: PodTemplate) -> Endpoint:
    return f"{template.namespace}/{template.doc.name}[{template.doc.kind}]"


def _nca_allows(answer: dict[tuple[Endpoint, Endpoint], Allowed], src: Endpoint, dst: Endpoint, port: int) -> bool:
    found = answer.get((src, dst))
    return found is not None and found.admits(port)


def _within(endpoint: Endpoint, address: str) -> bool:
    match = RANGE.match(endpoint)
    if match is None:
        return False
    low, high = (ipaddress.IPv4Address(part) for part in match.groups())
    return low <= ipaddress.IPv4Address(address) <= high


def _nca_allows_address(
    answer: dict[tuple[Endpoint, Endpoint], Allowed], workload: Endpoint, address: str, port: int, *, outbound: bool
) -> bool:
    return any(
        allowed.admits(port)
        for (src, dst), allowed in answer.items()
        if (src == workload and _within(dst, address)) or (dst == workload and _within(src, address))
        if (src == workload) == outbound
    )


def disagreements(nca_folder: Path, folder: Folder, cidrs: dict[str, str]) -> list[str]:
    """Every (source, destination, port) where nca and the gate's evaluator answer differently."""
    answer = nca_connectivity(nca_folder)
    city = CityNetwork(folder, cidrs)
    ports = sorted({*city.ports, DNS_PORT})
    found = []
    for src in folder.templates:
        # nca folds a workload's pods into one node and prints no edge to itself; the members of one
        # StatefulSet talking to each other are checked by the policy tests.
        for dst in (template for template in folder.templates if template is not src):
            for port in ports:
                ours = city.allows(src, dst, port)
                theirs = _nca_allows(answer, _workload(src), _workload(dst), port)
                if ours != theirs:
                    found.append(f"{_workload(src)} -> {_workload(dst)}:{port}: gate {ours}, nca {theirs}")
        for other, remote in city.remote.items():
            assert remote.ip is not None
            for port in ports:
                out = (
                    city.allows(src, remote, port),
                    _nca_allows_address(answer, _workload(src), remote.ip, port, outbound=True),
                )
                ingress = city.network.open_ports(city.pods[id(src)], remote, "Ingress").admits(port, "TCP")
                inbound = (ingress, _nca_allows_address(answer, _workload(src), remote.ip, port, outbound=False))
                if out[0] != out[1]:
                    found.append(f"{_workload(src)} -> {other} pods:{port}: gate {out[0]}, nca {out[1]}")
                if inbound[0] != inbound[1]:
                    found.append(f"{other} pods -> {_workload(src)}:{port}: gate {inbound[0]}, nca {inbound[1]}")
    return found


@pytest.fixture(scope="module")
def tree() -> dict[str, Folder]:
    return folders(load_documents(ROOT / "dist"))


@pytest.mark.parametrize("city", ["bandung", "surabaya", "jakarta"])
def test_the_gate_and_network_config_analyzer_agree(tree: dict[str, Folder], city: str) -> None:
    cidrs = pod_networks(tree)
    assert city in cidrs and len(tree[city].templates) > 10
    assert disagreements(ROOT / "dist" / city, tree[city], cidrs) == []


def test_a_policy_only_one_side_sees_is_a_disagreement(tree: dict[str, Folder], tmp_path: Path) -> None:
    """The comparison fires: nca reads Bandung without the gateway's policy, the gate reads it with."""
    copy = tmp_path / "bandung"
    shutil.copytree(ROOT / "dist" / "bandung", copy)
    (copy / "NetworkPolicy.gateway.k8s.yaml").unlink()
    found = disagreements(copy, tree["bandung"], pod_networks(tree))
    assert any("shop/gateway[Deployment]" in line for line in found), found
