"""The first rollout from empty clusters, replayed from the rendered Applications as Argo CD orders them.

The root syncs dist/fleet wave by wave (then kind, then name) and starts a wave only once every Application
of the previous one reads Healthy in the health check of argocd-cm (a gated Application always does). An
Application without automated sync waits for a human; an ApplicationSet's RollingSync step waits for the
previous step's Applications, and a `maxUpdate: 0` step for a human. A workload is ready once what it needs
runs: an etcd member needs a majority of its `--initial-cluster`, a Patroni member its city's etcd member and,
unless it is the primary, the primary's member; any pod needs the workloads behind the addresses its
ConfigMaps name. A chart must start in a later wave than what its namespace holds for it to read at start
(`order.CHART_INPUT_KINDS`: istiod's `cacerts`, Alertmanager's receivers, the namespace's labels): one that
starts before would run without it (istiod signs with a CA of its own) until restarted by hand, which the
replay records. The replay must converge with exactly the manual steps the model lists (and the README
prints), with no chart started early, and must get stuck on an order that cannot finish.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from nusantara_fleet import naming
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.delivery import ManualStep
from nusantara_fleet.validate import order
from nusantara_fleet.validate.documents import Document, load_documents
from nusantara_fleet.validate.order import backing, place_of, places
from nusantara_fleet.validate.references import Application, applications
from nusantara_fleet.validate.tree import Folder, PodTemplate, at, folders, labels_of, namespace_of, wave
from tests.support import render_variant, set_rollout

STRATEGIES = ["app-of-apps", "application-set"]


class Stuck(Exception):
    pass


@dataclass
class Replay:
    tree: dict[str, Folder]
    steps: tuple[ManualStep, ...]
    synced: set[str] = field(default_factory=set)
    done: list[str] = field(default_factory=list)  # the manual steps a human took, by command
    early: list[str] = field(default_factory=list)  # charts started before an object they read at start
    synced_in: dict[str, int] = field(default_factory=dict)  # Application -> the root's wave it synced in

    @property
    def fleet(self) -> Folder:
        return self.tree[naming.FLEET_FOLDER]

    def owner(self, folder: Folder, doc: Document) -> str | None:
        place = place_of(self.placed, folder, doc)
        return None if place is None else place.app.name

    def __post_init__(self) -> None:
        self.placed = places(self.tree)
        self.apps = {app.name: app for app in applications(self.fleet) if app.spec.get("project") != self.root}
        self.etcd = [
            (folder, t) for folder in self.tree.values() for t in folder.templates if _initial_cluster(t) is not None
        ]

    @property
    def root(self) -> str:
        return next(
            app.name for app in applications(self.fleet) if app.sources[0].get("path") == f"dist/{self.fleet.name}"
        )

    def ready(self) -> set[int]:
        """The pod templates that run, by id of their document: the fixpoint of what each needs."""
        running = {
            id(t.doc): (folder, t)
            for folder in self.tree.values()
            if folder.name != naming.FLEET_FOLDER
            for t in folder.templates
            if self.owner(folder, t.doc) in self.synced
        }
        ready: set[int] = set()
        while True:
            grown = {
                key for key, (folder, t) in running.items() if key not in ready and self._needs_met(folder, t, ready)
            }
            if not grown:
                return ready
            ready |= grown

    def _needs_met(self, folder: Folder, template: PodTemplate, ready: set[int]) -> bool:
        members = _initial_cluster(template)
        if members is not None:
            applied = sum(1 for f, t in self.etcd if self.owner(f, t.doc) in self.synced)
            return applied > members // 2
        role = labels_of(at(template.doc.body, "metadata", "labels")).get(naming.DATABASE_ROLE_LABEL)
        if role is not None:
            own_etcd = [t for f, t in self.etcd if f is folder]
            primaries = [
                t
                for f in self.tree.values()
                for t in f.templates
                if labels_of(at(t.doc.body, "metadata", "labels")).get(naming.DATABASE_ROLE_LABEL) == "primary"
                and t.doc.kind == "StatefulSet"
            ]
            if not all(id(t.doc) in ready for t in own_etcd):
                return False
            if role != "primary" and not all(id(t.doc) in ready for t in primaries):
                return False
        return all(
            id(target.doc) in ready or target.doc is template.doc
            for _key, _host, _alternative, _owner, target in backing(self.tree, folder, template)
        )

    def healthy(self, name: str, ready: set[int]) -> bool:
        if name not in self.synced:
            return False
        return all(
            id(t.doc) in ready
            for folder in self.tree.values()
            for t in folder.templates
            if self.owner(folder, t.doc) == name
        )

    def waited_on(self, app: Application) -> bool:
        """The health check in argocd-cm reads a gated Application Healthy: the root never waits on it."""
        return bool(at(app.doc.body, "metadata", "annotations", naming.GATE_ANNOTATION) != "true")

    def by_hand(self, created: set[str], reason: str) -> None:
        """A human takes the next manual step the model lists whose Application exists and is not synced."""
        for step in self.steps:
            if step.command in self.done or step.sync is None:
                continue
            if step.sync in created and step.sync not in self.synced:
                self.done.append(step.command)
                self.synced.add(step.sync)
                return
        raise Stuck(reason)

    def run(self) -> None:
        children = sorted(
            (doc for doc in self.fleet.documents if doc.kind in ("Application", "ApplicationSet")),
            key=lambda doc: (wave(doc), doc.kind, doc.name),
        )
        created: set[str] = set()
        for step in self.steps:
            if step.sync is None:
                self.done.append(step.command)  # the root's bootstrap and the controller restart
        for current in sorted({wave(doc) for doc in children}):
            self.wave = current
            in_wave = [doc for doc in children if wave(doc) == current and doc.name != self.root]
            made = [app for app in self.apps.values() if app.doc in in_wave]
            created |= {app.name for app in made}
            while True:
                self._sync_automated(created)
                ready = self.ready()
                blocking = [
                    app.name
                    for app in self.apps.values()
                    if app.name in created
                    and self.waited_on(app)
                    and not self.healthy(app.name, ready)
                    and (app.doc in in_wave or wave(app.doc) < current)
                ]
                if not blocking:
                    break
                self.by_hand(created, f"wave {current} waits on {', '.join(sorted(blocking))}")
        ready = self.ready()
        unsynced = sorted(name for name in self.apps if name not in self.synced)
        for name in unsynced:
            self.by_hand(created, f"{name} never syncs")
        ready = self.ready()
        sick = sorted(name for name in self.apps if not self.healthy(name, ready))
        if sick:
            raise Stuck(f"not healthy at the end: {', '.join(sick)}")

    def _sync_automated(self, created: set[str]) -> None:
        changed = True
        while changed:
            changed = False
            ready = self.ready()
            for app in self.apps.values():
                if app.name in created and app.name not in self.synced and self._syncs_itself(app, ready):
                    self._start(app)
                    changed = True

    def _start(self, app: Application) -> None:
        """Sync an Application on its own; a chart notes each input not synced in an earlier wave."""
        self.synced.add(app.name)
        self.synced_in[app.name] = self.wave
        if not any(source.get("chart") for source in app.sources):
            return
        destination = app.spec["destination"]
        folder = self.tree[destination["name"]]
        for doc in folder.documents:
            held = doc.name if doc.kind == "Namespace" else namespace_of(doc)
            if doc.kind not in order.CHART_INPUT_KINDS or held != destination["namespace"]:
                continue
            owner = self.owner(folder, doc)
            if owner is None or self.synced_in.get(owner, self.wave) >= self.wave:
                self.early.append(f"{app.name} before {doc.label}")

    def _syncs_itself(self, app: Application, ready: set[int]) -> bool:
        if app.doc.kind == "ApplicationSet":
            # RollingSync: a step syncs once every Application of the steps before it is healthy; a step with
            # `maxUpdate: 0` never syncs by itself (the generated spec has no `automated` there either).
            steps = at(app.doc.body, "spec", "strategy", "rollingSync", "steps") or []
            mine = next(
                i
                for i, step in enumerate(steps)
                if app.labels.get(naming.CITY_LABEL) in step["matchExpressions"][0]["values"]
            )
            if steps[mine].get("maxUpdate") == 0:
                return False
            earlier = [
                other
                for other in self.apps.values()
                if other.doc is app.doc
                and next(
                    i
                    for i, step in enumerate(steps)
                    if other.labels.get(naming.CITY_LABEL) in step["matchExpressions"][0]["values"]
                )
                < mine
            ]
            return all(self.healthy(other.name, ready) for other in earlier)
        return at(app.spec, "syncPolicy", "automated") is not None


def _initial_cluster(template: PodTemplate) -> int | None:
    for container in template.containers:
        for arg in container.get("args") or container.get("command") or []:
            if isinstance(arg, str) and arg.startswith("--initial-cluster="):
                return len(arg.removeprefix("--initial-cluster=").split(","))
    return None


def _render(tmp_path: Path, strategy: str) -> tuple[dict[str, Folder], tuple[ManualStep, ...]]:
    fleet, out = render_variant(tmp_path, partial(set_rollout, strategy=strategy))
    return folders(load_documents(out)), fleet.delivery.manual_steps()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_fleet_converges_from_empty_clusters_with_exactly_the_manual_steps_listed(
    strategy: str, tmp_path: Path
) -> None:
    tree, steps = _render(tmp_path, strategy)
    replay = Replay(tree, steps)
    replay.run()
    assert replay.done == [step.command for step in steps]
    assert replay.early == []
    assert sorted(replay.synced) == sorted(replay.apps)
    # every city's data layer and apps, the prerequisite and observability charts
    assert {
        f"nusantaramart-{city}{suffix}" for city in ("bandung", "surabaya", "jakarta") for suffix in ("", "-data")
    } <= replay.synced


def test_the_manual_steps_are_the_bootstrap_sync_of_the_gated_data_layer_and_the_release_gate(tmp_path: Path) -> None:
    steps = load_fleet(Path("envs")).delivery.manual_steps()
    assert [(step.when, step.sync) for step in steps] == [
        ("bootstrap", None),
        ("bootstrap", "nusantaramart-jakarta-data"),
        ("every release", "nusantaramart-jakarta"),
    ]


def _merge_data_into_apps(tree: dict[str, Folder]) -> dict[str, Folder]:
    """Today's order before the split: one Application per city holding its data layer, in rollout order."""
    fleet = tree[naming.FLEET_FOLDER]
    kept = []
    for doc in fleet.documents:
        labels = labels_of(at(doc.body, "metadata", "labels"))
        if doc.kind == "Application" and labels.get(naming.LAYER_LABEL) == "data":
            continue
        if doc.kind == "Application" and labels.get(naming.LAYER_LABEL) == "apps":
            body = copy.deepcopy(doc.body)
            body["spec"]["source"]["directory"].pop("exclude")
            body["metadata"]["annotations"][naming.SYNC_WAVE] = labels[naming.ROLLOUT_STEP_LABEL]
            doc = Document(doc.path, doc.index, body)
        kept.append(doc)
    documents = [d for name, f in tree.items() if name != naming.FLEET_FOLDER for d in f.documents]
    return folders([*documents, *kept])


