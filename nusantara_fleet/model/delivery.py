"""How Argo CD delivers the fleet: object names, sync waves and sync options, derived once from the spec.

Each city has three Argo CD Applications on `dist/<city>/`, split by file name: its platform
(`<project>-<city>-platform`, the files `platform_files` lists: what the city's charts read at start), its
data layer (`<project>-<city>-data`, `data_files`) and its apps (every other file). The root Application
syncs them in waves: the prerequisite charts (the secret store first of all), every city's platform, the
mesh's charts in their order and the other charts, then every city's data layer together (the etcd members
need a quorum and the replicas need the primary city's member, so no city's data can come up alone), then
the cities' apps one by one in `rollout.order`. Inside an Application, per-object
`argocd.argoproj.io/sync-wave` annotations put namespaces first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Stage
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import (
    AccountPlan,
    CityDataPlan,
    ConfigPlan,
    CronJobPlan,
    DisruptionPlan,
    HookJobPlan,
    JobPlan,
    NetworkPolicyPlan,
    SecretPlan,
    ServicePlan,
    StatefulSetPlan,
    StorageClassPlan,
)
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.delivery import CanaryJudgementSpec, GateWindowSpec, RolloutStrategy

Layer = Literal["namespaces", "data", "apps"]

# Waves inside one city's Application. Argo CD orders by wave before kind, so namespaces need a wave
# of their own below the data layer's, or data objects would be applied before their namespace exists.
CITY_SYNC_WAVES: dict[Layer, int] = {
    "namespaces": -2,  # every namespace exists before anything is created in it
    "data": -1,  # databases are healthy before the services that connect to them start
    "apps": 0,  # Argo CD's default wave: anything unannotated is an app
}
# Waves inside dist/fleet (the root Application), each waiting for the one before to be healthy: the
# project, clusters and health check the child Applications depend on come first.
FLEET_SETUP_WAVE = -6
# Each add-on stage's wave (model/addons.py), and every city's platform Application between the
# prerequisites and the mesh: its ExternalSecrets need the secret store, and istiod and Alertmanager mount
# the Secrets they make. Every chart comes before any city's data or apps, so a city's PrometheusRules,
# monitors and mesh objects find their CRDs installed.
ADDON_WAVES: dict[Stage, int] = {"prerequisites": -5, "mesh-base": -3, "mesh-control": -2, "charts": -1}
PLATFORM_WAVE = -4
# Every city's data Application in one wave: the etcd members form their quorum and the Patroni members
# find the primary city's member only when all cities' data layers are applied together.
DATA_WAVE = 0
# The first city's apps come right after the data layer; the others follow one wave each in rollout order.
APPS_FIRST_WAVE = DATA_WAVE + 1
# Argo CD's own ConfigMaps are shared with its install: never pruned, never deleted with the root
# Application, so removing or renaming one in Git cannot delete Argo CD's configuration.
ARGOCD_CONFIG_SYNC_OPTIONS = "Prune=false,Delete=false"
# The kinds each data-layer plan renders (constructs/data/__init__.py), to name the files the data
# Application syncs; a new plan type must be listed here or resolving fails.
DATA_PLAN_KINDS: dict[type, tuple[str, ...]] = {
    StorageClassPlan: ("StorageClass",),
    SecretPlan: ("ExternalSecret",),
    AccountPlan: ("ServiceAccount", "Role", "RoleBinding"),
    ConfigPlan: ("ConfigMap",),
    StatefulSetPlan: ("StatefulSet",),
    DisruptionPlan: ("PodDisruptionBudget",),
    ServicePlan: ("Service",),
    NetworkPolicyPlan: ("NetworkPolicy",),
    CronJobPlan: ("CronJob",),
    JobPlan: ("Job",),
    HookJobPlan: ("Job",),
}
# Add-on charts ship CRDs too large for client-side apply's last-applied annotation, and create their
# namespace, which no city Application renders objects into before them.
ADDON_SYNC_OPTIONS = ("CreateNamespace=true", "ServerSideApply=true")

# Per-kind options: a generator bug must never cascade into deleting data or whole namespaces.
KIND_SYNC_OPTIONS: dict[str, str] = {
    "PersistentVolumeClaim": "Prune=false,Delete=false",  # kept when pruned or when the Application goes
    "Namespace": "Prune=confirm,Delete=confirm",  # deleting a namespace deletes everything in it: ask a human
}
# Options of every city Application: prune only after the new objects are healthy, apply server-side,
# and keep out of sync (and out of self-heal) only the differences listed in CITY_IGNORE_DIFFERENCES.
FAIL_ON_SHARED = "FailOnSharedResource=true"
APP_SYNC_OPTIONS = ("PruneLast=true", "ServerSideApply=true", FAIL_ON_SHARED, "RespectIgnoreDifferences=true")
# The HorizontalPodAutoscaler owns a Deployment's replica count once it exists: the rendered `replicas`
# only sets the starting size, and self-heal must not scale a busy city back down to it.
CITY_IGNORE_DIFFERENCES = ({"group": "apps", "jsonPointers": ["/spec/replicas"], "kind": "Deployment"},)
# A child Application is pruned only with a human's approval: dropping a city from envs/ by mistake
# must not delete that city's workloads.
CHILD_APP_SYNC_OPTIONS = "Prune=confirm,Delete=confirm"
# Removing a cluster by mistake would orphan its Applications: its registration is never pruned.
CLUSTER_SECRET_SYNC_OPTIONS = "Prune=false"
# Cluster-scoped kinds a city Application may create; any other fails the sync loudly. A test over
# dist/ proves every cluster-scoped object the cities render is listed here.
CITY_CLUSTER_KINDS = (
    {"group": "", "kind": "Namespace"},  # one per concern (platform)
    {"group": "storage.k8s.io", "kind": "StorageClass"},  # the data layer's retained local volumes
)
# What the root Application deploys into Argo CD's namespace, and nothing else.
FLEET_KINDS = (
    {"group": "", "kind": "ConfigMap"},
    {"group": "", "kind": "Secret"},  # the cluster Secrets the ExternalSecrets create
    {"group": "external-secrets.io", "kind": "ExternalSecret"},
    {"group": "argoproj.io", "kind": "AppProject"},
    {"group": "argoproj.io", "kind": "Application"},
    {"group": "argoproj.io", "kind": "ApplicationSet"},
)
# Add-on charts install CRDs, cluster roles and webhooks: their project may create any cluster-scoped kind,
# and only from the pinned chart repositories it lists.
ADDON_CLUSTER_KINDS = ({"group": "*", "kind": "*"},)
RETRY = {"backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}, "limit": 5}  # rides out API blips
REVISION_HISTORY = 10  # Argo CD's default, written out so rollbacks in the UI have a known depth
CLUSTER_CONFIG_KEY = "config"  # the key of Argo CD's cluster Secret holding credentials and TLS data
# The applicationset-controller reads these at start: Progressive Syncs on, and the ApplicationSet's
# `create-update` policy may stop it from deleting a city's Application.
APPLICATIONSET_PARAMS = {
    "applicationsetcontroller.enable.policy.override": "true",
    "applicationsetcontroller.enable.progressive.syncs": "true",
}
# The monitors' kinds by `MonitorPlan.kind` (as constructs/observability/service_monitor.py renders them).
MONITOR_KINDS = {"service": "ServiceMonitor", "pod": "PodMonitor"}


def object_annotations(*, kind: str, layer: Layer) -> dict[str, str]:
    """The Argo CD annotations of one object rendered into a city: its wave, plus data-safety options."""
    annotations = {naming.SYNC_WAVE: str(CITY_SYNC_WAVES[layer])}
    options = KIND_SYNC_OPTIONS.get(kind)
    if options is not None:
        annotations[naming.SYNC_OPTIONS] = options
    return annotations


def platform_files(objects: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The files of one city's platform Application, from the (kind, name) of its objects, sorted."""
    return tuple(sorted({naming.manifest_file(kind, name) for kind, name in objects}))


