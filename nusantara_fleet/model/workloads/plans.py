"""The workloads' plans: what each city runs, how big, what it talks to; `constructs/workloads/` renders them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from nusantara_fleet import naming
from nusantara_fleet.model.capacity.demand import Scenario
from nusantara_fleet.model.cities import City, Pool, Service
from nusantara_fleet.model.data.plans import SecretPlan
from nusantara_fleet.model.mesh import MeshTransport
from nusantara_fleet.model.pods import PullPolicy, Spread
from nusantara_fleet.model.spec.network import ExternalPeerSpec
from nusantara_fleet.model.spec.platform import ContainerResources
from nusantara_fleet.model.spec.workloads import EdgeMode, ProbesSpec

Track = Literal["stable", "canary"]


@dataclass(frozen=True)
class Scaling:
    """HPA bounds of a service in one city, from the capacity model (`model/capacity/demand.py`).

    `pods` holds what the service needs in each scenario (every city up, or one city lost) to carry
    its share of the city's load at the upper end of the design capacity, never below the resting
    replicas. The HPA may grow to the most of them: the N-1 case where this city takes over a lost
    city's users.
    """

    min_replicas: int
    pods: Mapping[Scenario, int]
    busiest_shares: int  # the users' shares the city serves in its busiest scenario

    @property
    def max_replicas(self) -> int:
        return max(self.pods.values())


@dataclass(frozen=True)
class Variant:
    """One Deployment of a service in a city: its stable version, or the canary beside it."""

    name: str
    track: Track
    image: str
    version: str
    replicas: int
    weight: int  # % of the service's traffic in the city
    max_surge: int
    max_unavailable: int

    @property
    def disruption_budget(self) -> bool:
        """A PodDisruptionBudget only protects something when another replica can keep serving."""
        return self.replicas > 1


@dataclass(frozen=True)
class Upstream:
    """A backend a caller picks by weight."""

    name: str
    url: str
    weight: int


@dataclass(frozen=True)
class PortPeers:
    """Services reached on one port (several services may share it)."""

    port: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class InboundFlow:
    """Callers admitted to some of a pod set's ports: the one row its NetworkPolicy ingress rule and its
    AuthorizationPolicy rule are both rendered from, so the two can never admit different callers.

    The NetworkPolicy admits the callers' pods (`services` in the apps namespace, or all of `namespace`);
    the sidecar admits the same callers by their mesh identities (`principals`). A port the sidecar does
    not intercept (`meshed` false) is guarded by the NetworkPolicy alone.
    """

    namespace: str  # the callers' namespace
    services: tuple[str, ...]  # the callers' pods by service label, in the apps namespace; () = all of `namespace`
    pods: Mapping[str, str]  # or the callers' pods by these labels in `namespace` (the edge proxies)
    principals: tuple[str, ...]  # the callers' mesh identities, `<trust domain>/ns/<ns>/sa/<account>`
    ports: tuple[int, ...]
    meshed: bool


def unmeshed_ports(flows: tuple[InboundFlow, ...]) -> tuple[int, ...]:
    """The ports of the flows the sidecar does not intercept: one reading for every pod set."""
    return tuple(sorted({port for flow in flows if not flow.meshed for port in flow.ports}))


@dataclass(frozen=True)
class AppNetwork:
    """Everything a service's NetworkPolicy opens; everything else stays denied."""

    inbound: tuple[InboundFlow, ...]  # who may call it, on which ports
    egress_services: tuple[PortPeers, ...]  # services it calls inside the city
    database_namespace: str | None
    database_ports: tuple[int, ...]
    # pod networks of the other cities: the leader may be there, and reads fall back to their members
    database_cidrs: tuple[str, ...]
    write_port: int
    cache: bool
    cache_port: int
    cache_name: str
    monitoring_namespace: str
    telemetry_port: int  # the collector's OTLP/HTTP port in the monitoring namespace
    peers: tuple[ExternalPeerSpec, ...]
    mesh: MeshTransport
    remote_egress: bool  # it calls services that fail over to other cities: their east-west gateways
    remote_ingress_ports: tuple[int, ...]  # ports other cities' callers reach through the local east-west gateway

    @property
    def unmeshed_ports(self) -> tuple[int, ...]:
        """Ports the sidecar leaves to the app: those only callers outside the mesh reach (Prometheus's scrapes)."""
        return unmeshed_ports(self.inbound)


@dataclass(frozen=True)
class FactsMount:
    """A ConfigMap every pod mounts read-only, for facts that change while the pods run."""

    config_map: str
    volume: str
    path: str


@dataclass(frozen=True)
class AppDatabase:
    """How a service logs in to PostgreSQL: its password's Secret and variable, the CA it verifies servers with."""

    password_env: str
    password_secret: str
    password_key: str
    ca_volume: str
    ca_secret: str
    ca_key: str
    ca_dir: str