def _delay_gated_data(tree: dict[str, Folder]) -> dict[str, Folder]:
    """The gated city's data layer moved after the first city's apps: Bandung's data waits for it forever."""
    documents = []
    for name, folder in tree.items():
        for doc in folder.documents:
            if name == naming.FLEET_FOLDER and doc.name == "nusantaramart-jakarta-data":
                body = copy.deepcopy(doc.body)
                body["metadata"]["annotations"][naming.SYNC_WAVE] = "2"
                doc = Document(doc.path, doc.index, body)
            documents.append(doc)
    return folders(documents)


def test_the_replay_gets_stuck_on_an_order_that_cannot_finish(tmp_path: Path) -> None:
    tree, steps = _render(tmp_path, "app-of-apps")
    with pytest.raises(Stuck, match=r"wave 0 waits on nusantaramart-bandung$"):
        Replay(_merge_data_into_apps(tree), steps).run()
    with pytest.raises(Stuck, match=r"wave 0 waits on nusantaramart-bandung-data, nusantaramart-surabaya-data$"):
        Replay(_delay_gated_data(tree), steps).run()


def test_the_replay_needs_the_bootstrap_sync_of_the_gated_data_layer(tmp_path: Path) -> None:
    tree, steps = _render(tmp_path, "app-of-apps")
    without = tuple(step for step in steps if step.sync != "nusantaramart-jakarta-data")
    with pytest.raises(Stuck, match="wave 0 waits on nusantaramart-bandung-data, nusantaramart-surabaya-data"):
        Replay(tree, without).run()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_gate_proves_the_order_of_the_rendered_fleet(strategy: str, tmp_path: Path) -> None:
    tree, _ = _render(tmp_path, strategy)
    assert order.check(tree) == []