def data_layer_files(plan: CityDataPlan, *, namespace: str, extra: Iterable[tuple[str, str]] = ()) -> tuple[str, ...]:
    """The files of one city's data layer: its namespace, every object of its plan, and `extra` (kind, name)
    pairs other concerns render into the data layer (the data namespace's monitors), sorted."""
    objects = {("Namespace", namespace), *extra}
    for item in fields(plan):
        value = getattr(plan, item.name)
        for each in value if isinstance(value, tuple) else () if value is None else (value,):
            kinds = DATA_PLAN_KINDS.get(type(each))
            if kinds is None:
                raise TypeError(f"{type(each).__name__} of CityDataPlan.{item.name}: list its kinds in DATA_PLAN_KINDS")
            objects |= {(kind, each.identity.name) for kind in kinds}
    return tuple(sorted(naming.manifest_file(kind, name) for kind, name in objects))


def file_glob(files: Iterable[str]) -> str:
    """Argo CD's `directory.include`/`exclude` pattern matching exactly these file names."""
    return "{" + ",".join(files) + "}"


def sync_policy(*, automated: bool, shared: bool = False) -> dict[str, Any]:
    """The `syncPolicy` every Application of the fleet shares; only the gated city goes without `automated`.
    `shared`: the Application may take over objects another Application synced before."""
    options = [option for option in APP_SYNC_OPTIONS if not (shared and option == FAIL_ON_SHARED)]
    policy: dict[str, Any] = {"retry": RETRY, "syncOptions": options}
    if automated:
        policy["automated"] = {"prune": True, "selfHeal": True}
    return policy


