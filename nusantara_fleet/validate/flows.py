"""`network.*`: the NetworkPolicies of each city let through exactly the flows its pods need.

The gate reads only the rendered tree, so the needed flows come from it: every address a pod reads from
the ConfigMaps of its `envFrom` (`*_HOST` with `*_PORT`, each `host:port` of `*_HOSTS`, the upstream URLs
of the gateway's `ROUTES`), resolved to the Service behind it (cluster-local names in the same city, names
published by external-dns in any city) and on to the pods that Service selects and the container port its
`targetPort` names. A pod in another city is reached at an address of that city's pod network
(`fleet-topology`'s `pod_cidr`), so only `ipBlock` rules can allow it.

`network.flow`: a needed flow the policies block. `network.open`: a pod that reads its addresses from
ConfigMaps may reach a pod of its city, or another city's pod network, on a port no address of it names.
Flows of pods that take no addresses from ConfigMaps (Patroni, etcd, the edge and monitoring, which live
outside the tree) are not derived here; the policy tests cover them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.reachability import Network, Pod
from nusantara_fleet.validate.references import resolve_host, service_targets
from nusantara_fleet.validate.tree import Folder, PodTemplate, at, endpoints, entries, mapping, namespace_of

FLOW = "network.flow"
OPEN = "network.open"
RULES = (FLOW, OPEN)
TOPOLOGY_KEY = "cities.json"  # in ConfigMap `naming.FLEET_TOPOLOGY`: each city's pod_cidr


@dataclass(frozen=True)
class Flow:
    src: PodTemplate
    dst: PodTemplate | None  # None: a pod of another city, reached by address
    city: str  # the destination's city
    port: int
    via: str  # what names it: `KEY host:port`


def pod_networks(folders: dict[str, Folder]) -> dict[str, str]:
    """Each city's pod network, from the fleet's topology ConfigMap."""
    for folder in folders.values():
        for doc in folder.of_kind("ConfigMap"):
            if doc.name != naming.FLEET_TOPOLOGY:
                continue
            try:
                cities = json.loads(str(mapping(doc.body.get("data")).get(TOPOLOGY_KEY, "{}")))
            except (ValueError, RecursionError):
                return {}
            return {
                city: facts["pod_cidr"]
                for city, facts in mapping(cities).items()
                if isinstance(facts, dict) and isinstance(facts.get("pod_cidr"), str)
            }
    return {}


def _target_port(service: Document, port: int, target: PodTemplate) -> int | None:
    """The container port a Service port leads to on `target` (`targetPort` by number or by name)."""
    for item in entries(at(service.body, "spec", "ports")):
        if item.get("port") != port:
            continue
        wanted = item.get("targetPort", port)
        if isinstance(wanted, int):
            return wanted
        return next((p.number for p in target.ports if p.name == wanted), None)
    return None


def needed_flows(folders: dict[str, Folder], folder: Folder, template: PodTemplate) -> Iterator[Flow]:
    for name in template.config_maps_in_env():
        config_map = folder.get("ConfigMap", template.namespace, name)
        for endpoint in endpoints(config_map) if config_map is not None else []:
            served = resolve_host(folders, folder, endpoint.host)
            if served is None or endpoint.port is None:
                continue  # refs.endpoint reports it
            owner, service = served
            for target in service_targets(owner, service):
                number = _target_port(service, endpoint.port, target)
                if number is not None:
                    via = f"{endpoint.key} {endpoint.host}:{endpoint.port}"
                    yield Flow(template, target if owner is folder else None, owner.name, number, via)


def _address(cidr: str, index: int) -> str | None:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return str(network[index]) if network.num_addresses > index else None


class CityNetwork:
    """One city's policies with the pods of its tree, each at an address of the city's pod network."""

    def __init__(self, folder: Folder, cidrs: dict[str, str]) -> None:
        own = cidrs.get(folder.name)
        self.pods = {
            id(template): Pod(template.namespace, template.labels, _address(own, 10 + index) if own else None)
            for index, template in enumerate(folder.templates)
        }
        # Another city's pods, seen from here: one address of its pod network stands for all of them.
        self.remote = {
            city: Pod(None, ip=address)
            for city, cidr in sorted(cidrs.items())
            if city != folder.name and (address := _address(cidr, 10))
        }
        # Each policy with its namespace spelled out, the evaluator's one reading of where it applies; every
        # pod asked about is given up front, so each rule's peers are matched once against all of them.
        self.network = Network(
            [
                {**doc.body, "metadata": {**mapping(doc.body.get("metadata")), "namespace": namespace_of(doc)}}
                for doc in folder.of_kind("NetworkPolicy")
            ],
            [*self.pods.values(), *self.remote.values()],
        )
        # What another city's pods listen on is taken to be what this city's do: every city runs the same.
        self.ports = sorted(
            {port.number for other in folder.templates for port in other.ports if port.protocol == "TCP"}
        )

    def allows(self, src: PodTemplate, dst: PodTemplate | Pod, port: int) -> bool:
        source = self.pods[id(src)]
        if isinstance(dst, Pod):  # outside this cluster: only the source's egress applies here
            return self.network.sends(source, dst, port)
        return self.network.allows(source, self.pods[id(dst)], port)


def _finding(doc: Document, rule: str, message: str) -> Finding:
    return Finding(doc.path, rule, f"{doc.label}: {message}", layer="cross-object")


def check_city(folders: dict[str, Folder], folder: Folder, cidrs: dict[str, str]) -> Iterator[Finding]:
    network: CityNetwork | None = None
    for template in folder.templates:
        if not template.config_maps_in_env():
            continue
        network = network or CityNetwork(folder, cidrs)
        needed: set[tuple[str, int | None, int]] = set()
        for flow in needed_flows(folders, folder, template):
            destination = flow.dst or network.remote.get(flow.city)
            if destination is None:
                continue
            key = id(flow.dst) if flow.dst is not None else None
            needed.add((flow.city, key, flow.port))
            if not network.allows(template, destination, flow.port):
                shown = flow.dst.doc.label if flow.dst is not None else f"the pods of {flow.city}"
                yield _finding(
                    template.doc,
                    FLOW,
                    f"{flow.via} needs {shown} on port {flow.port}, which the NetworkPolicies of {folder.name} block",
                )
        yield from _extra(network, folder, template, needed, cidrs)


def _extra(
    network: CityNetwork,
    folder: Folder,
    template: PodTemplate,
    needed: set[tuple[str, int | None, int]],
    cidrs: dict[str, str],
) -> Iterator[Finding]:
    for other in folder.templates:
        if other is template:
            continue
        sent = network.network.open_ports(network.pods[id(template)], network.pods[id(other)], "Egress")
        if not sent.any():
            continue  # the usual case, settled without looking at a single port
        opened = [
            port.number
            for port in other.ports
            if port.protocol == "TCP"
            and (folder.name, id(other), port.number) not in needed
            and network.allows(template, other, port.number)
        ]
        if opened:
            yield _finding(
                template.doc,
                OPEN,
                f"may reach {other.doc.label} on port {', '.join(map(str, sorted(set(opened))))}, which no "
                "address in its ConfigMaps names",
            )
    for city, remote in network.remote.items():
        sent = network.network.open_ports(network.pods[id(template)], remote, "Egress")
        if not sent.any():
            continue
        opened = [port for port in network.ports if (city, None, port) not in needed and sent.admits(port, "TCP")]
        if opened:
            yield _finding(
                template.doc,
                OPEN,
                f"may reach the pod network of {city} ({cidrs[city]}) on port {', '.join(map(str, opened))}, "
                "which no address in its ConfigMaps names",
            )


def check(folders: dict[str, Folder]) -> list[Finding]:
    cidrs = pod_networks(folders)
    return [found for folder in folders.values() for found in check_city(folders, folder, cidrs)]
