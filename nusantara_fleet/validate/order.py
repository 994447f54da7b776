"""`order.*`: Argo CD syncs nothing before what it needs, and no city's rollout waits on the gated city.

Inside a folder, Argo CD applies wave by wave (lowest first) and, within a wave, Namespaces before
ServiceAccounts, Secrets and ConfigMaps before workloads, waiting for each wave to be healthy. So an object
may share the wave of what it reads but never come before it (`order.wave`): its Namespace, the ConfigMaps,
Secrets (or ExternalSecrets), ServiceAccount, claims and StorageClass its pods use, and the workloads behind
every address its ConfigMaps name; a workload of another layer (`app.kubernetes.io/component`, e.g. the
data layer an app reads) must be healthy first, so it needs an earlier wave.

Across folders the order is the Application's place in the fleet's rollout (its sync wave under app of
apps, its RollingSync step under an ApplicationSet, after the root's own Applications), then the wave
inside. A folder may be split between Applications by `directory.include`/`exclude` file globs (a city's
data layer and its apps): each document is placed by the Application that syncs its file, and a document
that none or two of them sync is a failure. An app that needs a data layer synced later is reported as a
warning: the first rollout cannot finish.

`order.charts`: a chart (an Application of a Helm chart) starts after what the fleet renders into its
namespace for it to read at start: the Namespace (its Pod Security and mesh labels admit the chart's pods)
and the Secrets and ExternalSecrets (a pod mounts a Secret when it starts: it waits for a missing one, and
istiod reads its CA once, signing with a CA of its own if `cacerts` is not there yet). The Application
that syncs them must come at an earlier rollout position than the chart's own.

`order.gate`: the gated city's Application (`fleet.nusantaramart.co.id/manual-gate`) syncs in the last
wave of its layer (`fleet.nusantaramart.co.id/layer`), every data Application shares one wave before every
apps Application, and a RollingSync step that never syncs by itself (`maxUpdate: 0`) is the last step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
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
from nusantara_fleet.validate.tree import (
    Folder,
    PodTemplate,
    at,
    endpoints,
    entries,
    labels_of,
    mapping,
    namespace_of,
    wave,
)

WAVE = "order.wave"
CHARTS = "order.charts"
GATE = "order.gate"
RULES = (WAVE, CHARTS, GATE)
# What a chart's pods read from their namespace at start (see the module docstring); ConfigMaps such as the
# dashboards are watched by the chart's sidecars and may come later.
CHART_INPUT_KINDS = frozenset({"Namespace", "Secret", "ExternalSecret"})


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


_BRACES = re.compile(r"\{([^{}]*)\}")


@lru_cache(maxsize=1024)
def _alternatives(pattern: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """A glob's `{a,b}` alternatives expanded: the plain names (matched as a set) and the wildcard patterns."""
    found = _BRACES.search(pattern)
    if found is None:
        wild = any(char in pattern for char in "*?[")
        return (frozenset(), (pattern,)) if wild else (frozenset({pattern}), ())
    head, tail = pattern[: found.start()], pattern[found.end() :]
    names: set[str] = set()
    patterns: list[str] = []
    for choice in found.group(1).split(","):
        more_names, more_patterns = _alternatives(head + choice + tail)
        names |= more_names
        patterns += more_patterns
    return frozenset(names), tuple(patterns)


def glob_match(pattern: str, name: str) -> bool:
    """Argo CD's `directory.include`/`exclude` glob on a file's path in the folder: `*`, `?`, `[…]` and
    `{a,b}` alternatives."""
    names, patterns = _alternatives(pattern)
    return name in names or any(fnmatchcase(name, each) for each in patterns)


@dataclass(frozen=True)
class Place:
    """Where an Application syncing (part of) a folder comes in the fleet rollout, and which files it takes."""

    position: int
    app: Application
    include: str | None
    exclude: str | None

    def syncs(self, doc: Document) -> bool:
        if self.include and not glob_match(self.include, doc.file_name):
            return False
        return not (self.exclude and glob_match(self.exclude, doc.file_name))


# Each folder of the tree: the Applications that sync it.
Places = dict[str, list[Place]]


def _steps(appset: Document) -> list[dict[str, Any]]:
    return entries(at(appset.body, "spec", "strategy", "rollingSync", "steps"))


def _step_of(app: Application) -> int | None:
    for index, step in enumerate(_steps(app.doc)):
        if selects({"matchExpressions": step.get("matchExpressions") or []}, app.labels):
            return index
    return None


def places(folders: dict[str, Folder]) -> Places:
    """Where each folder of the tree comes in the fleet rollout, from the Applications that sync it.

    An ApplicationSet's steps start after the wave it is created in, so its Applications come after the
    root's own Applications of earlier waves."""
    found: Places = {}
    for folder in folders.values():
        repository = root_repository(folder)
        for app in applications(folder):
            for source in app.sources:
                path = str(source.get("path", ""))
                group = path.removeprefix(f"{naming.DIST_DIR}/")
                if source.get("repoURL") != repository or group == path or group == folder.name:
                    continue
                step = None if app.doc.kind == "Application" else _step_of(app)
                if app.doc.kind != "Application" and step is None:
                    continue
                position = wave(app.doc) + (step or 0)
                directory = mapping(source.get("directory"))
                include, exclude = directory.get("include"), directory.get("exclude")
                found.setdefault(group, []).append(
                    Place(
                        position,
                        app,
                        include if isinstance(include, str) else None,
                        exclude if isinstance(exclude, str) else None,
                    )
                )
    return found


