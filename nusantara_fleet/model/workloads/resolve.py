"""The application workloads of every city, derived once from the spec: what runs, how big, what it talks to.

How a request travels (both edge modes):

    client ─TLS─▶ edge (ingress-nginx or a Gateway API proxy) ─▶ `gateway` Service of the city
           ─▶ the owning service's Service in the same city (route table in the gateway's config)
           ─▶ reads: the city's own PostgreSQL replicas, then any of its members, then the other cities'
           ─▶ writes: the primary city's leader, over the routable pod networks

Every HTTP hop stays in the user's city; only the database connection of a `write` route crosses to the
primary city, and a read's only when its city has no member left to serve it (`DataLayer.read_hosts`).
That keeps a transaction's many statements on one connection to the leader, and lets a failover move
every write by changing `primary` alone: the write endpoint and each write route's `writes_to` follow it.
When Patroni fails over on its own (quorum mode), clients also get every city's write Service in the
order of succession, so writes follow the leader before envs/ does. The network policies open the other
cities' pod networks on PostgreSQL's port to every database service in any mode, so a failover changes
no policy. Each service logs in as its own role (`model/data/roles.py`), its password from its Secret.

A canary splits a service's traffic by weight where its callers choose a backend: at the edge for the
exposed service (ingress-nginx canary annotations, or weighted Gateway API `backendRefs`), and in the
gateway's route table for every service behind it.
"""

from __future__ import annotations

import json

from nusantara_fleet import naming
from nusantara_fleet.model.capacity.demand import ALL_TRAFFIC_PCT, Demand
from nusantara_fleet.model.cities import WORKLOAD_POOL, City, CityService, Endpoint, Service
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.data.plans import Identity, SecretPlan
from nusantara_fleet.model.data.roles import PASSWORD_KEY
from nusantara_fleet.model.data.tls import BY_NAME_SSLMODE, CA, POSTGRES_SERVER, Tls
from nusantara_fleet.model.mesh import mesh_transport
from nusantara_fleet.model.pods import Spread
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.common import memory_mib
from nusantara_fleet.model.spec.platform import ContainerResources
from nusantara_fleet.model.workloads.plans import (
    App,
    AppDatabase,
    AppNetwork,
    Cache,
    CacheExporter,
    CityWorkloads,
    Edge,
    EdgeProxies,
    EdgeRoute,
    FactsMount,
    InboundFlow,
    PortPeers,
    Scaling,
    Track,
    Upstream,
    Variant,
    Workloads,
    listener_name,
)
from nusantara_fleet.model.zones import delegated_zone

PDB_MIN_AVAILABLE = 1  # one replica keeps serving while the other is drained or rescheduled
HTTPS_PORT = 443
HTTP_PORT = 80  # only answers with a redirect to HTTPS
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
INGRESS_API_VERSION = "networking.k8s.io/v1"
# Every cached key is recomputable report data, so the least recently used one goes first when full.
CACHE_EVICTION = "allkeys-lru"
# A service's replicas differ by at most one per node: its main and backup never share a node, and a
# scaled-out service spreads over the whole pool instead of stopping at one pod per node.
NODE_SKEW = 1
# Zones, where nodes carry the label, are a preference: a zone short of room never strands a pod.
ZONE_SKEW = 1
# The spread puts a surge pod on any node with room, so a rollout starts a new pod before stopping an old one.
MAX_SURGE, MAX_UNAVAILABLE = 1, 0
# Where every app pod finds the `city-facts` ConfigMap as files (`primary-city`, `role`, ...): mounted, not in
# the environment, so a failover updates them in place instead of restarting the pod.
FACTS_DIR = "/etc/fleet"
FACTS_VOLUME = "fleet-facts"
# PostgreSQL's server CA in the apps namespace, from the server certificate's own key in the store: only
# the CA property is fetched, so no key leaves the data namespace.
POSTGRES_CA = Tls(naming.POSTGRES_CA_SECRET, POSTGRES_SERVER.store_key)
DB_PASSWORD_ENV = "DB_PASSWORD"  # the one database value not in the ConfigMap: from the service's Secret
# Reads try DB_READ_HOSTS in order and take the first that answers: local replicas before any local
# member before another city. (`prefer-standby` would pick a far replica over the local leader.)
READ_TARGET_SESSION_ATTRS = "any"


