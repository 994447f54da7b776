"""What the scenarios need from a rendered tree, read from its objects alone (never from envs/ or the model).

Every reader tolerates a missing or misshapen object: an absent DestinationRule, Gslb or Gateway address is
a fact the simulation acts on (no failover, no DNS answer), so the report shows what it costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nusantara_fleet import naming, safe_yaml
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.validate.documents import Document
from nusantara_fleet.validate.tree import CLUSTER_DOMAIN, Folder, at, entries, folders, labels_of, mapping, text

TOPOLOGY_FILE = "cities.json"
PRIMARY_KEY = "primary"
REPORTING = "reporting"  # the database-role of members that never lead
FAILOVER_PRIORITY = "failover_priority"
NOFAILOVER = "nofailover"
QUORUM = "quorum"
READ_HOST, READ_HOSTS, READ_ATTRS = "DB_READ_HOST", "DB_READ_HOSTS", "DB_READ_TARGET_SESSION_ATTRS"
WRITE_HOST, WRITE_HOSTS = "DB_WRITE_HOST", "DB_WRITE_HOSTS"
K8GB_VALUES = "k8gb"


@dataclass(frozen=True)
class Failover:
    """One `localityLbSetting.failover` entry."""

    source: str
    target: str


@dataclass(frozen=True)
class Rule:
    """A DestinationRule's locality settings, as istiod reads them."""

    name: str
    enabled: bool  # localityLbSetting.enabled (absent: the mesh default, on)
    failover: tuple[Failover, ...]
    outlier_detection: bool
    failover_seconds: int | None  # the rendered derivation of the time to fail over


@dataclass(frozen=True)
class Workload:
    """A service's pods in one city."""

    name: str
    replicas: int
    readiness_seconds: int | None  # periodSeconds x failureThreshold of its readiness probe
    rule: Rule | None
    read_hosts: tuple[str, ...]  # in the order libpq tries them
    read_attrs: str
    write_hosts: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    hostnames: tuple[str, ...]
    gateway: str | None
    backends: tuple[str, ...]


@dataclass(frozen=True)
class Gslb:
    """One `k8gb.io` Gslb: the host it serves, how, and what it watches."""

    name: str
    strategy: str
    primary_tag: str | None
    ttl_seconds: int | None
    route: Route | None


@dataclass(frozen=True)
class Member:
    """A Patroni member as rendered: its pod name, StatefulSet labels, and whether and how eagerly it may lead."""

    name: str
    city: str
    role: str  # naming.DATABASE_ROLE_LABEL of its StatefulSet: primary, replica or reporting
    labels: dict[str, str]
    priority: int  # Patroni's failover_priority (0: never; members without the tag: 1)
    nofailover: bool

    @property
    def may_lead(self) -> bool:
        return not self.nofailover and self.priority > 0


@dataclass(frozen=True)
class Selector:
    """A Service the databases are reached by: its name, the city it lives in, what it selects."""

    name: str
    city: str
    selector: dict[str, str]


@dataclass
class CityFacts:
    name: str
    edge_address: str | None = None
    workloads: dict[str, Workload] = field(default_factory=dict)
    gslbs: dict[str, Gslb] = field(default_factory=dict)
    requeue_seconds: int | None = None
    ext_tags: tuple[str, ...] | None = None  # k8gb.extGslbClustersGeoTags (None: not rendered)
    etcd_members: int = 0
    services: dict[str, Selector] = field(default_factory=dict)  # by cluster-local name, `<svc>.<ns>.svc.cluster.local`


@dataclass(frozen=True)
class Patroni:
    ttl: int | None
    loop_wait: int | None
    mode: str | None


@dataclass
class Facts:
    """The fleet as the scenarios see it."""

    primary: str
    cities: tuple[str, ...]
    city: dict[str, CityFacts]
    members: tuple[Member, ...]
    patroni: Patroni
    published: dict[str, Selector]  # external-dns hostname -> the Service behind it

    @property
    def quorum(self) -> bool:
        """One Patroni cluster across the cities on a shared etcd; else a cluster per city, standbys of the primary."""
        if self.patroni.mode:
            return self.patroni.mode == QUORUM
        return any(city.etcd_members for city in self.city.values())

    @property
    def preference(self) -> tuple[str, ...]:
        """Other cities in the order Patroni would promote them: highest failover_priority first."""
        best: dict[str, int] = {}
        for member in self.members:
            if member.city != self.primary and member.may_lead:
                best[member.city] = max(best.get(member.city, 0), member.priority)
        ranked = sorted(best, key=lambda city: (-best[city], self.cities.index(city)))
        return (*ranked, *(c for c in self.cities if c != self.primary and c not in best))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _topology(fleet: Folder | None, shown: str) -> tuple[str, tuple[str, ...]]:
    doc = fleet.get("ConfigMap", "argocd", naming.FLEET_TOPOLOGY) if fleet else None
    if doc is None:
        doc = next((d for d in (fleet.of_kind("ConfigMap") if fleet else []) if d.name == naming.FLEET_TOPOLOGY), None)
    if doc is None:
        message = f"has no ConfigMap {naming.FLEET_TOPOLOGY} in {naming.FLEET_FOLDER}/: is it a rendered fleet?"
        raise ConfigError([Problem(shown, None, "", message)])
    data = mapping(doc.body.get("data"))
    primary = text(data.get(PRIMARY_KEY))
    try:
        cities = json.loads(text(data.get(TOPOLOGY_FILE)) or "null")
    except ValueError:
        cities = None
    if not primary or not isinstance(cities, dict) or primary not in cities:
        message = f"data.{PRIMARY_KEY} and data.{TOPOLOGY_FILE} must name the primary among the cities"
        raise ConfigError([Problem(doc.path, None, f"ConfigMap {naming.FLEET_TOPOLOGY}", message)])
    return primary, tuple(cities)


