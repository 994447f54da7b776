"""The resolved fleet: every city with its inherited defaults applied and every derived value computed.

Constructs read only these objects. Anything a construct needs that is not written in `envs/`
is derived here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.data import READ_SERVICE, REPORTING_SERVICE, WRITE_SERVICE, DataLayer, resolve_data
from nusantara_fleet.model.delivery import Delivery
from nusantara_fleet.model.spec import (
    CitySpec,
    ContainerResources,
    FleetSpec,
    NetworkSpec,
    NodeSize,
    PoolSpec,
    ServiceSpec,
)
from nusantara_fleet.model.workloads import Workloads

Role = Literal["primary", "replica"]

POOL_LABEL = "node.nusantaramart.co.id/pool"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Pool:
    """A node pool of one city."""

    name: str
    spec: PoolSpec
    nodes: int
    size: NodeSize

    @property
    def node_selector(self) -> dict[str, str]:
        return {POOL_LABEL: self.name}

    @property
    def tolerations(self) -> list[dict[str, str]]:
        """What a pod placed on purpose in this pool tolerates (nothing when the pool is untainted)."""
        if not self.spec.dedicated:
            return []
        return [{"effect": "NoSchedule", "key": POOL_LABEL, "operator": "Equal", "value": self.name}]

    @property
    def capacity(self) -> NodeSize:
        return NodeSize(
            vcpu=self.size.vcpu * self.nodes,
            memory_gib=self.size.memory_gib * self.nodes,
            disk_gib=self.size.disk_gib * self.nodes,
        )


@dataclass(frozen=True)
class Service:
    """A service as every city runs it."""

    spec: ServiceSpec
    image_repository: str
    resources: ContainerResources

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def image(self) -> str:
        """The image reference: by digest when one is given (immutable), else by tag."""
        if self.spec.digest:
            return f"{self.image_repository}@{self.spec.digest}"
        return f"{self.image_repository}:{self.spec.tag}"

    @property
    def version(self) -> str:
        return self.spec.tag


@dataclass(frozen=True)
class Canary:
    """A candidate version of a service taking `weight` % of one city's traffic."""

    image: str
    tag: str
    weight: int


@dataclass(frozen=True)
class CityService:
    """A service as one city runs it: its stable version there, and its canary if any."""

    service: Service
    image: str
    version: str
    canary: Canary | None

    @property
    def name(self) -> str:
        return self.service.name


@dataclass(frozen=True)
class City:
    """One city, fully resolved."""

    name: str
    source: str
    spec: CitySpec
    role: Role
    wave: int
    gated: bool
    pools: dict[str, Pool]
    services: tuple[CityService, ...]

    @property
    def network(self) -> NetworkSpec:
        return self.spec.network

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"


@dataclass(frozen=True)
class Fleet:
    """The whole fleet: the common spec plus each city in rollout order."""

    spec: FleetSpec
    cities: tuple[City, ...]
    services: tuple[Service, ...]
    warnings: tuple[Problem, ...] = ()  # what renders but deserves a look; `fleet synth` prints them

    @property
    def primary(self) -> City:
        return next(city for city in self.cities if city.is_primary)

    @property
    def gated_city(self) -> City:
        return next(city for city in self.cities if city.gated)

    def city(self, name: str) -> City:
        return next(city for city in self.cities if city.name == name)

    def read_endpoint(self, city: City) -> Endpoint:
        """Reads stay in the city: its own replicas' Service."""
        return Endpoint(
            f"{READ_SERVICE}.{self.spec.namespaces.data}.svc.cluster.local", self.spec.database.postgres_port
        )

    def reporting_endpoint(self, city: City) -> Endpoint:
        """The city's reporting members: read-only, never leaders, for the report service."""
        return Endpoint(
            f"{REPORTING_SERVICE}.{self.spec.namespaces.data}.svc.cluster.local", self.spec.database.postgres_port
        )

    def city_database_host(self, city: City, service: str) -> str:
        """A city's database Service as every city can resolve it (pod CIDRs are routable fleet-wide)."""
        return self.data.host(city.name, service)

    @property
    def write_endpoint(self) -> Endpoint:
        """Writes from every city go to the primary city's leader; moving `primary` moves this.

        `data.write_hosts` lists every city's write Service in the order of succession, for clients
        that should follow an automatic failover before `primary` is changed.
        """
        return Endpoint(self.city_database_host(self.primary, WRITE_SERVICE), self.spec.database.postgres_port)

    @cached_property
    def data(self) -> DataLayer:
        """The data layer: Patroni timings, order of succession, members and endpoints (model/data.py)."""
        return resolve_data(self.spec, self.cities, tuple(city.network.pod_cidr for city in self.cities))

    @cached_property
    def workloads(self) -> Workloads:
        """Services, their canaries, edge and cache in every city (model/workloads.py)."""
        return Workloads(self)

    @cached_property
    def delivery(self) -> Delivery:
        """How Argo CD rolls the fleet out: names, waves and the gate (see model/delivery.py)."""
        return Delivery(self)

    @cached_property
    def design_capacity_rps(self) -> tuple[int, int]:
        """Peak plus the design's headroom band: 3000 RPS at 30-50 % gives 3900-4500 RPS."""
        cap = self.spec.capacity
        return (
            cap.peak_rps * (100 + cap.headroom_min_pct) // 100,
            cap.peak_rps * (100 + cap.headroom_max_pct) // 100,
        )


def _city_service(service: Service, city: CitySpec) -> CityService:
    """A city's tag overrides the fleet's stable tag (a release in progress); a digest pins only the fleet tag."""
    state = city.services.get(service.name)
    if state is None or state.tag is None:
        version, image = service.version, service.image
    else:
        version, image = state.tag, f"{service.image_repository}:{state.tag}"
    canary = None
    if state is not None and state.canary is not None:
        canary = Canary(
            image=f"{service.image_repository}:{state.canary.tag}",
            tag=state.canary.tag,
            weight=state.canary.weight,
        )
    return CityService(service=service, image=image, version=version, canary=canary)


def resolve(spec: FleetSpec, cities: dict[str, tuple[str, CitySpec]]) -> Fleet:
    """Build the fleet from already cross-checked specs (see `loader.check_fleet`)."""
    gated = spec.rollout.gated_city or spec.primary
    services = tuple(
        Service(
            spec=svc,
            image_repository=f"{spec.image_registry}/{svc.name}",
            resources=getattr(spec.resource_classes, svc.resource_class),
        )
        for svc in spec.services
    )
    resolved = []
    for wave, name in enumerate(spec.rollout.order):
        source, city_spec = cities[name]
        pools = {}
        for pool_name in type(spec.node_pools).model_fields:
            pool_spec: PoolSpec = getattr(spec.node_pools, pool_name)
            override = getattr(city_spec.node_pools, pool_name)
            pools[pool_name] = Pool(
                name=pool_name,
                spec=pool_spec,
                nodes=override.nodes if override is not None else pool_spec.nodes,
                size=getattr(spec.hardware, pool_spec.node_class),
            )
        resolved.append(
            City(
                name=name,
                source=source,
                spec=city_spec,
                role="primary" if name == spec.primary else "replica",
                wave=wave,
                gated=name == gated,
                pools=pools,
                services=tuple(_city_service(svc, city_spec) for svc in services),
            )
        )
    return Fleet(spec=spec, cities=tuple(resolved), services=services)