def scaling(spec: FleetSpec, demand: Demand, city: City, service: Service) -> Scaling:
    """The pods the service needs in the city in each scenario; the HPA grows to the most of them."""
    floor = spec.workloads.replicas
    shares = demand.shares[city.name]
    pods = {
        count: demand.pods(
            shares=count, traffic_pct=service.spec.traffic_pct, rps_per_pod=service.spec.rps_per_pod, floor=floor
        )
        for count in set(shares.values())
    }
    return Scaling(
        min_replicas=floor,
        pods={scenario: pods[count] for scenario, count in shares.items()},
        busiest_shares=max(shares.values()),
    )


class _Fleet:
    """What every workload plan reads: the spec, the cities, the services and the data layer's endpoints."""

    def __init__(
        self,
        spec: FleetSpec,
        cities: tuple[City, ...],
        services: tuple[Service, ...],
        data: DataLayer,
        demand: Demand,
    ) -> None:
        self.spec = spec
        self.demand = demand
        self.cities = cities
        self.services = services
        self.data = data
        # Once, outside every traced builder: a service's plan reads its own login, not every service's spec.
        self.layout = data.layout
        self.primary = next(city for city in cities if city.is_primary)
        port = spec.database.postgres_port
        self.write = Endpoint(data.host(self.primary.name, naming.WRITE_SERVICE), port)
        self.write_hosts = data.write_hosts if data.quorum else (self.write.host,)
        namespace = spec.namespaces.data
        self.read = Endpoint(naming.cluster_local_host(naming.READ_SERVICE, namespace), port)
        self.reporting = Endpoint(naming.cluster_local_host(naming.REPORTING_SERVICE, namespace), port)
        # Istio runs a Gateway's proxies beside the Gateway, in the apps namespace; ingress-nginx runs in its own.
        gateway_api = spec.edge == "gateway-api"
        self.edge_namespace = spec.namespaces.apps if gateway_api else spec.ingress_nginx.controller_namespace
        self.edge_pods = {naming.GATEWAY_NAME_LABEL: naming.EDGE_GATEWAY} if gateway_api else {}
        self.edge_account = naming.edge_proxy_account(spec.edge, naming.EDGE_GATEWAY, spec.gateway_api.gateway_class)

    def principal(self, namespace: str, account: str) -> str:
        return naming.mesh_principal(self.spec.traffic.mesh.trust_domain, namespace, account)

    def url(self, name: str, port: int) -> str:
        return f"http://{naming.cluster_local_host(name, self.spec.namespaces.apps)}:{port}"


def _variant(*, name: str, track: Track, image: str, version: str, replicas: int, weight: int) -> Variant:
    return Variant(
        name=name,
        track=track,
        image=image,
        version=version,
        replicas=replicas,
        weight=weight,
        max_surge=MAX_SURGE,
        max_unavailable=MAX_UNAVAILABLE,
    )


def _spread(spec: FleetSpec) -> tuple[Spread, ...]:
    """Evenly over the pool's nodes, a hard rule; and over zones as a preference."""
    return (
        Spread(key=naming.HOSTNAME_LABEL, max_skew=NODE_SKEW, hard=True, honor_taints=True),
        *_zones(spec),
    )


def _zones(spec: FleetSpec) -> tuple[Spread, ...]:
    return (Spread(key=spec.workloads.spread_topology_key, max_skew=ZONE_SKEW, hard=False, honor_taints=False),)