def _replicas(doc: Document) -> int:
    """`spec.replicas`, 1 when absent as Kubernetes defaults it."""
    replicas = _int(at(doc.body, "spec", "replicas"))
    return 1 if replicas is None else replicas


def _readiness(doc: Document) -> int | None:
    for container in entries(at(doc.body, "spec", "template", "spec", "containers")):
        probe = mapping(container.get("readinessProbe"))
        period, threshold = _int(probe.get("periodSeconds", 10)), _int(probe.get("failureThreshold", 3))
        if probe and period is not None and threshold is not None:
            return period * threshold
    return None


def _rule(doc: Document) -> Rule:
    policy = mapping(at(doc.body, "spec", "trafficPolicy"))
    locality = mapping(at(policy, "loadBalancer", "localityLbSetting"))
    enabled = locality.get("enabled")
    failover = tuple(
        Failover(str(item.get("from", "")), str(item.get("to", ""))) for item in entries(locality.get("failover"))
    )
    seconds = _int(at(doc.body, "metadata", "annotations", naming.FAILOVER_SECONDS))
    return Rule(doc.name, enabled is not False, failover, bool(policy.get("outlierDetection")), seconds)


def _hosts(data: dict[str, Any], single: str, many: str) -> tuple[str, ...]:
    listed = [item.strip().rpartition(":")[0] or item.strip() for item in (text(data.get(many)) or "").split(",")]
    found = tuple(host for host in listed if host)
    return found or ((text(data.get(single)) or "",) if text(data.get(single)) else ())


def _workloads(folder: Folder) -> dict[str, Workload]:
    rules: dict[str, Rule] = {}
    for doc in folder.of_kind("DestinationRule"):
        host = text(at(doc.body, "spec", "host")) or ""
        rules.setdefault(host, _rule(doc))
    found: dict[str, Workload] = {}
    for doc in folder.of_kind("Deployment"):
        namespace = text(at(doc.body, "metadata", "namespace")) or "default"
        if folder.get("Service", namespace, doc.name) is None:
            continue  # nothing calls a workload without a Service of its name: no scenario routes to it
        config: dict[str, Any] = {}
        for source in entries(at(doc.body, "spec", "template", "spec", "containers")):
            for ref in entries(source.get("envFrom")):
                name = text(at(ref, "configMapRef", "name"))
                found_map = folder.get("ConfigMap", namespace, name) if name else None
                if found_map is not None:
                    config.update(mapping(found_map.body.get("data")))
        found[doc.name] = Workload(
            name=doc.name,
            replicas=_replicas(doc),
            readiness_seconds=_readiness(doc),
            rule=rules.get(f"{doc.name}.{namespace}.{CLUSTER_DOMAIN}"),
            read_hosts=_hosts(config, READ_HOST, READ_HOSTS),
            read_attrs=text(config.get(READ_ATTRS)) or "any",
            write_hosts=_hosts(config, WRITE_HOST, WRITE_HOSTS),
        )
    return found


def _route(folder: Folder, namespace: str, ref: dict[str, Any]) -> Route | None:
    if text(ref.get("kind")) != "HTTPRoute":
        return None
    doc = folder.get("HTTPRoute", text(ref.get("namespace")) or namespace, text(ref.get("name")) or "")
    if doc is None:
        return None
    listed = at(doc.body, "spec", "hostnames")
    hostnames = tuple(h for h in (text(item) for item in listed) if h) if isinstance(listed, list) else ()
    parents = entries(at(doc.body, "spec", "parentRefs"))
    gateway = text(parents[0].get("name")) if len(parents) == 1 else None
    backends = tuple(
        name
        for rule in entries(at(doc.body, "spec", "rules"))
        for backend in entries(rule.get("backendRefs"))
        if (name := text(backend.get("name")))
    )
    return Route(hostnames, gateway, backends)


