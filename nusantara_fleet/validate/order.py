"""`order.*`: Argo CD syncs nothing before what it needs, and no city's rollout waits on the gated city.

Inside a folder, Argo CD applies wave by wave (lowest first) and, within a wave, Namespaces before
ServiceAccounts, Secrets and ConfigMaps before workloads, waiting for each wave to be healthy. So an object
may share the wave of what it reads but never come before it (`order.wave`): its Namespace, the ConfigMaps,
Secrets (or ExternalSecrets), ServiceAccount, claims and StorageClass its pods use, and the workloads behind
every address its ConfigMaps name; a workload of another layer (`app.kubernetes.io/component`, e.g. the
data layer an app reads) must be healthy first, so it needs an earlier wave.

Across folders the order is the Application's place in the fleet's rollout (its sync wave under app of
apps, its RollingSync step under an ApplicationSet), then the wave inside. An app of one city that needs a
data layer of a city rolled out later is reported as a warning: the first rollout cannot finish.

`order.gate`: the gated city's Application (`fleet.nusantaramart.co.id/manual-gate`) syncs in the last
wave, and a RollingSync step that never syncs by itself (`maxUpdate: 0`) is the last step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.findings import Finding, Severity
from nusantara_fleet.validate.reachability import selects
from nusantara_fleet.validate.references import (
    Application,
    applications,
    pod_references,
    resolve,
    resolve_host,
    root_repository,
    service_targets,
)
from nusantara_fleet.validate.tree import Folder, PodTemplate, at, endpoints, entries, labels_of, namespace_of, wave

WAVE = "order.wave"
GATE = "order.gate"
RULES = (WAVE, GATE)


def _finding(doc: Document, rule: str, message: str, severity: Severity = "failure") -> Finding:
    return Finding(doc.path, rule, f"{doc.label}: {message}", severity, "cross-object")


def _needs(doc: Document, dependency: Document, why: str) -> Finding | None:
    if wave(dependency) <= wave(doc):
        return None
    return _finding(
        doc, WAVE, f"syncs in wave {wave(doc)}, before {dependency.label} (wave {wave(dependency)}) that {why}"
    )


def check_waves(folder: Folder) -> Iterator[Finding]:
    for doc in folder.documents:
        raw = at(doc.body, "metadata", "annotations", naming.SYNC_WAVE)
        if raw is not None and not (isinstance(raw, str) and raw.strip().lstrip("-").isdigit()):
            yield _finding(doc, WAVE, f"{naming.SYNC_WAVE} {raw!r} is not an integer")
        namespace = folder.get("Namespace", "", namespace_of(doc))
        if namespace is not None and doc.kind != "Namespace":
            found = _needs(doc, namespace, "holds it")
            if found:
                yield found
    for template in folder.templates:
        for reference in pod_references(template):
            dependency = resolve(folder, template.namespace, reference)
            if dependency is not None:
                found = _needs(template.doc, dependency, f"its {reference.where} needs")
                if found:
                    yield found


def _component(doc: Document) -> str | None:
    return labels_of(at(doc.body, "metadata", "labels")).get(naming.COMPONENT_LABEL)


# A folder's place in the fleet rollout: (position, the Application that syncs it).
Places = dict[str, tuple[int, Application]]


def _steps(appset: Document) -> list[dict[str, Any]]:
    return entries(at(appset.body, "spec", "strategy", "rollingSync", "steps"))


def _step_of(app: Application) -> int | None:
    for index, step in enumerate(_steps(app.doc)):
        if selects({"matchExpressions": step.get("matchExpressions") or []}, app.labels):
            return index
    return None


def places(folders: dict[str, Folder]) -> Places:
    """Where each folder of the tree comes in the fleet rollout, from the Applications that sync it."""
    found: Places = {}
    for folder in folders.values():
        repository = root_repository(folder)
        for app in applications(folder):
            for source in app.sources:
                path = str(source.get("path", ""))
                group = path.removeprefix(f"{naming.DIST_DIR}/")
                if source.get("repoURL") != repository or group == path or group == folder.name:
                    continue
                position = wave(app.doc) if app.doc.kind == "Application" else _step_of(app)
                if position is not None:
                    found[group] = (position, app)
    return found


def _backing(
    folders: dict[str, Folder], folder: Folder, template: PodTemplate
) -> Iterator[tuple[str, str, bool, Folder, PodTemplate]]:
    """(key, host, alternative, folder, workload) for every workload behind an address the pods read."""
    for name in template.config_maps_in_env():
        config_map = folder.get("ConfigMap", template.namespace, name)
        for endpoint in endpoints(config_map) if config_map is not None else []:
            served = resolve_host(folders, folder, endpoint.host)
            if served is None:
                continue
            owner, service = served
            for target in service_targets(owner, service):
                yield endpoint.key, endpoint.host, endpoint.alternative, owner, target


def check_reads(folders: dict[str, Folder], placed: Places) -> Iterator[Finding]:
    for folder in folders.values():
        for template in folder.templates:
            alternatives: dict[str, list[tuple[str, Folder, PodTemplate]]] = {}
            for key, host, alternative, owner, target in _backing(folders, folder, template):
                if alternative:
                    alternatives.setdefault(key, []).append((host, owner, target))
                    continue
                found = _read_order(placed, folder, template, owner, target, host)
                if found:
                    yield found
            # Of several hosts tried in turn, one synced earlier is enough.
            for choices in alternatives.values():
                problems = [
                    _read_order(placed, folder, template, owner, target, host) for host, owner, target in choices
                ]
                if all(problems):
                    yield from (problem for problem in problems if problem)


def _read_order(
    placed: Places, folder: Folder, reader: PodTemplate, owner: Folder, target: PodTemplate, host: str
) -> Finding | None:
    if target.doc is reader.doc:
        return None
    other_layer = _component(target.doc) != _component(reader.doc)
    if owner is folder:
        late = wave(target.doc) >= wave(reader.doc) if other_layer else wave(target.doc) > wave(reader.doc)
        if not late:
            return None
        return _finding(
            reader.doc,
            WAVE,
            f"syncs in wave {wave(reader.doc)}, but {target.doc.label} behind {host} syncs in wave "
            f"{wave(target.doc)}; "
            + (
                "another layer must be healthy first: give it an earlier wave"
                if other_layer
                else "it must not come later"
            ),
        )
    if folder.name not in placed or owner.name not in placed:
        return None
    (mine, my_app), (theirs, their_app) = placed[folder.name], placed[owner.name]
    if (theirs, wave(target.doc)) < (mine, wave(reader.doc)):
        return None
    return _finding(
        reader.doc,
        WAVE,
        f"reads {host}, served by {target.doc.label} of {owner.name}, which {their_app.label} syncs at "
        f"rollout position {theirs} (wave {wave(target.doc)}), after this city's {my_app.label} at position "
        f"{mine} (wave {wave(reader.doc)}): the first rollout cannot finish",
        "warning",
    )


def check_gate(folder: Folder) -> Iterator[Finding]:
    repository = root_repository(folder)
    children = [
        app
        for app in applications(folder)
        if app.doc.kind == "Application"
        and all(source.get("path") != f"{naming.DIST_DIR}/{folder.name}" for source in app.sources)
        and any(source.get("repoURL") == repository for source in app.sources)
    ]
    gated = [app for app in children if at(app.doc.body, "metadata", "annotations", naming.GATE_ANNOTATION) == "true"]
    for gate in gated:
        for app in children:
            if app not in gated and wave(app.doc) >= wave(gate.doc):
                yield _finding(
                    app.doc,
                    GATE,
                    f"syncs in wave {wave(app.doc)}, not before the gated {gate.label} (wave {wave(gate.doc)}): "
                    "its rollout would wait on the gated city's health; the gated city's Application must be the "
                    "last wave",
                )
    for appset in folder.of_kind("ApplicationSet"):
        steps = _steps(appset)
        for index, step in enumerate(steps[:-1]):
            if step.get("maxUpdate") in (0, "0", "0%"):
                yield _finding(
                    appset,
                    GATE,
                    f"RollingSync step {index + 1} of {len(steps)} has maxUpdate 0 (a manual gate), yet steps follow "
                    "it: their rollout would wait on the gated city's health; the gated step must be the last",
                )


def check(folders: dict[str, Folder]) -> list[Finding]:
    found: list[Finding] = []
    for folder in folders.values():
        found.extend(check_waves(folder))
        found.extend(check_gate(folder))
    found.extend(check_reads(folders, places(folders)))
    return found