def _upstreams(f: _Fleet, city_service: CityService) -> tuple[Upstream, ...]:
    """Where a caller sends the service's requests: the stable Service and, by weight, the canary."""
    service = city_service.service
    canary = city_service.canary
    stable = Upstream(
        name=service.name,
        url=f.url(service.name, service.spec.port),
        weight=ALL_TRAFFIC_PCT - (canary.weight if canary else 0),
    )
    if canary is None:
        return (stable,)
    name = naming.canary_name(service.name)
    return stable, Upstream(name=name, url=f.url(name, service.spec.port), weight=canary.weight)


def route_table(f: _Fleet, city: City) -> list[dict[str, object]]:
    """The gateway's routes: longest path first, each to its service in this city.

    The service behind a `write` route holds the write endpoints in its own config; the table does not
    name the primary city, so a failover leaves the gateway's config, and its pods, as they are.
    """
    routes = []
    for city_service in city.services:
        service = city_service.service
        if service.name == f.spec.edge_service:
            continue
        upstreams = [{"service": up.name, "url": up.url, "weight": up.weight} for up in _upstreams(f, city_service)]
        for route in service.spec.routes:
            entry: dict[str, object] = {
                "access": route.access,
                "methods": list(route.methods),
                "path": route.path,
                "service": service.name,
                "upstreams": upstreams,
            }
            routes.append(entry)
    return sorted(routes, key=lambda r: (-len(str(r["path"])), str(r["path"]), str(r["methods"])))


def _telemetry(spec: FleetSpec, city: City, service: Service) -> dict[str, str]:
    """Where the OpenTelemetry SDK sends traces and logs: the city's own collector, tagged with the city."""
    host = naming.cluster_local_host(naming.OTEL_COLLECTOR, spec.network_policy.monitoring_namespace)
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:{spec.observability.traces.otlp_http_port}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_RESOURCE_ATTRIBUTES": f"city={city.name}",
        "OTEL_SERVICE_NAME": service.name,
    }


def _config(f: _Fleet, city: City, service: Service) -> dict[str, str]:
    """The environment the service reads its endpoints from: reads local, writes to the leader.

    Nothing here follows `primary` in quorum mode, where the write hosts list every city that may lead:
    the environment is read once at start, so a failover commit would restart every pod of the fleet. Who
    is primary (and this city's role) is in the mounted `city-facts` under FLEET_FACTS_DIR, which the
    kubelet refreshes in place.
    """
    spec = f.spec
    config = {
        "CITY": city.name,
        "FLEET_FACTS_DIR": FACTS_DIR,
        "HEALTH_PATH": service.spec.health_path,
        "HTTP_PORT": str(service.spec.port),
        "METRICS_PORT": str(spec.workloads.metrics_port),
        **_telemetry(spec, city, service),
    }
    if service.spec.database:
        reporting = service.spec.reads == "reporting"
        read = f.reporting if reporting else f.read
        login = f.layout.login(service.name)
        read_hosts = f.data.read_hosts(city.name, reporting=reporting)
        config.update(
            {
                "DB_NAME": f.layout.database,
                "DB_READ_HOST": read.host,
                "DB_READ_HOSTS": ",".join(f"{host}:{read.port}" for host in read_hosts),
                "DB_READ_PORT": str(read.port),
                "DB_READ_TARGET_SESSION_ATTRS": READ_TARGET_SESSION_ATTRS,
                "DB_SCHEMA": login.schema,
                "DB_SSLMODE": BY_NAME_SSLMODE,
                "DB_SSLROOTCERT": POSTGRES_CA.ca,
                "DB_USER": login.role,
            }
        )
        if service.writes:
            config.update(
                {
                    "DB_WRITE_HOSTS": ",".join(f"{host}:{f.write.port}" for host in f.write_hosts),
                    "DB_WRITE_PORT": str(f.write.port),
                    "DB_WRITE_TARGET_SESSION_ATTRS": "read-write",
                }
            )
    if service.spec.cache:
        cache = spec.report_cache
        config.update(
            {"CACHE_HOST": naming.cluster_local_host(cache.name, spec.namespaces.apps), "CACHE_PORT": str(cache.port)}
        )
    if service.name == spec.edge_service:
        config["ROUTES"] = json.dumps(route_table(f, city), indent=2, sort_keys=True) + "\n"
    return config


