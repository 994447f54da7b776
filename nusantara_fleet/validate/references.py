"""`refs.*`: inside each folder of the tree, every object another one points at exists and fits.

Services select a pod template of their namespace (labels set at run time, `naming.RUNTIME_LABELS`, may be
set); PDBs and HPAs target a workload, and a PDB can let a pod go; what a pod template references exists in
its namespace (ConfigMaps, Secrets or the ExternalSecrets that write them, its ServiceAccount, claims, the
StorageClass of its claim templates); every address a ConfigMap names is a Service of the fleet; Ingress
and HTTPRoute backends are Services with that port; and every Argo CD Application (and each one an
ApplicationSet's list generator makes) syncs a folder of the tree to a destination its AppProject allows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.reachability import Selector
from nusantara_fleet.validate.tree import (
    SCALABLE,
    Folder,
    PodTemplate,
    at,
    endpoints,
    entries,
    labels_of,
    mapping,
    namespace_of,
    text,
)

SERVICE_SELECTOR = "refs.service-selector"
PDB_TARGET = "refs.pdb-target"
HPA_TARGET = "refs.hpa-target"
POD_REFERENCE = "refs.pod-reference"
ENDPOINT = "refs.endpoint"
BACKEND = "refs.backend"
APPLICATION = "refs.application"
RULES = (SERVICE_SELECTOR, PDB_TARGET, HPA_TARGET, POD_REFERENCE, ENDPOINT, BACKEND, APPLICATION)

# Kubernetes creates this ServiceAccount in every namespace.
DEFAULT_SERVICE_ACCOUNT = "default"
# Argo CD's own cluster, always registered; every other destination name needs a cluster Secret.
ARGOCD_CLUSTER_TYPE = "cluster"


def finding(doc: Document, rule: str, message: str) -> Finding:
    return Finding(doc.path, rule, f"{doc.label}: {message}", layer="cross-object")


def _selector_text(selector: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(selector.items()))


def selected_templates(
    folder: Folder, namespace: str, selector: Any, kinds: frozenset[str] | None = None
) -> list[PodTemplate]:
    """The pod templates of `namespace` a label selector selects, labels set at run time counted as set."""
    compiled = Selector.of(selector)
    return [
        template
        for template in folder.templates
        if template.namespace == namespace
        and (kinds is None or template.doc.kind in kinds)
        and compiled.matches(template.labels, naming.RUNTIME_LABELS)
    ]


def service_targets(folder: Folder, service: Document) -> list[PodTemplate]:
    """The pod templates a Service selects (none without a selector); each Service is matched once."""
    cached = folder.targets.get(id(service))
    if cached is None:
        selector = labels_of(at(service.body, "spec", "selector"))
        found = selected_templates(folder, namespace_of(service), {"matchLabels": selector}) if selector else []
        cached = folder.targets[id(service)] = found
    return cached


def check_services(folder: Folder) -> Iterator[Finding]:
    for service in folder.of_kind("Service"):
        selector = labels_of(at(service.body, "spec", "selector"))
        # Without a selector the Service's endpoints are managed by hand (or by a controller).
        if selector and not service_targets(folder, service):
            yield finding(
                service,
                SERVICE_SELECTOR,
                f"selector {{{_selector_text(selector)}}} matches no pod template in namespace {namespace_of(service)}",
            )


def _minimum_replicas(folder: Folder) -> dict[tuple[str, str, str], int]:
    """(namespace, kind, name) of each workload an HPA scales -> its minReplicas (Kubernetes' default 1)."""
    found = {}
    for hpa in folder.of_kind("HorizontalPodAutoscaler"):
        target = mapping(at(hpa.body, "spec", "scaleTargetRef"))
        minimum = at(hpa.body, "spec", "minReplicas")
        key = (namespace_of(hpa), str(target.get("kind")), str(target.get("name")))
        found[key] = minimum if isinstance(minimum, int) else 1
    return found


def _replicas(scaled: dict[tuple[str, str, str], int], workload: Document) -> int:
    """What the workload runs at least: its HPA's minReplicas when one scales it (the HPA owns the count),
    else `spec.replicas` (Kubernetes' default 1)."""
    key = (namespace_of(workload), workload.kind, workload.name)
    if key in scaled:
        return scaled[key]
    replicas = at(workload.body, "spec", "replicas")
    return replicas if isinstance(replicas, int) else 1


def _scaled(value: int | str, total: int) -> int | None:
    """An int-or-percent PDB bound as the disruption controller reads it (percentages round up)."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+%", value):
        return math.ceil(int(value[:-1]) * total / 100)
    return None


def check_disruption_budgets(folder: Folder) -> Iterator[Finding]:
    scaled = _minimum_replicas(folder)
    for pdb in folder.of_kind("PodDisruptionBudget"):
        namespace, selector = namespace_of(pdb), at(pdb.body, "spec", "selector")
        targets = selected_templates(folder, namespace, selector, SCALABLE)
        if not targets:
            yield finding(pdb, PDB_TARGET, f"selector matches no Deployment or StatefulSet in namespace {namespace}")
            continue
        replicas = sum(_replicas(scaled, template.doc) for template in targets)
        spec = mapping(pdb.body.get("spec"))
        workloads = ", ".join(template.doc.label for template in targets)
        if "minAvailable" in spec:
            minimum = _scaled(spec["minAvailable"], replicas)
            if minimum is not None and minimum >= replicas:
                yield finding(
                    pdb,
                    PDB_TARGET,
                    f"minAvailable {spec['minAvailable']} of {replicas} replicas ({workloads}) never lets a pod "
                    "be evicted, so a node drain blocks; it must stay below the replicas",
                )
        elif "maxUnavailable" in spec:
            maximum = _scaled(spec["maxUnavailable"], replicas)
            if maximum is not None and maximum < 1:
                yield finding(
                    pdb,
                    PDB_TARGET,
                    f"maxUnavailable {spec['maxUnavailable']} of {replicas} replicas ({workloads}) never lets a "
                    "pod be evicted, so a node drain blocks; it must allow at least 1",
                )


def check_autoscalers(folder: Folder) -> Iterator[Finding]:
    for hpa in folder.of_kind("HorizontalPodAutoscaler"):
        target = mapping(at(hpa.body, "spec", "scaleTargetRef"))
        kind, name = text(target.get("kind")) or "", text(target.get("name")) or ""
        if kind not in SCALABLE or folder.get(kind, namespace_of(hpa), name) is None:
            yield finding(
                hpa, HPA_TARGET, f"scaleTargetRef {kind}/{name} is not a workload in namespace {namespace_of(hpa)}"
            )


@dataclass(frozen=True)
class Reference:
    """One object a pod template needs: `kind` is ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim
    or StorageClass; `where` says which field names it."""

    kind: str
    name: str
    where: str


def pod_references(template: PodTemplate) -> list[Reference]:
    """What the pods need to start; `optional: true` references are left out, as the kubelet starts without them."""
    found: list[Reference] = []
    spec = template.spec

    def add(kind: str, name: Any, where: str, source: Any = None) -> None:
        if isinstance(name, str) and name and not (isinstance(source, dict) and source.get("optional") is True):
            found.append(Reference(kind, name, where))

    account = text(spec.get("serviceAccountName"))
    if account and account != DEFAULT_SERVICE_ACCOUNT:
        add("ServiceAccount", account, "serviceAccountName")
    for pull in entries(spec.get("imagePullSecrets")):
        add("Secret", pull.get("name"), "imagePullSecrets")
    for volume in entries(spec.get("volumes")):
        where = f"volume {volume.get('name')}"
        add("ConfigMap", at(volume, "configMap", "name"), where, volume.get("configMap"))
        add("Secret", at(volume, "secret", "secretName"), where, volume.get("secret"))
        add("PersistentVolumeClaim", at(volume, "persistentVolumeClaim", "claimName"), where)
        for source in entries(at(volume, "projected", "sources")):
            add("ConfigMap", at(source, "configMap", "name"), where, source.get("configMap"))
            add("Secret", at(source, "secret", "name"), where, source.get("secret"))
    for container in template.containers:
        where = f"container {container.get('name')}"
        for source in entries(container.get("envFrom")):
            add("ConfigMap", at(source, "configMapRef", "name"), f"{where} envFrom", source.get("configMapRef"))
            add("Secret", at(source, "secretRef", "name"), f"{where} envFrom", source.get("secretRef"))
        for variable in entries(container.get("env")):
            reference = f"{where} env {variable.get('name')}"
            config = at(variable, "valueFrom", "configMapKeyRef")
            secret = at(variable, "valueFrom", "secretKeyRef")
            add("ConfigMap", at(config, "name"), reference, config)
            add("Secret", at(secret, "name"), reference, secret)
    for claim in entries(at(template.doc.body, "spec", "volumeClaimTemplates")):
        add(
            "StorageClass",
            at(claim, "spec", "storageClassName"),
            f"volumeClaimTemplate {at(claim, 'metadata', 'name')}",
        )
    return found


def resolve(folder: Folder, namespace: str, reference: Reference) -> Document | None:
    if reference.kind == "Secret":
        return folder.secret_source(namespace, reference.name)
    return folder.get(reference.kind, "" if reference.kind == "StorageClass" else namespace, reference.name)


def check_pod_references(folder: Folder) -> Iterator[Finding]:
    for template in folder.templates:
        for reference in pod_references(template):
            if resolve(folder, template.namespace, reference) is None:
                where = "the cluster" if reference.kind == "StorageClass" else f"namespace {template.namespace}"
                produced = " nor written by an ExternalSecret" if reference.kind == "Secret" else ""
                yield finding(
                    template.doc,
                    POD_REFERENCE,
                    f"{reference.where} needs {reference.kind}/{reference.name}, which is not in {where}{produced}",
                )


def resolve_host(folders: dict[str, Folder], folder: Folder, host: str) -> tuple[Folder, Document] | None:
    """The Service behind a host a pod calls: a cluster-local name in its own folder, else the Service of
    any folder that publishes that name (`external-dns.alpha.kubernetes.io/hostname`). Kept per folder and
    host: every pod of a city names the same few hosts, and `folders` is always the whole tree."""
    if host not in folder.hosts:
        folder.hosts[host] = _resolve_host(folders, folder, host)
    return folder.hosts[host]


def _resolve_host(folders: dict[str, Folder], folder: Folder, host: str) -> tuple[Folder, Document] | None:
    local = folder.local_service(host)
    if local is not None:
        return folder, local
    for other in (folder, *(f for name, f in sorted(folders.items()) if name != folder.name)):
        published = other.published.get(host)
        if published is not None:
            return other, published
    return None


def _service_port(service: Document, number: int | None = None, name: str | None = None) -> bool:
    ports = entries(at(service.body, "spec", "ports"))
    return any(
        (number is not None and port.get("port") == number) or (name and port.get("name") == name) for port in ports
    )


def check_endpoints(folders: dict[str, Folder], folder: Folder) -> Iterator[Finding]:
    for config_map in folder.of_kind("ConfigMap"):
        for endpoint in endpoints(config_map):
            served = resolve_host(folders, folder, endpoint.host)
            if served is None:
                yield finding(
                    config_map,
                    ENDPOINT,
                    f"{endpoint.key} names {endpoint.host}, which is neither a Service of this city nor a name a "
                    "Service of the fleet publishes",
                )
            elif endpoint.port is not None and not _service_port(served[1], endpoint.port):
                yield finding(
                    config_map,
                    ENDPOINT,
                    f"{endpoint.key} names {endpoint.host}:{endpoint.port}, but {served[1].label} has no port "
                    f"{endpoint.port}",
                )


def _ingress_backends(ingress: Document) -> Iterator[dict[str, Any]]:
    spec = mapping(ingress.body.get("spec"))
    if "defaultBackend" in spec:
        yield mapping(at(spec, "defaultBackend", "service"))
    for rule in entries(spec.get("rules")):
        for path in entries(at(rule, "http", "paths")):
            yield mapping(at(path, "backend", "service"))


def check_backends(folder: Folder) -> Iterator[Finding]:
    for ingress in folder.of_kind("Ingress"):
        for backend in _ingress_backends(ingress):
            name, wanted = text(backend.get("name")) or "", mapping(backend.get("port"))
            service = folder.get("Service", namespace_of(ingress), name)
            number, port_name = wanted.get("number"), text(wanted.get("name"))
            if service is None:
                yield finding(ingress, BACKEND, f"backend Service/{name} is not in namespace {namespace_of(ingress)}")
            elif not _service_port(service, number if isinstance(number, int) else None, port_name):
                yield finding(ingress, BACKEND, f"backend Service/{name} has no port {port_name or number}")
    for route in folder.of_kind("HTTPRoute", "GRPCRoute"):
        for rule in entries(at(route.body, "spec", "rules")):
            for ref in entries(rule.get("backendRefs")):
                if (text(ref.get("kind")) or "Service") != "Service" or (text(ref.get("group")) or "") != "":
                    continue
                name = text(ref.get("name")) or ""
                namespace = text(ref.get("namespace")) or namespace_of(route)
                service = folder.get("Service", namespace, name)
                port = ref.get("port")
                if service is None:
                    yield finding(route, BACKEND, f"backendRef Service/{name} is not in namespace {namespace}")
                elif isinstance(port, int) and not _service_port(service, port):
                    yield finding(route, BACKEND, f"backendRef Service/{name} has no port {port}")


# ApplicationSet templates: `{{.city}}` (goTemplate) or `{{city}}` (fasttemplate), values from one element.
_PLACEHOLDER = re.compile(r"\{\{\s*\.?([A-Za-z0-9_.-]+)\s*\}\}")


def _substitute(value: Any, element: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda match: str(element.get(match.group(1), match.group(0))), value)
    if isinstance(value, dict):
        return {key: _substitute(item, element) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, element) for item in value]
    return value


@dataclass(frozen=True)
class Application:
    """An Argo CD Application as rendered, or as an ApplicationSet's list generator makes it."""

    doc: Document  # the Application, or the ApplicationSet that makes it
    name: str
    labels: dict[str, str]
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return self.doc.label if self.doc.kind == "Application" else f"{self.doc.label} (Application {self.name})"

    @property
    def sources(self) -> list[dict[str, Any]]:
        return entries(self.spec.get("sources")) or [mapping(self.spec.get("source"))]


def applications(folder: Folder) -> list[Application]:
    """Every Application of the folder, with an ApplicationSet's list elements substituted into its template
    (the other generators read live clusters or repositories, which the tree does not hold)."""
    found = [
        Application(doc, doc.name, labels_of(at(doc.body, "metadata", "labels")), mapping(doc.body.get("spec")))
        for doc in folder.of_kind("Application")
    ]
    for appset in folder.of_kind("ApplicationSet"):
        template = mapping(at(appset.body, "spec", "template"))
        for generator in entries(at(appset.body, "spec", "generators")):
            for element in entries(at(generator, "list", "elements")):
                made = mapping(_substitute(template, element))
                found.append(
                    Application(
                        appset,
                        text(at(made, "metadata", "name")) or "",
                        labels_of(at(made, "metadata", "labels")),
                        mapping(made.get("spec")),
                    )
                )
    return found


def root_repository(folder: Folder) -> str | None:
    """The repository the tree is committed to: the one the root Application (the Application that syncs
    the folder it lives in) syncs from."""
    own = f"{naming.DIST_DIR}/{folder.name}"
    for app in applications(folder):
        for source in app.sources:
            if text(source.get("path")) == own and text(source.get("repoURL")):
                return str(source["repoURL"])
    return None


def _glob(pattern: str, value: str) -> bool:
    """Argo CD's destination glob (`*`, `?`, `[…]`), a leading `!` negating it."""
    return not fnmatchcase(value, pattern[1:]) if pattern.startswith("!") else fnmatchcase(value, pattern)


def destination_allowed(project: Document, destination: dict[str, Any]) -> bool:
    """Argo CD's `AppProject.isDestinationMatched`: some destination matches the cluster (by name or server)
    and the namespace (the Application's own, "" when it names none), and no `!` pattern excludes it."""
    name, server = text(destination.get("name")) or "", text(destination.get("server")) or ""
    namespace = text(destination.get("namespace")) or ""
    matched, excluded = False, False
    for item in entries(at(project.body, "spec", "destinations")):
        pattern_name, pattern_server = text(item.get("name")) or "", text(item.get("server")) or ""
        pattern_namespace = text(item.get("namespace")) or ""
        name_ok = bool(name) and _glob(pattern_name, name)
        server_ok = bool(server) and _glob(pattern_server, server)
        namespace_ok = _glob(pattern_namespace, namespace)
        if (name_ok or server_ok) and namespace_ok:
            matched = True
        elif (
            (not name_ok and pattern_name.startswith("!"))
            or (not server_ok and pattern_server.startswith("!"))
            or (not namespace_ok and pattern_namespace.startswith("!"))
        ):
            excluded = True
    return matched and not excluded


def cluster_names(folder: Folder) -> set[str]:
    """The clusters Argo CD knows: its own, and each cluster Secret (or the ExternalSecret that writes one)."""
    names = {naming.IN_CLUSTER}
    for doc in folder.of_kind("Secret", "ExternalSecret"):
        if doc.kind == "Secret":
            labels, data = labels_of(at(doc.body, "metadata", "labels")), mapping(doc.body.get("stringData"))
        else:
            template = mapping(at(doc.body, "spec", "target", "template"))
            labels, data = labels_of(at(template, "metadata", "labels")), mapping(template.get("data"))
        if labels.get(naming.ARGOCD_SECRET_TYPE_LABEL) == ARGOCD_CLUSTER_TYPE and isinstance(data.get("name"), str):
            names.add(data["name"])
    return names


def _destination_text(destination: dict[str, Any]) -> str:
    cluster = text(destination.get("name")) or text(destination.get("server")) or "?"
    namespace = text(destination.get("namespace"))
    return f"{cluster} (namespace {namespace})" if namespace else f"{cluster} (no namespace)"


def check_applications(folder: Folder, folder_names: set[str]) -> Iterator[Finding]:
    repository, clusters = root_repository(folder), cluster_names(folder)
    for app in applications(folder):
        for source in app.sources:
            path = text(source.get("path"))
            if path is None or repository is None or source.get("repoURL") != repository:
                continue  # a chart, or another repository: not in this tree
            group = path.removeprefix(f"{naming.DIST_DIR}/")
            if group == path or group not in folder_names:
                yield Finding(
                    app.doc.path,
                    APPLICATION,
                    f"{app.label}: source.path {path} is not a folder of the rendered tree "
                    f"({naming.DIST_DIR}/<folder> holding manifests)",
                    layer="cross-object",
                )
        destination = mapping(app.spec.get("destination"))
        cluster = text(destination.get("name"))
        if cluster is not None and cluster not in clusters:
            yield Finding(
                app.doc.path,
                APPLICATION,
                f"{app.label}: destination cluster {cluster} is not registered (no cluster Secret names it)",
                layer="cross-object",
            )
        project_name = text(app.spec.get("project")) or ""
        project = folder.get("AppProject", namespace_of(app.doc), project_name)
        if project is None:
            yield Finding(
                app.doc.path,
                APPLICATION,
                f"{app.label}: AppProject/{project_name} is not in the tree",
                layer="cross-object",
            )
        elif not destination_allowed(project, destination):
            yield Finding(
                app.doc.path,
                APPLICATION,
                f"{app.label}: destination {_destination_text(destination)} is not allowed by AppProject/"
                f"{project_name}, so Argo CD refuses to sync it",
                layer="cross-object",
            )


def check(folders: dict[str, Folder]) -> list[Finding]:
    names = set(folders)
    found: list[Finding] = []
    for folder in folders.values():
        found.extend(check_services(folder))
        found.extend(check_disruption_budgets(folder))
        found.extend(check_autoscalers(folder))
        found.extend(check_pod_references(folder))
        found.extend(check_endpoints(folders, folder))
        found.extend(check_backends(folder))
        found.extend(check_applications(folder, names))
    return found
