"""A rendered tree read as objects that point at each other: per folder (a city, or `fleet`), every object by
kind, namespace and name, every pod template, and what a pod template references.

Every accessor tolerates bodies of the wrong shape (a string where a mapping belongs): the schema layer
reports those, and this layer must still finish on them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from nusantara_fleet import naming
from nusantara_fleet.validate.documents import Document

# Kinds whose pods Kubernetes creates from a template, and where that template sits in the body.
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}
SCALABLE = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})  # what a PDB or an HPA can act on
# Namespaced objects rendered without a namespace land in the Argo CD destination's; a tree's own
# objects always carry one, so `default` only names where such an object would go.
DEFAULT_NAMESPACE = "default"
CLUSTER_SCOPED = frozenset(
    {"Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "IngressClass", "GatewayClass"}
    | {"CustomResourceDefinition", "PersistentVolume", "ClusterSecretStore", "ClusterIssuer"}
)


def at(value: Any, *keys: str) -> Any:
    """`value[k1][k2]…`, or None as soon as a step is not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list (anything else in it is the schema layer's to report)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def labels_of(value: Any) -> dict[str, str]:
    return {key: item for key, item in mapping(value).items() if isinstance(item, str)}


def wave(doc: Document) -> int:
    """The Argo CD sync wave (`argocd.argoproj.io/sync-wave`, 0 when absent, as Argo CD reads it); a value
    Argo CD cannot parse is reported by `order.wave`, and counts as 0 here like Argo CD's own fallback."""
    raw = at(doc.body, "metadata", "annotations", naming.SYNC_WAVE)
    try:
        return int(raw) if isinstance(raw, str) else 0
    except ValueError:
        return 0


def namespace_of(doc: Document) -> str:
    """The object's namespace; "" for cluster-scoped kinds."""
    if doc.kind in CLUSTER_SCOPED:
        return ""
    return text(at(doc.body, "metadata", "namespace")) or DEFAULT_NAMESPACE


@dataclass(frozen=True)
class Port:
    number: int
    name: str | None
    protocol: str


@dataclass(frozen=True)
class PodTemplate:
    """The pods one workload runs: its document, namespace, template labels and pod spec."""

    doc: Document
    namespace: str
    labels: dict[str, str]
    spec: dict[str, Any]

    @cached_property
    def containers(self) -> list[dict[str, Any]]:
        return entries(self.spec.get("initContainers")) + entries(self.spec.get("containers"))

    @cached_property
    def ports(self) -> list[Port]:
        return [
            Port(port["containerPort"], text(port.get("name")), text(port.get("protocol")) or "TCP")
            for container in self.containers
            for port in entries(container.get("ports"))
            if isinstance(port.get("containerPort"), int)
        ]

    def config_maps_in_env(self) -> list[str]:
        """The ConfigMaps whose every key becomes an environment variable (`envFrom`)."""
        return [
            name
            for container in self.containers
            for source in entries(container.get("envFrom"))
            if (name := text(at(source, "configMapRef", "name")))
        ]


def pod_template(doc: Document) -> PodTemplate | None:
    path = _TEMPLATE_PATHS.get(doc.kind)
    if path is None:
        return None
    template = at(doc.body, *path) if path else doc.body
    spec = at(template, "spec")
    if not isinstance(spec, dict):
        return None
    return PodTemplate(doc, namespace_of(doc), labels_of(at(template, "metadata", "labels")), spec)


@dataclass(frozen=True)
class Endpoint:
    """An address a pod is configured to call: a `ConfigMap` key it reads (`DB_READ_HOST`), host and port."""

    config_map: Document
    key: str
    host: str
    port: int | None
    alternative: bool  # one of several hosts (`*_HOSTS`): any one of them serves


# The keys of a service's ConfigMap that name what it calls, as the workloads model writes them:
# `<X>_HOST` with its `<X>_PORT`, `<X>_HOSTS` (host:port,…, tried in turn) and the gateway's `ROUTES`
# (JSON: each route's `upstreams[].url`).
HOST_SUFFIX, PORT_SUFFIX, HOSTS_SUFFIX, ROUTES_KEY = "_HOST", "_PORT", "_HOSTS", "ROUTES"


def endpoints(config_map: Document) -> list[Endpoint]:
    data = {key: value for key, value in mapping(config_map.body.get("data")).items() if isinstance(value, str)}
    found: list[Endpoint] = []
    for key, value in sorted(data.items()):
        if key.endswith(HOST_SUFFIX):
            port = data.get(key.removesuffix(HOST_SUFFIX) + PORT_SUFFIX, "")
            found.append(Endpoint(config_map, key, value, _number(port), False))
        elif key.endswith(HOSTS_SUFFIX):
            for item in value.split(","):
                host, _, port = item.strip().rpartition(":")
                found.append(Endpoint(config_map, key, host, _number(port), True))
        elif key == ROUTES_KEY:
            found.extend(Endpoint(config_map, key, host, port, False) for host, port in _route_upstreams(value))
    return found


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _route_upstreams(value: str) -> Iterator[tuple[str, int | None]]:
    try:
        routes = json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser follows
        return
    for route in entries(routes):
        for upstream in entries(route.get("upstreams")):
            url = text(upstream.get("url"))
            if url:
                parts = urlsplit(url)
                try:
                    port = parts.port
                except ValueError:
                    port = None
                if parts.hostname:
                    yield parts.hostname, port or (443 if parts.scheme == "https" else 80)


CLUSTER_DOMAIN = "svc.cluster.local"


@dataclass
class Folder:
    """One folder of the tree: what one Argo CD Application syncs."""

    name: str
    documents: list[Document] = field(default_factory=list)
    objects: dict[tuple[str, str, str], Document] = field(default_factory=dict)
    templates: list[PodTemplate] = field(default_factory=list)
    published: dict[str, Document] = field(default_factory=dict)  # external-dns hostname -> Service
    kinds: dict[str, list[Document]] = field(default_factory=dict)
    targets: dict[int, list[PodTemplate]] = field(default_factory=dict)  # a Service's, by id(document)
    hosts: dict[str, tuple[Folder, Document] | None] = field(default_factory=dict)  # resolved, by host

    def get(self, kind: str, namespace: str, name: str) -> Document | None:
        return self.objects.get((kind, namespace, name))

    def of_kind(self, *kinds: str) -> list[Document]:
        return [doc for kind in kinds for doc in self.kinds.get(kind, [])]

    def secret_source(self, namespace: str, name: str) -> Document | None:
        """The Secret, or the first ExternalSecret that writes it (`spec.target.name`, else its own name)."""
        return self.get("Secret", namespace, name) or self._written_secrets.get((namespace, name))

    @cached_property
    def _written_secrets(self) -> dict[tuple[str, str], Document]:
        written: dict[tuple[str, str], Document] = {}
        for doc in self.of_kind("ExternalSecret"):
            target = text(at(doc.body, "spec", "target", "name")) or doc.name
            written.setdefault((namespace_of(doc), target), doc)
        return written

    def local_service(self, host: str) -> Document | None:
        """The Service a cluster-local name (`svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) points at."""
        parts = host.split(".")
        if len(parts) < 2 or ".".join(parts[2:]) not in ("", "svc", CLUSTER_DOMAIN):
            return None
        return self.get("Service", parts[1], parts[0])


def folders(documents: list[Document]) -> dict[str, Folder]:
    by_name: dict[str, Folder] = defaultdict(lambda: Folder(""))
    for doc in documents:
        folder = by_name[doc.group]
        folder.name = doc.group
        folder.documents.append(doc)
        folder.kinds.setdefault(doc.kind, []).append(doc)
        folder.objects.setdefault((doc.kind, namespace_of(doc), doc.name), doc)
        template = pod_template(doc)
        if template is not None:
            folder.templates.append(template)
        if doc.kind == "Service":
            hostnames = text(at(doc.body, "metadata", "annotations", naming.EXTERNAL_DNS_HOSTNAME)) or ""
            for hostname in filter(None, (item.strip() for item in hostnames.split(","))):
                folder.published.setdefault(hostname, doc)
    return dict(by_name)