def _inbound(f: _Fleet, service: Service) -> tuple[InboundFlow, ...]:
    """Who may call the service: the edge proxies (exposed service) or the exposed service (routed ones), and
    monitoring. Each caller's ServiceAccount is its mesh identity: a service's account bears its name."""
    spec = f.spec
    apps = spec.namespaces.apps
    port = service.spec.port
    flows = []
    if service.name == spec.edge_service:
        edge = (f.principal(f.edge_namespace, f.edge_account),)
        flows.append(
            InboundFlow(
                namespace=f.edge_namespace, services=(), pods=f.edge_pods, principals=edge, ports=(port,), meshed=True
            )
        )
    elif service.spec.routes:
        gateway = (spec.edge_service,)
        principals = (f.principal(apps, spec.edge_service),)
        flows.append(
            InboundFlow(namespace=apps, services=gateway, pods={}, principals=principals, ports=(port,), meshed=True)
        )
    monitoring = spec.network_policy.monitoring_namespace
    # The blackbox exporter's health probes reach the service port through the sidecar, so under STRICT
    # mTLS they carry the exporter's identity; scrapes reach the metrics port, which the sidecar leaves alone.
    prober = (f.principal(monitoring, naming.BLACKBOX_EXPORTER),)
    flows.append(InboundFlow(namespace=monitoring, services=(), pods={}, principals=prober, ports=(port,), meshed=True))
    metrics = (spec.workloads.metrics_port,)
    flows.append(InboundFlow(namespace=monitoring, services=(), pods={}, principals=(), ports=metrics, meshed=False))
    return tuple(flows)


def _network(f: _Fleet, city: City, service: Service) -> AppNetwork:
    spec = f.spec
    exposed = service.name == spec.edge_service
    by_port: dict[int, list[str]] = {}
    if exposed:
        for other in f.services:
            if other.name != service.name and other.spec.routes:
                by_port.setdefault(other.spec.port, []).append(other.name)
    # Callers fail over to another city's pods when their own are gone (DestinationRule locality
    # failover): the edge proxies to the exposed service, the exposed service to the routed ones.
    remote_callers = exposed or bool(service.spec.routes)
    return AppNetwork(
        inbound=_inbound(f, service),
        egress_services=tuple(PortPeers(port, tuple(sorted(names))) for port, names in sorted(by_port.items())),
        database_namespace=spec.namespaces.data if service.spec.database else None,
        # PostgreSQL only: Patroni's REST API is the members' and the promotion Job's, never an app's.
        database_ports=(spec.database.postgres_port,) if service.spec.database else (),
        # Every other city: writes reach the leader wherever it is, reads fall back to other cities' members.
        # Sorted: a reordered rollout or failover list must not rewrite the policy.
        database_cidrs=tuple(
            sorted(other.network.pod_cidr for other in f.cities if service.spec.database and other.name != city.name)
        ),
        write_port=f.write.port,
        cache=service.spec.cache,
        cache_port=spec.report_cache.port,
        cache_name=spec.report_cache.name,
        monitoring_namespace=spec.network_policy.monitoring_namespace,
        telemetry_port=spec.observability.traces.otlp_http_port,
        peers=tuple(peer for peer in spec.payment_providers if service.name in peer.services),
        mesh=mesh_transport(spec, f.cities, city),
        remote_egress=bool(by_port),
        remote_ingress_ports=(service.spec.port,) if remote_callers else (),
    )


