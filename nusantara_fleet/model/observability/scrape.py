"""What each city's Prometheus probes and scrapes, and the blackbox exporter the probes run through.

Probes (Prometheus Operator `Probe`, through the city's own blackbox exporter):
- edge: every city probes every city's edge load balancer at its public address
  (`network.edge_address`), over HTTPS, on the exposed service's health path, as the API host: the Host
  header and the TLS server name are the host's (one blackbox module per public host probed), so the
  edge's listener, certificate and route are what answers. The public hosts are the same in every city
  (one name, geo-routed), so only the address says *which* city answered; and a probe from each city is
  what lets a surviving city see two others down. The path is the one a client takes, from outside.
- service: each city probes its own services' health endpoints, in-cluster.
- reporting: every city probes every city's reporting database with a TCP connect to PostgreSQL on the
  reporting Service. Patroni's REST API would say more (`/health`), but the reporting Service publishes
  PostgreSQL only, the REST API demands TLS from a CA that lives in the data namespace, and a connect
  is what the report service itself needs to succeed.
Scrapes: a ServiceMonitor per service on its `metrics` port; a PodMonitor for the report cache's
exporters (a sidecar of each replica, constructs/workloads/redis.py); a PodMonitor for Patroni's `/metrics` on
its REST API (TLS, the API's CA from the data namespace, so the PodMonitor lives there) and one for
etcd's plain-HTTP metrics listener (quorum mode only, where etcd runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.delivery import Layer, object_annotations
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.provenance import traced

HTTP_MODULE = "http_2xx"  # a health endpoint answers 2xx
TCP_MODULE = "tcp_connect"  # PostgreSQL accepts a connection
PROBE_TIMEOUT_SECONDS = 5  # well inside the interval, so a hung target fails its probe before the next one


@dataclass(frozen=True)
class ProbePlan:
    name: str
    module: str
    targets: tuple[str, ...]
    labels: dict[str, str]


@dataclass(frozen=True)
class MonitorPlan:
    """A ServiceMonitor (kind `service`) or PodMonitor (kind `pod`) on one named port."""

    name: str
    kind: str
    namespace: str
    selector: dict[str, str]
    port: str
    scheme: str
    targets: int = 1  # the most pods it scrapes at once (sizes Prometheus's volume)
    service: str | None = None  # the app service it scrapes (the SLO pairing label)
    tls_server_name: str | None = None
    tls_ca_secret: str | None = None
    # Monitors in the data namespace sync with the data layer, the others with the apps (model/delivery.py).
    layer: Layer = "apps"

    @property
    def annotations(self) -> dict[str, str]:
        return object_annotations(kind=self.kind, layer=self.layer)


@dataclass(frozen=True)
class CityScrape:
    probes: tuple[ProbePlan, ...]
    monitors: tuple[MonitorPlan, ...]

    @property
    def targets(self) -> int:
        """What Prometheus scrapes at most at once: each probe, and each pod of each monitor."""
        return len(self.probes) + sum(monitor.targets for monitor in self.monitors)


@dataclass(frozen=True)
class ScrapePlan:
    interval: str
    timeout: str
    prober: str  # the blackbox exporter's address, in the monitoring namespace
    namespace: str
    cities: dict[str, CityScrape]
    addons: tuple[Addon, ...] = ()

    def city(self, name: str) -> CityScrape:
        return self.cities[name]


def _edge_module(host: str) -> dict[str, object]:
    """HTTPS to an edge address as `host`: the edge routes by Host and presents the host's certificate,
    which the probe verifies against that name (a plain-HTTP answer fails it)."""
    return {
        "prober": "http",
        "timeout": f"{PROBE_TIMEOUT_SECONDS}s",
        "http": {
            "preferred_ip_protocol": "ip4",
            "headers": {"Host": host},
            "tls_config": {"server_name": host},
            "fail_if_not_ssl": True,
        },
    }


def _modules(edge_hosts: tuple[str, ...]) -> dict[str, object]:
    return {
        **{naming.edge_probe_module(host): _edge_module(host) for host in edge_hosts},
        HTTP_MODULE: {
            "prober": "http",
            "timeout": f"{PROBE_TIMEOUT_SECONDS}s",
            "http": {"preferred_ip_protocol": "ip4"},
        },
        TCP_MODULE: {"prober": "tcp", "timeout": f"{PROBE_TIMEOUT_SECONDS}s", "tcp": {"preferred_ip_protocol": "ip4"}},
    }


@traced
def resolve_scrape(inputs: Inputs) -> ScrapePlan:
    spec = inputs.spec
    scrape = spec.observability.scrape
    monitoring = spec.network_policy.monitoring_namespace
    apps, data = spec.namespaces.apps, spec.namespaces.data
    database = spec.database
    edge_host = spec.hosts.api  # the host the API clients use, and so the one whose outage the SLA counts
    cities = {}
    for city in inputs.cities:
        edge_app = inputs.workloads.city(city).edge.app
        probes = [
            ProbePlan(
                name=naming.probe_name("edge", target.name),
                module=naming.edge_probe_module(edge_host),
                targets=(f"https://{target.network.edge_address}{edge_app.health_path}",),
                labels={naming.PROBE_KIND_LABEL: "edge", naming.TARGET_CITY_LABEL: target.name},
            )
            for target in inputs.cities
        ]
        probes += [
            ProbePlan(
                name=naming.probe_name("service", app.name),
                module=HTTP_MODULE,
                targets=(f"http://{naming.cluster_local_host(app.name, apps)}:{app.port}{app.health_path}",),
                labels={naming.PROBE_KIND_LABEL: "service", naming.PROBE_SERVICE_LABEL: app.name},
            )
            for app in inputs.workloads.city(city).apps
        ]
        probes += [
            ProbePlan(
                name=naming.probe_name("reporting", target.name),
                module=TCP_MODULE,
                targets=(f"{inputs.layer.host(target.name, naming.REPORTING_SERVICE)}:{database.postgres_port}",),
                labels={naming.PROBE_KIND_LABEL: "reporting", naming.TARGET_CITY_LABEL: target.name},
            )
            for target in inputs.cities
        ]
        monitors = [
            MonitorPlan(
                name=app.name,
                kind="service",
                namespace=apps,
                selector=city.selector(app.stable.name),
                port="metrics",
                scheme="http",
                targets=app.scaling.max_replicas,  # a canary's few pods come and go within the headroom
                service=app.name,
            )
            for app in inputs.workloads.city(city).apps
        ]
        monitors.append(
            MonitorPlan(
                name=naming.PATRONI_MONITOR,
                kind="pod",
                namespace=data,
                layer="data",
                selector={naming.DATABASE_CLUSTER_LABEL: inputs.layer.city(city.name).scope},
                port="patroni",
                scheme="https",
                targets=inputs.layer.city(city.name).members + inputs.layer.city(city.name).reporting_members,
                tls_server_name=inputs.layer.host(city.name, naming.WRITE_SERVICE),
                tls_ca_secret=naming.PATRONI_API_TLS,
            )
        )
        cache = inputs.workloads.city(city).cache
        if cache is not None:
            # the report cache's exporters, one beside each replica: no Service fronts them, so by pod
            monitors.append(
                MonitorPlan(
                    name=naming.CACHE_MONITOR,
                    kind="pod",
                    namespace=apps,
                    selector=city.selector(cache.name),
                    port=naming.CACHE_EXPORTER_PORT,
                    scheme="http",
                    targets=cache.replicas,
                )
            )
        if inputs.layer.quorum:
            monitors.append(
                MonitorPlan(
                    name=naming.ETCD_MONITOR,
                    kind="pod",
                    namespace=data,
                    layer="data",
                    selector=city.selector(naming.ETCD),
                    port="metrics",
                    scheme="http",
                )
            )
        cities[city.name] = CityScrape(probes=tuple(probes), monitors=tuple(monitors))
    addons = tuple(
        Addon(
            name=naming.BLACKBOX_EXPORTER,
            stage="charts",
            city=city.name,
            namespace=monitoring,
            repo_url=naming.PROMETHEUS_COMMUNITY_CHARTS,
            chart=naming.BLACKBOX_CHART,
            version=scrape.blackbox_chart_version,
            values={
                "config": {"modules": _modules((edge_host,))},
                "fullnameOverride": naming.BLACKBOX_EXPORTER,
                # A sidecar gives the prober its mesh identity: under STRICT mTLS the services' sidecars refuse
                # plaintext, and their AuthorizationPolicies admit this account on the service port.
                "pod": {"labels": {naming.SIDECAR_INJECT_LABEL: "true"}},
                # Prometheus, outside the mesh, still asks the exporter for its probes in plain HTTP.
                "podAnnotations": {naming.EXCLUDE_INBOUND_PORTS: str(naming.BLACKBOX_PORT)},
            },
        )
        for city in inputs.cities
    )
    return ScrapePlan(
        interval=f"{scrape.interval_seconds}s",
        timeout=f"{PROBE_TIMEOUT_SECONDS}s",
        prober=f"{naming.cluster_local_host(naming.BLACKBOX_EXPORTER, monitoring)}:{naming.BLACKBOX_PORT}",
        namespace=monitoring,
        cities=cities,
        addons=addons,
    )