@dataclass(frozen=True)
class ManualStep:
    """One thing a human does for the fleet to converge: the README lists exactly these, and the first-rollout
    test (tests/delivery/test_first_rollout.py) proves no other is needed."""

    when: Literal["bootstrap", "every release"]
    what: str
    command: str
    sync: str | None = None  # the Application the step syncs by hand, if it is a sync


@dataclass(frozen=True)
class Delivery:
    """The Argo CD view of the fleet."""

    strategy: RolloutStrategy
    namespace: str
    project: str
    repo_url: str
    target_revision: str
    gate_window: GateWindowSpec
    release_managers: tuple[str, ...]
    gated_city: str
    order: tuple[str, ...]  # rollout order: the canary city first, the gated city last (model/checks.py)
    approval_environment: str
    canary: CanaryJudgementSpec
    namespaces: tuple[str, ...]  # namespaces the city Applications may deploy into, in a stable order
    # A city Application's destination namespace: Argo CD checks it against the AppProject's destinations
    # even though every namespaced object names its own, so it must be one the project allows.
    default_namespace: str
    cluster_server_template: str
    cluster_credentials_prefix: str
    secret_store: str
    secret_refresh: str
    data_files: Mapping[str, tuple[str, ...]]  # city -> the files its data Application syncs
    platform_files: Mapping[str, tuple[str, ...]]  # city -> the files its platform Application syncs
    # The platform Application's destination: the charts' namespace that no city renders (Argo CD creates it,
    # as it does for the charts), where the platform puts what they mount.
    platform_namespace: str

    def data_app(self, city: str) -> str:
        return naming.city_data_app(self.project, city)

    def data_glob(self, city: str) -> str:
        return file_glob(self.data_files[city])

    def platform_app(self, city: str) -> str:
        return naming.city_platform_app(self.project, city)

    def platform_glob(self, city: str) -> str:
        return file_glob(self.platform_files[city])

    def platform_sync_policy(self) -> dict[str, Any]:
        """Automated in every city, the gated one too: like the charts, the platform is not part of a release.
        Its objects were the apps Application's before it existed, so on a running fleet it takes them over
        rather than fail (the gate's split check still gives every file to exactly one Application)."""
        return sync_policy(automated=True, shared=True)

    def apps_exclude(self, city: str) -> str:
        """The files a city's apps Application leaves to its platform and data Applications."""
        return file_glob(sorted({*self.platform_files[city], *self.data_files[city]}))

    def manual_steps(self) -> tuple[ManualStep, ...]:
        """What a human does, in order, from clusters with Argo CD and the prerequisites to a running fleet."""
        fleet = f"{self.city_path(naming.FLEET_FOLDER)}/"
        gated_data, gated_apps = self.data_app(self.gated_city), self.city_app(self.gated_city)
        steps = [
            ManualStep(
                "bootstrap",
                "apply the root Application and its project once; it manages itself (and everything else) from Git",
                f"kubectl apply -n {self.namespace} -f {fleet}{naming.manifest_file('AppProject', self.root_app)} "
                f"-f {fleet}{naming.manifest_file('Application', self.root_app)}",
            )
        ]
        if self.strategy == "application-set":
            steps.append(
                ManualStep(
                    "bootstrap",
                    f"once the root has synced {naming.ARGOCD_CMD_PARAMS} (its first wave), restart the "
                    "applicationset-controller so it reads it: Progressive Syncs on",
                    f"kubectl -n {self.namespace} rollout restart deployment argocd-applicationset-controller",
                )
            )
        steps += [
            ManualStep(
                "bootstrap",
                f"once the root has created {gated_data}, sync it: the other cities' data layers wait for the gated "
                f"city's etcd member and database members to form the cluster",
                f"argocd app sync {gated_data}",
                gated_data,
            ),
            ManualStep(
                "every release",
                f"a release manager syncs the gated city ({gated_apps}, and {gated_data} when the data layer "
                "changed) after the cities before it are healthy",
                f"argocd app sync {gated_apps}",
                gated_apps,
            ),
        ]
        return tuple(steps)

    def apps_wave(self, city: City) -> int:
        """The root's wave of a city's apps: after every data layer, in rollout order."""
        return APPS_FIRST_WAVE + city.wave

    @property
    def canary_city(self) -> str:
        """Where every release starts, as a canary judged against the stable version there."""
        return self.order[0]

    @property
    def branches(self) -> tuple[str, ...]:
        """The cities released one by one after the canary city and before the approval of the gated city."""
        return self.order[1:-1]

    @property
    def rollback_order(self) -> tuple[str, ...]:
        """The gated city first, the canary city last: undo in reverse of the rollout."""
        return tuple(reversed(self.order))

    @property
    def addons_project(self) -> str:
        return f"{self.project}{naming.ADDONS_PROJECT_SUFFIX}"

    @property
    def root_app(self) -> str:
        return naming.root_app(self.project)

    @property
    def fleet_path(self) -> str:
        return self.city_path(naming.FLEET_FOLDER)

    def city_app(self, city: str) -> str:
        return naming.city_app(self.project, city)

    def city_path(self, name: str) -> str:
        """Folder of one city's objects; `name` may be a generator placeholder such as `{{.city}}`."""
        return f"{naming.DIST_DIR}/{name}"

    def cluster_server(self, city: str) -> str:
        return self.cluster_server_template.replace("{city}", city)

    def cluster_credentials(self, city: str) -> str:
        """Where the secret store keeps the city's cluster `config` (bearer token or exec provider, TLS)."""
        return f"{self.cluster_credentials_prefix}/{city}"

    def automated(self, city: City) -> bool:
        """Argo CD syncs a city on its own unless it is the gated city, which waits for a release manager."""
        return not city.gated