@traced
def _app(f: _Fleet, city: City, city_service: CityService) -> App:
    spec = f.spec
    service = city_service.service
    scale = scaling(spec, f.demand, city, service)
    canary = city_service.canary
    stable = _variant(
        name=service.name,
        track="stable",
        image=city_service.image,
        version=city_service.version,
        replicas=scale.min_replicas,
        weight=ALL_TRAFFIC_PCT - (canary.weight if canary else 0),
    )
    canary_variant = None
    if canary is not None:
        # Enough candidate pods for its slice of the city's busiest load (it has no HPA), and never fewer
        # than the stable floor: the slice the canary takes must survive a node loss like the rest.
        replicas = f.demand.pods(
            shares=scale.busiest_shares,
            traffic_pct=service.spec.traffic_pct,
            rps_per_pod=service.spec.rps_per_pod,
            floor=scale.min_replicas,
            weight_pct=canary.weight,
        )
        canary_variant = _variant(
            name=naming.canary_name(service.name),
            track="canary",
            image=canary.image,
            version=canary.tag,
            replicas=replicas,
            weight=canary.weight,
        )
    workloads = spec.workloads
    return App(
        service=service,
        exposed=service.name == spec.edge_service,
        port=service.spec.port,
        metrics_port=workloads.metrics_port,
        stable=stable,
        canary=canary_variant,
        scaling=scale,
        config=_config(f, city, service),
        network=_network(f, city, service),
        pool=city.pools[WORKLOAD_POOL],
        resources=service.resources,
        run_as_user=workloads.run_as_user,
        tmp_size_mib=service.spec.tmp_size_mib,
        probes=workloads.probes,
        termination_grace_seconds=workloads.termination_grace_seconds,
        one_per_node=False,
        spread=_spread(spec),
        cpu_utilization_pct=workloads.cpu_utilization_pct,
        pull_policy=workloads.image_pull_policy,
        pdb_min_available=PDB_MIN_AVAILABLE,
        # A pod that never became ready may always be evicted: a broken rollout must not block a node drain.
        pdb_unhealthy_eviction="AlwaysAllow",
        facts=FactsMount(config_map=naming.CITY_FACTS, volume=FACTS_VOLUME, path=FACTS_DIR),
        database=_database(service),
    )


def _database(service: Service) -> AppDatabase | None:
    if not service.spec.database:
        return None
    return AppDatabase(
        password_env=DB_PASSWORD_ENV,
        password_secret=naming.database_secret(service.name),
        password_key=PASSWORD_KEY,
        ca_volume=POSTGRES_CA.secret,
        ca_secret=POSTGRES_CA.secret,
        ca_key=CA,
        ca_dir=POSTGRES_CA.dir,
    )


@traced
def _secrets(f: _Fleet) -> tuple[SecretPlan, ...]:
    """Each database service's password and PostgreSQL's CA, as ExternalSecrets in the apps namespace."""
    store = f.spec.database.secrets
    version = naming.GENERATOR_VERSION

    def identity(name: str) -> Identity:
        return Identity(name=name, app=name, version=version)

    logins = tuple(
        SecretPlan(
            identity=identity(login.secret),
            store=store.store,
            store_key=login.store_key,
            properties=(PASSWORD_KEY,),
            refresh=store.refresh,
        )
        for login in f.layout.logins
    )
    if not logins:
        return ()
    ca = SecretPlan(
        identity=identity(POSTGRES_CA.secret),
        store=store.store,
        store_key=f"{store.path}/{POSTGRES_CA.store_key}",
        properties=(CA,),
        refresh=store.refresh,
    )
    return (*logins, ca)


