"""The application workloads of every city, derived once from the spec: what runs, how big, what it talks to.

How a request travels (both edge modes):

    client ─TLS─▶ edge (ingress-nginx or a Gateway API proxy) ─▶ `gateway` Service of the city
           ─▶ the owning service's Service in the same city (route table in the gateway's config)
           ─▶ reads: the city's own PostgreSQL replicas (`Fleet.read_endpoint`)
           ─▶ writes: the primary city's leader (`Fleet.write_endpoint`), over the routable pod networks

Every HTTP hop stays in the user's city; only the database connection of a `write` route crosses to the
primary city. That keeps a transaction's many statements on one connection to the leader, and lets a
failover move every write by changing `primary` alone: the write endpoint, each write route's
`writes_to`, and the network policy that opens the primary city's pod network all follow it. When
Patroni fails over on its own (quorum mode), clients also get every city's write Service in the order
of succession and the policies open those cities, so writes follow the leader before envs/ does.

A canary splits a service's traffic by weight where its callers choose a backend: at the edge for the
exposed service (ingress-nginx canary annotations, or weighted Gateway API `backendRefs`), and in the
gateway's route table for every service behind it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from nusantara_fleet.model.spec import ContainerResources, EdgeMode, ExternalPeerSpec, ProbesSpec

if TYPE_CHECKING:
    from nusantara_fleet.model.fleet import City, CityService, Fleet, Pool, Service

Track = Literal["stable", "canary"]
Component = Literal["edge", "backend", "cache"]

WORKLOAD_POOL = "general"  # services and their cache run on the general pool, never the control plane
CANARY_SUFFIX = "-canary"
CONFIG_SUFFIX = "-config"
ALL_TRAFFIC_PCT = 100
PDB_MIN_AVAILABLE = 1  # one replica keeps serving while the other is drained or rescheduled
# A pod that never became ready may always be evicted: a broken rollout must not block a node drain.
PDB_UNHEALTHY_EVICTION = "AlwaysAllow"
EDGE_GATEWAY = "edge"  # the Gateway API Gateway of a city's public hosts
HTTPS_PORT = 443
HTTP_PORT = 80  # only answers with a redirect to HTTPS
HTTP_LISTENER = "http"
# Every cached key is recomputable report data, so the least recently used one goes first when full.
CACHE_EVICTION = "allkeys-lru"


def canary_name(service: str) -> str:
    return f"{service}{CANARY_SUFFIX}"


def config_name(service: str) -> str:
    return f"{service}{CONFIG_SUFFIX}"


@dataclass(frozen=True)
class Scaling:
    """HPA bounds of a service in one city, from its share of the design capacity.

    `needed` pods carry the city's share (`share_rps`) at the service's per-pod RPS. Required
    anti-affinity allows one pod per general node, so `max_replicas` never exceeds the pool; when
    that cap bites, the shortfall is reported as a warning instead of rendering pods that would
    stay Pending.
    """

    min_replicas: int
    max_replicas: int
    needed: int
    share_rps: int
    nodes: int

    @property
    def short_of_capacity(self) -> bool:
        return self.needed > self.max_replicas


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
class AppNetwork:
    """Everything a service's NetworkPolicy opens; everything else stays denied."""

    ingress_namespace: str | None  # the edge proxies' namespace, for the exposed service only
    ingress_services: tuple[str, ...]  # callers inside the city
    egress_services: tuple[PortPeers, ...]  # services it calls inside the city
    database_namespace: str | None
    database_ports: tuple[int, ...]
    write_cidrs: tuple[str, ...]  # pod networks of the other cities that may hold the leader
    write_port: int
    cache: bool
    peers: tuple[ExternalPeerSpec, ...]


