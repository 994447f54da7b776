"""How Argo CD delivers the fleet: object names, sync waves and sync options, derived once from the spec.

Across cities, a city's rollout wave is its position in `rollout.order`. Within a city, one Argo CD
Application syncs `dist/<city>/` and per-object `argocd.argoproj.io/sync-wave` annotations order it:
namespaces first, then the data layer, then the apps. Argo CD only starts a wave once every object
of the previous one is healthy, so the apps never start against a database that is not up yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nusantara_fleet.model.spec import GateWindowSpec, RolloutStrategy

if TYPE_CHECKING:
    from nusantara_fleet.model.fleet import City, Fleet

Layer = Literal["namespaces", "data", "apps"]

DIST_DIR = "dist"  # the folder `fleet synth` writes and Argo CD reads
FLEET_FOLDER = "fleet"  # dist/fleet holds the fleet-wide objects, so no city may take this name
IN_CLUSTER = "in-cluster"  # Argo CD's name for the cluster it runs in (the management cluster)

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
MANIFEST_PATHS = "argocd.argoproj.io/manifest-generate-paths"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"

# Waves inside one city's Application. Argo CD orders by wave before kind, so namespaces need a wave
# of their own below the data layer's, or data objects would be applied before their namespace exists.
CITY_SYNC_WAVES: dict[Layer, int] = {
    "namespaces": -2,  # every namespace exists before anything is created in it
    "data": -1,  # databases are healthy before the services that connect to them start
    "apps": 0,  # Argo CD's default wave: anything unannotated is an app
}
# Waves inside dist/fleet (the root Application): the project, clusters and health check the child
# Applications depend on come first; the children then take their rollout wave (0, 1, 2…).
FLEET_SETUP_WAVE = -1

# Per-kind options: a generator bug must never cascade into deleting data or whole namespaces.
KIND_SYNC_OPTIONS: dict[str, str] = {
    "PersistentVolumeClaim": "Prune=false,Delete=false",  # kept when pruned or when the Application goes
    "Namespace": "Prune=confirm,Delete=confirm",  # deleting a namespace deletes everything in it: ask a human
}
# Options of every city Application: prune only after the new objects are healthy, apply server-side,
# and keep out of sync (and out of self-heal) only the differences listed in CITY_IGNORE_DIFFERENCES.
APP_SYNC_OPTIONS = (
    "PruneLast=true",
    "ServerSideApply=true",
    "FailOnSharedResource=true",
    "RespectIgnoreDifferences=true",
)
# The HorizontalPodAutoscaler owns a Deployment's replica count once it exists: the rendered `replicas`
# only sets the starting size, and self-heal must not scale a busy city back down to it.
CITY_IGNORE_DIFFERENCES = ({"group": "apps", "jsonPointers": ["/spec/replicas"], "kind": "Deployment"},)
# A child Application is pruned only with a human's approval: dropping a city from envs/ by mistake
# must not delete that city's workloads.
CHILD_APP_SYNC_OPTIONS = "Prune=confirm,Delete=confirm"
# Cluster-scoped kinds a city Application may create; any other fails the sync loudly. A test over
# dist/ proves every cluster-scoped object the cities render is listed here.
CITY_CLUSTER_KINDS = (
    {"group": "", "kind": "Namespace"},  # one per concern (platform)
    {"group": "storage.k8s.io", "kind": "StorageClass"},  # the data layer's retained local volumes
)
RETRY = {"backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}, "limit": 5}  # rides out API blips
REVISION_HISTORY = 10  # Argo CD's default, written out so rollbacks in the UI have a known depth


def object_annotations(*, kind: str, layer: Layer) -> dict[str, str]:
    """The Argo CD annotations of one object rendered into a city: its wave, plus data-safety options."""
    annotations = {SYNC_WAVE: str(CITY_SYNC_WAVES[layer])}
    options = KIND_SYNC_OPTIONS.get(kind)
    if options is not None:
        annotations[SYNC_OPTIONS] = options
    return annotations


@dataclass(frozen=True)
class Delivery:
    """The Argo CD view of the fleet."""

    fleet: Fleet

    @property
    def strategy(self) -> RolloutStrategy:
        return self.fleet.spec.rollout.strategy

    @property
    def namespace(self) -> str:
        return self.fleet.spec.rollout.argocd_namespace

    @property
    def project(self) -> str:
        """The AppProject every city Application belongs to."""
        return self.fleet.spec.project

    @property
    def repo_url(self) -> str:
        return self.fleet.spec.rollout.repo_url

    @property
    def target_revision(self) -> str:
        return self.fleet.spec.rollout.target_revision

    @property
    def gate_window(self) -> GateWindowSpec:
        return self.fleet.spec.rollout.gate_window

    @property
    def release_managers(self) -> list[str]:
        return self.fleet.spec.rollout.release_managers

    @property
    def root_app(self) -> str:
        return f"{self.fleet.spec.project}-{FLEET_FOLDER}"

    @property
    def fleet_path(self) -> str:
        return f"{DIST_DIR}/{FLEET_FOLDER}"

    def city_app(self, city: City) -> str:
        return f"{self.fleet.spec.project}-{city.name}"

    def city_path(self, name: str) -> str:
        """Folder of one city's objects; `name` may be a generator placeholder such as `{{.city}}`."""
        return f"{DIST_DIR}/{name}"

    def cluster_server(self, city: City) -> str:
        return self.fleet.spec.rollout.cluster_server.replace("{city}", city.name)

    def cluster_credentials(self, city: City) -> str:
        """Where the secret store keeps the city's cluster `config` (bearer token or exec provider, TLS)."""
        return f"{self.fleet.spec.rollout.cluster_credentials}/{city.name}"

    def automated(self, city: City) -> bool:
        """Argo CD syncs a city on its own unless it is the gated city, which waits for a release manager."""
        return not city.gated

    @property
    def namespaces(self) -> list[str]:
        """Namespaces the city Applications may deploy into: the fleet's, in a stable order."""
        return sorted({name for _, name in self.fleet.spec.namespaces})