@traced
def resolve_delivery(
    spec: FleetSpec,
    cities: tuple[City, ...],
    data_files: Mapping[str, tuple[str, ...]],
    platform_files: Mapping[str, tuple[str, ...]],
) -> Delivery:
    rollout = spec.rollout
    return Delivery(
        strategy=rollout.strategy,
        namespace=rollout.argocd_namespace,
        project=spec.project,
        repo_url=rollout.repo_url,
        target_revision=rollout.target_revision,
        gate_window=rollout.gate_window,
        release_managers=tuple(rollout.release_managers),
        gated_city=next(city.name for city in cities if city.gated),
        order=tuple(city.name for city in cities),
        approval_environment=rollout.approval_environment,
        canary=rollout.canary,
        namespaces=tuple(
            sorted(
                {
                    *(name for _, name in spec.namespaces),
                    spec.network_policy.monitoring_namespace,
                    spec.traffic.mesh.namespace,  # the mesh's own objects (constructs/traffic/mesh.py)
                }
            )
        ),
        default_namespace=spec.namespaces.apps,
        cluster_server_template=rollout.cluster_server,
        cluster_credentials_prefix=rollout.cluster_credentials,
        secret_store=spec.database.secrets.store,
        secret_refresh=spec.database.secrets.refresh,
        data_files=dict(data_files),
        platform_files=dict(platform_files),
        platform_namespace=spec.network_policy.monitoring_namespace,
    )