@dataclass(frozen=True)
class App:
    """A service as one city runs it: variants, scaling, rendered config and network needs."""

    service: Service
    component: Component
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
    spread_topology_key: str
    cpu_utilization_pct: int

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
class Edge:
    """How traffic enters a city: TLS for the public hosts, then the exposed service (and its canary)."""

    mode: EdgeMode
    hosts: tuple[str, ...]
    tls_secret: str
    app: App
    ingress_class: str
    gateway_class: str
    paths: tuple[str, ...]
    gateway: str = EDGE_GATEWAY
    https_port: int = HTTPS_PORT
    http_port: int = HTTP_PORT
    http_listener: str = HTTP_LISTENER

    @property
    def backends(self) -> tuple[Variant, ...]:
        return self.app.variants

    @property
    def listeners(self) -> tuple[Listener, ...]:
        return tuple(Listener(name=f"https-{host.replace('.', '-')}", host=host) for host in self.hosts)


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
    pool: Pool
    probes: ProbesSpec
    spread_topology_key: str


@dataclass(frozen=True)
class CityWorkloads:
    apps: tuple[App, ...]
    edge: Edge
    cache: Cache | None


@dataclass(frozen=True)
class CapacityShortfall:
    city: City
    app: App


def _memory_mib(quantity: str) -> int:
    number, unit = int(quantity[:-2]), quantity[-2:]
    return number * 1024 if unit == "Gi" else number


def _service_url(fleet: Fleet, name: str, port: int) -> str:
    return f"http://{name}.{fleet.spec.namespaces.apps}.svc.cluster.local:{port}"