@dataclass(frozen=True)
class App:
    """A service as one city runs it: variants, scaling, rendered config and network needs."""

    service: Service
    exposed: bool  # the one service behind the edge
    port: int
    metrics_port: int
    stable: Variant
    canary: Variant | None
    scaling: Scaling
    config: dict[str, str]
    network: AppNetwork
    pool: Pool
    resources: ContainerResources
    run_as_user: int
    tmp_size_mib: int
    probes: ProbesSpec
    termination_grace_seconds: int
    one_per_node: bool  # required anti-affinity: never two replicas on one node
    spread: tuple[Spread, ...]
    cpu_utilization_pct: int
    pull_policy: PullPolicy
    pdb_min_available: int
    pdb_unhealthy_eviction: Literal["AlwaysAllow"]
    facts: FactsMount
    database: AppDatabase | None = None  # None: the service uses no database

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def variants(self) -> tuple[Variant, ...]:
        return (self.stable,) if self.canary is None else (self.stable, self.canary)

    @property
    def health_path(self) -> str:
        return self.service.spec.health_path

    @cached_property
    def config_checksum(self) -> str:
        """Changes whenever the config does, so pods restart to read it (env is read once at start)."""
        return hashlib.sha256(json.dumps(self.config, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Listener:
    """A Gateway API HTTPS listener for one public host."""

    name: str
    host: str


@dataclass(frozen=True)
class EdgeRoute:
    """One public host's HTTPRoute: its public name and its name in the delegated zone global DNS serves.

    Clients send the public name (the CNAME keeps Host and SNI); the zone name is listed so k8gb, which
    takes a route's hostnames as the names it answers for, serves it.
    """

    name: str
    host: str
    gslb_host: str
    listener: str

    @property
    def hostnames(self) -> tuple[str, ...]:
        return (self.host, self.gslb_host)


@dataclass(frozen=True)
class EdgeProxies:
    """The Gateway's proxies when they run in the apps namespace, under its default deny: what they may do."""

    policy: str
    labels: Mapping[str, str]
    ports: tuple[int, ...]  # the listeners' ports, open to every client: this is the public edge
    backends: tuple[str, ...]  # services they forward to
    backend_port: int
    mesh: MeshTransport  # the proxies are mesh Envoys: istiod, and the other cities' east-west gateways


@dataclass(frozen=True)
class Edge:
    """How traffic enters a city: TLS for the public hosts, then the exposed service (and its canary)."""

    mode: EdgeMode
    hosts: tuple[str, ...]
    tls_secret: str
    app: App
    ingress_class: str
    gateway_class: str
    paths: tuple[str, ...]
    gateway: str
    address: str  # the city's edge load balancer address, which global DNS answers with
    routes: tuple[EdgeRoute, ...]
    route_api_version: str  # the routes' kind: HTTPRoutes (gateway-api) or Ingresses (ingress-nginx)
    route_kind: str
    https_port: int
    http_port: int
    http_listener: str
    redirect_route: str
    proxy_namespace: str  # where the edge proxies run: the source of edge traffic
    proxy_account: str  # the edge proxies' ServiceAccount: their mesh identity
    proxies: EdgeProxies | None  # set when the fleet must open the proxies' own traffic
    upstream_hosts: Mapping[str, str]  # ingress-nginx: each backend's cluster-local name, its upstream vhost

    @property
    def backends(self) -> tuple[Variant, ...]:
        return self.app.variants

    def ingress_name(self, route: EdgeRoute, variant: Variant) -> str:
        """ingress-nginx: one Ingress per host and variant; a canary's merges into its host's stable one."""
        return route.name if variant.track == "stable" else naming.canary_name(route.name)

    @property
    def listeners(self) -> tuple[Listener, ...]:
        return tuple(Listener(name=listener_name(host), host=host) for host in self.hosts)


def listener_name(host: str) -> str:
    """The HTTPS listener of one public host on the edge Gateway."""
    return f"https-{host.replace('.', '-')}"


@dataclass(frozen=True)
class CacheExporter:
    """The metrics exporter beside each cache replica: it reads the replica over localhost."""

    image: str
    port: int
    resources: ContainerResources
    monitoring_namespace: str  # the only namespace that may reach its port


@dataclass(frozen=True)
class Cache:
    """The city's Redis for report data: independent replicas, each a cache-aside store."""

    name: str
    image: str
    version: str
    port: int
    replicas: int
    persistence: bool
    storage_gib: int
    resources: ContainerResources
    max_memory: str
    eviction_policy: str
    run_as_user: int
    clients: tuple[str, ...]
    inbound: tuple[InboundFlow, ...]  # its clients, as its NetworkPolicy and AuthorizationPolicy admit them
    mesh: MeshTransport
    pool: Pool
    probes: ProbesSpec
    one_per_node: bool  # required anti-affinity: never two replicas on one node
    spread: tuple[Spread, ...]
    pull_policy: PullPolicy
    pdb_min_available: int
    pdb_unhealthy_eviction: Literal["AlwaysAllow"]
    exporter: CacheExporter

    @property
    def unmeshed_ports(self) -> tuple[int, ...]:
        """Ports the sidecar leaves to the pod: those only callers outside the mesh reach."""
        return unmeshed_ports(self.inbound)


@dataclass(frozen=True)
class CityWorkloads:
    apps: tuple[App, ...]
    edge: Edge
    cache: Cache | None
    secrets: tuple[SecretPlan, ...] = ()  # the apps namespace's ExternalSecrets: passwords and PostgreSQL's CA


@dataclass(frozen=True)
class Workloads:
    """The workload view of the fleet: each city's plans, and the write path they share."""

    cities: Mapping[str, CityWorkloads]
    leader_cities: tuple[str, ...]  # cities whose database may hold the leader
    write_hosts: tuple[str, ...]  # the write Services a client tries in turn

    def city(self, city: City | str) -> CityWorkloads:
        return self.cities[city if isinstance(city, str) else city.name]