def place_of(placed: Places, folder: Folder, doc: Document) -> Place | None:
    return next((place for place in placed.get(folder.name, []) if place.syncs(doc)), None)


def check_split(folders: dict[str, Folder], placed: Places) -> Iterator[Finding]:
    """Every document of a folder that Applications split by file globs is synced by exactly one of them."""
    for folder in folders.values():
        split = [place for place in placed.get(folder.name, []) if place.include or place.exclude]
        if not split:
            continue
        for doc in folder.documents:
            owners = [place.app.label for place in placed[folder.name] if place.syncs(doc)]
            if len(owners) != 1:
                yield _finding(
                    doc,
                    WAVE,
                    f"synced by {len(owners)} Applications ({', '.join(owners) or 'none'}): their "
                    "directory.include/exclude must give each file of the folder to exactly one",
                )


def backing(
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
            for key, host, alternative, owner, target in backing(folders, folder, template):
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
    mine, theirs = place_of(placed, folder, reader.doc), place_of(placed, owner, target.doc)
    if owner is folder and (mine is None or theirs is None or mine.app is theirs.app):
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
    if mine is None or theirs is None:
        return None
    if (theirs.position, wave(target.doc)) < (mine.position, wave(reader.doc)):
        return None
    return _finding(
        reader.doc,
        WAVE,
        f"reads {host}, served by {target.doc.label} of {owner.name}, which {theirs.app.label} syncs at "
        f"rollout position {theirs.position} (wave {wave(target.doc)}), after this city's {mine.app.label} "
        f"at position {mine.position} (wave {wave(reader.doc)}): the first rollout cannot finish",
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

    def layer(app: Application) -> str:
        return app.labels.get(naming.LAYER_LABEL, "")

    gated = [app for app in children if at(app.doc.body, "metadata", "annotations", naming.GATE_ANNOTATION) == "true"]
    # The data layers share one wave (below): the health check never waits on the gated one, and the other
    # cities' data layers wait on it by themselves, which the human's one bootstrap sync resolves.
    for gate in (gate for gate in gated if layer(gate) != "data"):
        for app in children:
            if app not in gated and layer(app) == layer(gate) and wave(app.doc) >= wave(gate.doc):
                yield _finding(
                    app.doc,
                    GATE,
                    f"syncs in wave {wave(app.doc)}, not before the gated {gate.label} (wave {wave(gate.doc)}): "
                    "its rollout would wait on the gated city's health; the gated city's Application must be the "
                    "last wave",
                )
    data = [app for app in children if layer(app) == "data"]
    data_waves = sorted({wave(app.doc) for app in data})
    if len(data_waves) > 1:
        for app in data:
            if wave(app.doc) != data_waves[0]:
                yield _finding(
                    app.doc,
                    GATE,
                    f"syncs in wave {wave(app.doc)}, not with the other data Applications (wave {data_waves[0]}): "
                    "the etcd quorum and the Patroni cluster form only when every city's data layer is applied "
                    "together",
                )
    for app in children:
        # A platform Application holds what the charts read, so it comes before them and every data layer.
        if layer(app) not in ("data", "platform") and data_waves and wave(app.doc) <= data_waves[-1]:
            yield _finding(
                app.doc,
                GATE,
                f"syncs in wave {wave(app.doc)}, not after every data Application (wave {data_waves[-1]}): "
                "the apps start before the data layer they read",
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


def check_charts(folders: dict[str, Folder], placed: Places) -> Iterator[Finding]:
    for folder in folders.values():
        for app in applications(folder):
            if not any(source.get("chart") for source in app.sources):
                continue
            destination = mapping(app.spec.get("destination"))
            city, namespace = folders.get(str(destination.get("name", ""))), destination.get("namespace")
            if city is None or not namespace:
                continue
            for doc in city.documents:
                if doc.kind not in CHART_INPUT_KINDS:
                    continue
                if (doc.name if doc.kind == "Namespace" else namespace_of(doc)) != namespace:
                    continue
                owner = place_of(placed, city, doc)
                if owner is None or owner.position < wave(app.doc):
                    continue
                yield _finding(
                    app.doc,
                    CHARTS,
                    f"starts at rollout position {wave(app.doc)}, before {doc.label} of {city.name}, which "
                    f"{owner.app.label} syncs at position {owner.position}: the chart's pods start without it; "
                    "sync it in an earlier wave",
                )


def check(folders: dict[str, Folder]) -> list[Finding]:
    found: list[Finding] = []
    for folder in folders.values():
        found.extend(check_waves(folder))
        found.extend(check_gate(folder))
    placed = places(folders)
    found.extend(check_split(folders, placed))
    found.extend(check_reads(folders, placed))
    found.extend(check_charts(folders, placed))
    return found