class Workloads:
    """The workload view of the fleet, computed per city on first use."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self._cities: dict[str, CityWorkloads] = {}

    def city(self, city: City) -> CityWorkloads:
        if city.name not in self._cities:
            self._cities[city.name] = self._plan(city)
        return self._cities[city.name]

    @property
    def shortfalls(self) -> list[CapacityShortfall]:
        return [
            CapacityShortfall(city, app)
            for city in self.fleet.cities
            for app in self.city(city).apps
            if app.scaling.short_of_capacity
        ]

    def scaling(self, city: City, service: Service) -> Scaling:
        """The city's share of the design capacity (its upper bound) in pods, never below the resting replicas."""
        spec = self.fleet.spec
        share_rps = math.ceil(
            self.fleet.design_capacity_rps[1] * service.spec.traffic_pct / ALL_TRAFFIC_PCT / len(self.fleet.cities)
        )
        needed = math.ceil(share_rps / service.spec.rps_per_pod)
        nodes = city.pools[WORKLOAD_POOL].nodes
        floor = spec.workloads.replicas
        return Scaling(
            min_replicas=floor,
            max_replicas=max(floor, min(needed, nodes)),
            needed=needed,
            share_rps=share_rps,
            nodes=nodes,
        )

    def _variant(
        self, *, name: str, track: Track, image: str, version: str, replicas: int, weight: int, most: int, nodes: int
    ) -> Variant:
        # A surge pod needs a free node (one pod per node): without one, replace in place, one pod at a time.
        surge = 1 if most < nodes else 0
        return Variant(
            name=name,
            track=track,
            image=image,
            version=version,
            replicas=replicas,
            weight=weight,
            max_surge=surge,
            max_unavailable=1 - surge,
        )

    def _app(self, city: City, city_service: CityService) -> App:
        spec = self.fleet.spec
        service = city_service.service
        scaling = self.scaling(city, service)
        canary = city_service.canary
        stable = self._variant(
            name=service.name,
            track="stable",
            image=city_service.image,
            version=city_service.version,
            replicas=scaling.min_replicas,
            weight=ALL_TRAFFIC_PCT - (canary.weight if canary else 0),
            most=scaling.max_replicas,
            nodes=scaling.nodes,
        )
        canary_variant = None
        if canary is not None:
            # Enough candidate pods for its slice of the city's share, one per node at most, and never fewer
            # than the stable floor: the slice the canary takes must survive a node loss like the rest.
            replicas = max(
                scaling.min_replicas,
                min(
                    scaling.nodes,
                    math.ceil(scaling.share_rps * canary.weight / ALL_TRAFFIC_PCT / service.spec.rps_per_pod),
                ),
            )
            canary_variant = self._variant(
                name=canary_name(service.name),
                track="canary",
                image=canary.image,
                version=canary.tag,
                replicas=replicas,
                weight=canary.weight,
                most=replicas,
                nodes=scaling.nodes,
            )
        exposed = service.name == spec.edge_service
        return App(
            service=service,
            component="edge" if exposed else "backend",
            port=service.spec.port,
            metrics_port=spec.workloads.metrics_port,
            stable=stable,
            canary=canary_variant,
            scaling=scaling,
            config=self._config(city, service),
            network=self._network(city, service),
            pool=city.pools[WORKLOAD_POOL],
            resources=service.resources,
            run_as_user=spec.workloads.run_as_user,
            tmp_size_mib=service.spec.tmp_size_mib,
            probes=spec.workloads.probes,
            termination_grace_seconds=spec.workloads.termination_grace_seconds,
            spread_topology_key=spec.workloads.spread_topology_key,
            cpu_utilization_pct=spec.workloads.cpu_utilization_pct,
        )

    @staticmethod
    def writes(service: Service) -> bool:
        return any(route.access == "write" for route in service.spec.routes)

    def upstreams(self, city: City, service: Service) -> tuple[Upstream, ...]:
        """Where a caller in `city` sends the service's requests: the stable Service and, by weight, the canary."""
        city_service = next(cs for cs in city.services if cs.name == service.name)
        canary = city_service.canary
        stable = Upstream(
            name=service.name,
            url=_service_url(self.fleet, service.name, service.spec.port),
            weight=ALL_TRAFFIC_PCT - (canary.weight if canary else 0),
        )
        if canary is None:
            return (stable,)
        name = canary_name(service.name)
        return (
            stable,
            Upstream(name=name, url=_service_url(self.fleet, name, service.spec.port), weight=canary.weight),
        )

    def route_table(self, city: City) -> list[dict[str, object]]:
        """The gateway's routes: longest path first, each to its service in this city.

        A `write` route names the city whose database commits it (`writes_to`); the service behind it
        holds the write endpoint in its own config.
        """
        routes = []
        for service in self.fleet.services:
            if service.name == self.fleet.spec.edge_service:
                continue
            upstreams = [
                {"service": up.name, "url": up.url, "weight": up.weight} for up in self.upstreams(city, service)
            ]
            for route in service.spec.routes:
                entry: dict[str, object] = {
                    "access": route.access,
                    "methods": list(route.methods),
                    "path": route.path,
                    "service": service.name,
                    "upstreams": upstreams,
                }
                if route.access == "write":
                    entry["writes_to"] = self.fleet.primary.name
                routes.append(entry)
        return sorted(routes, key=lambda r: (-len(str(r["path"])), str(r["path"]), str(r["methods"])))

    def _config(self, city: City, service: Service) -> dict[str, str]:
        """The environment the service reads its endpoints from: reads local, writes to the primary city."""
        fleet, spec = self.fleet, self.fleet.spec
        config = {
            "CITY": city.name,
            "CITY_ROLE": city.role,
            "HEALTH_PATH": service.spec.health_path,
            "HTTP_PORT": str(service.spec.port),
            "METRICS_PORT": str(spec.workloads.metrics_port),
            "PRIMARY_CITY": fleet.primary.name,
        }
        if service.spec.database:
            read = fleet.reporting_endpoint(city) if service.spec.reads == "reporting" else fleet.read_endpoint(city)
            config.update({"DB_NAME": service.name, "DB_READ_HOST": read.host, "DB_READ_PORT": str(read.port)})
            if self.writes(service):
                write = fleet.write_endpoint
                config.update(
                    {
                        "DB_WRITE_HOST": write.host,
                        "DB_WRITE_HOSTS": ",".join(f"{host}:{write.port}" for host in self.write_hosts),
                        "DB_WRITE_PORT": str(write.port),
                        "DB_WRITE_TARGET_SESSION_ATTRS": "read-write",
                    }
                )
        if service.spec.cache:
            cache = spec.report_cache
            config.update(
                {"CACHE_HOST": f"{cache.name}.{spec.namespaces.apps}.svc.cluster.local", "CACHE_PORT": str(cache.port)}
            )
        if service.name == spec.edge_service:
            config["ROUTES"] = json.dumps(self.route_table(city), indent=2, sort_keys=True) + "\n"
        return config

    def _network(self, city: City, service: Service) -> AppNetwork:
        fleet, spec = self.fleet, self.fleet.spec
        exposed = service.name == spec.edge_service
        by_port: dict[int, list[str]] = {}
        if exposed:
            for other in fleet.services:
                if other.name != service.name and other.spec.routes:
                    by_port.setdefault(other.spec.port, []).append(other.name)
        writer = service.spec.database and self.writes(service)
        return AppNetwork(
            ingress_namespace=self.edge_namespace if exposed else None,
            ingress_services=() if exposed or not service.spec.routes else (spec.edge_service,),
            egress_services=tuple(PortPeers(port, tuple(sorted(names))) for port, names in sorted(by_port.items())),
            database_namespace=spec.namespaces.data if service.spec.database else None,
            database_ports=(spec.database.postgres_port, spec.database.patroni_api_port)
            if service.spec.database
            else (),
            write_cidrs=tuple(
                other.network.pod_cidr for other in self.leader_cities if writer and other.name != city.name
            ),
            write_port=fleet.write_endpoint.port,
            cache=service.spec.cache,
            peers=tuple(peer for peer in spec.payment_providers if service.name in peer.services),
        )

    @property
    def leader_cities(self) -> tuple[City, ...]:
        """Cities whose database may hold the leader: every city in the order of succession when Patroni
        fails over on its own (quorum), else the primary city alone (it moves only when `primary` does)."""
        if self.fleet.data.quorum:
            return tuple(self.fleet.city(name) for name in self.fleet.data.preference)
        return (self.fleet.primary,)

    @property
    def write_hosts(self) -> tuple[str, ...]:
        """The write Services a client tries in turn (libpq multi-host, `target_session_attrs=read-write`)."""
        if self.fleet.data.quorum:
            return self.fleet.data.write_hosts
        return (self.fleet.write_endpoint.host,)

    @property
    def edge_namespace(self) -> str:
        spec = self.fleet.spec
        if spec.edge == "gateway-api":
            return spec.gateway_api.controller_namespace
        return spec.ingress_nginx.controller_namespace

    def _cache(self, city: City) -> Cache | None:
        spec = self.fleet.spec
        clients = tuple(svc.name for svc in self.fleet.services if svc.spec.cache)
        if not clients:
            return None
        cache = spec.report_cache
        resources: ContainerResources = getattr(spec.resource_classes, cache.resource_class)
        max_memory_mib = _memory_mib(resources.limits.memory) * cache.max_memory_pct // ALL_TRAFFIC_PCT
        return Cache(
            name=cache.name,
            image=f"{cache.image}:{cache.tag}",
            version=cache.tag,
            port=cache.port,
            replicas=cache.replicas,
            persistence=cache.persistence,
            storage_gib=cache.storage_gib,
            resources=resources,
            max_memory=f"{max_memory_mib}mb",
            eviction_policy=CACHE_EVICTION,
            run_as_user=cache.run_as_user,
            clients=clients,
            pool=city.pools[WORKLOAD_POOL],
            probes=spec.workloads.probes,
            spread_topology_key=spec.workloads.spread_topology_key,
        )

    def _plan(self, city: City) -> CityWorkloads:
        spec = self.fleet.spec
        apps = tuple(self._app(city, city_service) for city_service in city.services)
        exposed = next(app for app in apps if app.name == spec.edge_service)
        edge = Edge(
            mode=spec.edge,
            hosts=(spec.hosts.api, spec.hosts.web),
            tls_secret=spec.hosts.tls_secret,
            app=exposed,
            ingress_class=spec.ingress_nginx.class_name,
            gateway_class=spec.gateway_api.gateway_class,
            paths=tuple(sorted({route.path for route in exposed.service.spec.routes})),
        )
        return CityWorkloads(apps=apps, edge=edge, cache=self._cache(city))