def test_the_gate_flags_the_orders_that_cannot_finish(tmp_path: Path) -> None:
    tree, _ = _render(tmp_path, "app-of-apps")
    # The merged order is caught by the replay (`test_the_replay_gets_stuck_on_an_order_that_cannot_finish`), not by
    # addresses: every app reads its own city's members first, which its own Application syncs earlier.
    delayed = order.check(_delay_gated_data(tree))
    assert sorted((f.rule, f.path.rsplit("/", 1)[-1]) for f in delayed if f.severity == "failure") == [
        (order.GATE, "Application.nusantaramart-bandung.k8s.yaml"),  # apps before every data layer
        (order.GATE, "Application.nusantaramart-jakarta-data.k8s.yaml"),  # data layers apart
        (order.GATE, "Application.nusantaramart-surabaya.k8s.yaml"),
    ]


def _platform_with_the_charts(tree: dict[str, Folder]) -> dict[str, Folder]:
    """Every city's platform Application moved into the charts' last wave, beside istiod's and Alertmanager's."""
    documents = []
    for name, folder in tree.items():
        for doc in folder.documents:
            if name == naming.FLEET_FOLDER and doc.name.endswith(naming.PLATFORM_APP_SUFFIX):
                body = copy.deepcopy(doc.body)
                body["metadata"]["annotations"][naming.SYNC_WAVE] = "-1"
                doc = Document(doc.path, doc.index, body)
            documents.append(doc)
    return folders(documents)


def test_the_charts_start_after_what_they_read_and_the_replay_sees_when_they_do_not(tmp_path: Path) -> None:
    tree, steps = _render(tmp_path, "app-of-apps")
    replay = Replay(_platform_with_the_charts(tree), steps)
    replay.run()  # it converges: only a restart by hand would give istiod its CA
    late = {"istiod": "ExternalSecret/cacerts", "kube-prometheus-stack": "ExternalSecret/alertmanager-receivers"}
    for city in ("bandung", "surabaya", "jakarta"):
        for chart, secret in late.items():
            assert f"{chart}-{city} before {secret}" in replay.early
    # the east-west gateway's chart, in the same wave, would also start before the root namespace's labels
    assert "istio-eastwestgateway-bandung before Namespace/istio-system" in replay.early
    assert sorted(f.rule for f in order.check(_platform_with_the_charts(tree)) if f.severity == "failure") == [
        order.CHARTS
    ] * len(replay.early)