@traced
def _cache(f: _Fleet, city: City) -> Cache | None:
    spec = f.spec
    clients = tuple(svc.name for svc in f.services if svc.spec.cache)
    if not clients:
        return None
    cache = spec.report_cache
    resources: ContainerResources = getattr(spec.resource_classes, cache.resource_class)
    max_memory_mib = memory_mib(resources.limits.memory) * cache.max_memory_pct // ALL_TRAFFIC_PCT
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
        inbound=(
            InboundFlow(
                namespace=spec.namespaces.apps,
                services=clients,
                pods={},
                principals=tuple(f.principal(spec.namespaces.apps, client) for client in clients),
                ports=(cache.port,),
                meshed=True,
            ),
            # The exporter's port only, and outside the sidecar: Prometheus scrapes from outside the mesh.
            InboundFlow(
                namespace=spec.network_policy.monitoring_namespace,
                services=(),
                pods={},
                principals=(),
                ports=(cache.exporter_port,),
                meshed=False,
            ),
        ),
        mesh=mesh_transport(spec, f.cities, city),
        pool=city.pools[WORKLOAD_POOL],
        probes=spec.workloads.probes,
        # Independent replicas, each on its own node, so a node drain always leaves a warm one.
        one_per_node=True,
        spread=_zones(spec),
        pull_policy=spec.workloads.image_pull_policy,
        pdb_min_available=PDB_MIN_AVAILABLE,
        pdb_unhealthy_eviction="AlwaysAllow",
        exporter=CacheExporter(
            image=f"{cache.exporter_image}:{cache.exporter_tag}",
            port=cache.exporter_port,
            resources=cache.exporter_resources,
            monitoring_namespace=spec.network_policy.monitoring_namespace,
        ),
    )


def _plan(f: _Fleet, city: City) -> CityWorkloads:
    apps = tuple(_app(f, city, city_service) for city_service in city.services)
    edge = _edge(f, city, next(app for app in apps if app.exposed))
    return CityWorkloads(apps=apps, edge=edge, cache=_cache(f, city), secrets=_secrets(f))


def edge_hosts(spec: FleetSpec) -> tuple[tuple[str, str], ...]:
    """(route name, public host) of every public host, API first: one HTTPRoute and one Gslb each."""
    return ((naming.EDGE_ROUTE_API, spec.hosts.api), (naming.EDGE_ROUTE_WEB, spec.hosts.web))


@traced
def _edge(f: _Fleet, city: City, exposed: App) -> Edge:
    spec = f.spec
    routes = tuple(
        EdgeRoute(
            name=name,
            host=host,
            gslb_host=delegated_zone(host, spec.traffic.dns.zone_label).gslb_host,
            listener=listener_name(host),
        )
        for name, host in edge_hosts(spec)
    )
    proxies = None
    if spec.edge == "gateway-api":
        proxies = EdgeProxies(
            policy=naming.EDGE_PROXY_POLICY,
            labels=f.edge_pods,
            ports=(HTTP_PORT, HTTPS_PORT),
            backends=tuple(variant.name for variant in exposed.variants),
            backend_port=exposed.port,
            mesh=mesh_transport(spec, f.cities, city),
        )
    return Edge(
        mode=spec.edge,
        hosts=tuple(host for _, host in edge_hosts(spec)),
        tls_secret=spec.hosts.tls_secret,
        app=exposed,
        ingress_class=spec.ingress_nginx.class_name,
        gateway_class=spec.gateway_api.gateway_class,
        paths=tuple(sorted({route.path for route in exposed.service.spec.routes})),
        gateway=naming.EDGE_GATEWAY,
        address=str(city.network.edge_address),
        routes=routes,
        route_api_version=GATEWAY_API_VERSION if spec.edge == "gateway-api" else INGRESS_API_VERSION,
        route_kind="HTTPRoute" if spec.edge == "gateway-api" else "Ingress",
        https_port=HTTPS_PORT,
        http_port=HTTP_PORT,
        http_listener=naming.HTTP_LISTENER,
        redirect_route=f"{exposed.name}{naming.REDIRECT_SUFFIX}",
        proxy_namespace=f.edge_namespace,
        proxy_account=f.edge_account,
        proxies=proxies,
        upstream_hosts={
            variant.name: naming.cluster_local_host(variant.name, spec.namespaces.apps) for variant in exposed.variants
        },
    )


def resolve_workloads(
    spec: FleetSpec, cities: tuple[City, ...], services: tuple[Service, ...], data: DataLayer, demand: Demand
) -> Workloads:
    f = _Fleet(spec, cities, services, data, demand)
    return Workloads(
        cities={city.name: _plan(f, city) for city in cities},
        leader_cities=data.leader_cities,
        write_hosts=f.write_hosts,
    )