def _gslbs(folder: Folder) -> dict[str, Gslb]:
    found: dict[str, Gslb] = {}
    for doc in folder.of_kind("Gslb"):
        namespace = text(at(doc.body, "metadata", "namespace")) or "default"
        strategy = mapping(at(doc.body, "spec", "strategy"))
        found[doc.name] = Gslb(
            name=doc.name,
            strategy=text(strategy.get("type")) or "",
            primary_tag=text(strategy.get("primaryGeoTag")),
            ttl_seconds=_int(strategy.get("dnsTtlSeconds")),
            route=_route(folder, namespace, mapping(at(doc.body, "spec", "resourceRef"))),
        )
    return found


def _edge_address(folder: Folder) -> str | None:
    for doc in folder.of_kind("Gateway"):
        if doc.name == naming.EDGE_GATEWAY and doc.api_version.startswith("gateway.networking.k8s.io/"):
            for address in entries(at(doc.body, "spec", "addresses")):
                if text(address.get("type")) in (None, "IPAddress") and text(address.get("value")):
                    return text(address.get("value"))
    return None


def _patroni(folder: Folder, key: str) -> dict[str, Any]:
    doc = next((d for d in folder.of_kind("ConfigMap") if d.name == naming.PATRONI_CONFIG), None)
    raw = text(mapping(doc.body.get("data")).get(key)) if doc else None
    if not raw or doc is None:
        return {}
    try:
        loaded = safe_yaml.load(raw.encode(), f"{doc.path}: data.{key}")
    except ConfigError:
        return {}
    return mapping(loaded)


def _members(folder: Folder) -> list[Member]:
    members = []
    for doc in folder.of_kind("StatefulSet"):
        role = labels_of(at(doc.body, "metadata", "labels")).get(naming.DATABASE_ROLE_LABEL)
        if role is None:
            continue
        config = _patroni(
            folder, naming.SCENARIO_REPORTING_CONFIG if role == REPORTING else naming.SCENARIO_POSTGRES_CONFIG
        )
        tags = mapping(config.get("tags"))
        priority = _int(tags.get(FAILOVER_PRIORITY))
        labels = labels_of(at(doc.body, "spec", "template", "metadata", "labels"))
        for index in range(_replicas(doc)):
            members.append(
                Member(
                    f"{doc.name}-{index}",
                    folder.name,
                    role,
                    labels,
                    1 if priority is None else priority,
                    tags.get(NOFAILOVER) is True,
                )
            )
    return members


def _k8gb(fleet: Folder | None, city: CityFacts) -> None:
    for doc in fleet.of_kind("Application") if fleet else []:
        if text(at(doc.body, "spec", "destination", "name")) != city.name:
            continue
        values = mapping(at(doc.body, "spec", "source", "helm", "valuesObject", K8GB_VALUES))
        if "reconcileRequeueSeconds" in values:
            city.requeue_seconds = _int(values.get("reconcileRequeueSeconds"))
            tags = text(values.get("extGslbClustersGeoTags"))
            city.ext_tags = tuple(t.strip() for t in tags.split(",") if t.strip()) if tags is not None else None


def read_facts(documents: Iterable[Document], shown: str) -> Facts:
    """The facts of a rendered tree; a tree without the fleet's topology is a `ConfigError`."""
    tree = folders(list(documents))
    fleet = tree.get(naming.FLEET_FOLDER)
    primary, cities = _topology(fleet, shown)
    city_facts: dict[str, CityFacts] = {}
    members: list[Member] = []
    published: dict[str, Selector] = {}
    for name in cities:
        facts = CityFacts(name)
        city_facts[name] = facts
        folder = tree.get(name)
        _k8gb(fleet, facts)
        if folder is None:
            continue
        facts.edge_address = _edge_address(folder)
        facts.workloads = _workloads(folder)
        facts.gslbs = _gslbs(folder)
        etcd = next((doc for doc in folder.of_kind("StatefulSet") if doc.name == naming.ETCD), None)
        facts.etcd_members = _replicas(etcd) if etcd else 0
        members.extend(_members(folder))
        for doc in folder.of_kind("Service"):
            selector = labels_of(at(doc.body, "spec", "selector"))
            if not selector:
                continue
            namespace = text(at(doc.body, "metadata", "namespace")) or "default"
            local = Selector(doc.name, name, selector)
            facts.services[f"{doc.name}.{namespace}.{CLUSTER_DOMAIN}"] = local
        for hostname, doc in folder.published.items():
            published[hostname] = Selector(doc.name, name, labels_of(at(doc.body, "spec", "selector")))
    return Facts(primary, cities, city_facts, tuple(members), _patroni_timing(tree.get(primary)), published)


def _patroni_timing(folder: Folder | None) -> Patroni:
    if folder is None:
        return Patroni(None, None, None)
    dcs = mapping(at(_patroni(folder, naming.SCENARIO_POSTGRES_CONFIG), "bootstrap", "dcs"))
    mode = None
    for doc in folder.of_kind("Job"):
        for container in entries(at(doc.body, "spec", "template", "spec", "containers")):
            for env in entries(container.get("env")):
                if env.get("name") == naming.SCENARIO_FAILOVER_MODE_ENV:
                    mode = text(env.get("value"))
    return Patroni(_int(dcs.get("ttl")), _int(dcs.get("loop_wait")), mode)
