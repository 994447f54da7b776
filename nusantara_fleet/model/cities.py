"""The types every view of the model shares: cities, their pools, the services they run.

This module imports only the input specs and the naming module; every view (`data`, `workloads`,
`delivery`) builds on what `resolve_cities` returns, so nothing below is derived twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nusantara_fleet import naming
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import CitySpec, FleetSpec
from nusantara_fleet.model.spec.platform import ContainerResources, NetworkSpec, PoolSpec
from nusantara_fleet.model.spec.workloads import CityServiceSpec, ServiceSpec

Role = Literal["primary", "replica"]
PoolName = Literal["general", "database"]
# Services, their cache and batch jobs run on the general pool; PostgreSQL and etcd on the database pool.
WORKLOAD_POOL: PoolName = "general"
DATABASE_POOL: PoolName = "database"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Pool:
    """A node pool of one city: its size there and how pods are placed on it."""

    name: PoolName
    nodes: int
    dedicated: bool
    overridden: bool  # the city file sets its size, rather than inheriting the fleet's

    @property
    def node_selector(self) -> dict[str, str]:
        return {naming.POOL_LABEL: self.name}

    @property
    def tolerations(self) -> list[dict[str, str]]:
        """What a pod placed on purpose in this pool tolerates (nothing when the pool is untainted)."""
        if not self.dedicated:
            return []
        return [{"effect": "NoSchedule", "key": naming.POOL_LABEL, "operator": "Equal", "value": self.name}]


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
    def writes(self) -> bool:
        return any(route.access == "write" for route in self.spec.routes)


@dataclass(frozen=True)
class Canary:
    """A candidate version of a service taking `weight` % of one city's traffic."""

    image: str
    tag: str
    weight: int


@dataclass(frozen=True)
class CityService:
    """A service as one city runs it: its stable version there, and its canary if any.

    Derived on use from the city's release state, so whatever reads a version reads the inputs behind it.
    """

    service: Service
    state: CityServiceSpec | None

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def version(self) -> str:
        """A city's tag overrides the fleet's stable tag (a release in progress)."""
        if self.state is None or self.state.tag is None:
            return self.service.spec.tag
        return self.state.tag

    @property
    def digest(self) -> str | None:
        """The city's own digest pins its stable version; fleet.yaml's digest pins only fleet.yaml's tag."""
        if self.state is not None and self.state.digest is not None:
            return self.state.digest
        if self.state is None or self.state.tag is None:
            return self.service.spec.digest
        return None

    @property
    def image(self) -> str:
        if self.digest is not None:
            return f"{self.service.image_repository}@{self.digest}"
        return f"{self.service.image_repository}:{self.version}"

    @property
    def canary(self) -> Canary | None:
        if self.state is None or self.state.canary is None:
            return None
        candidate = self.state.canary
        pin = f"@{candidate.digest}" if candidate.digest is not None else f":{candidate.tag}"
        return Canary(image=f"{self.service.image_repository}{pin}", tag=candidate.tag, weight=candidate.weight)


@dataclass(frozen=True)
class City:
    """One city, fully resolved."""

    name: str
    source: str  # the envs file it came from, as the user names it
    spec: CitySpec
    project: str
    role: Role
    wave: int
    gated: bool
    pools: dict[PoolName, Pool]
    services: tuple[CityService, ...]

    @property
    def network(self) -> NetworkSpec:
        return self.spec.network

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"

    def labels(self, *, name: str, component: naming.Component, version: str) -> dict[str, str]:
        return naming.labels(
            project=self.project, city=self.name, role=self.role, name=name, component=component, version=version
        )

    def selector(self, name: str) -> dict[str, str]:
        return naming.selector_labels(name=name, city=self.name)

    def service(self, name: str) -> CityService:
        return next(cs for cs in self.services if cs.name == name)


def pool_sizes(spec: FleetSpec, city: CitySpec) -> dict[PoolName, Pool]:
    """A city's pools: the fleet's size unless the city file overrides it (the one override rule)."""
    pools: dict[PoolName, Pool] = {}
    for name in (WORKLOAD_POOL, DATABASE_POOL):
        pool_spec: PoolSpec = getattr(spec.node_pools, name)
        override = getattr(city.node_pools, name)
        pools[name] = Pool(
            name=name,
            nodes=override.nodes if override is not None else pool_spec.nodes,
            dedicated=pool_spec.dedicated,
            overridden=override is not None,
        )
    return pools


def resolve_services(spec: FleetSpec) -> tuple[Service, ...]:
    return tuple(
        Service(
            spec=svc,
            image_repository=f"{spec.image_registry}/{svc.name}",
            resources=getattr(spec.resource_classes, svc.resource_class),
        )
        for svc in spec.services
    )


def resolve_cities(
    spec: FleetSpec, cities: dict[str, tuple[str, CitySpec]], services: tuple[Service, ...]
) -> tuple[City, ...]:
    """Every city in rollout order (its wave is its position), with its pools and services."""
    return tuple(_city(spec, name, wave, *cities[name], services) for wave, name in enumerate(spec.rollout.order))


@traced
def _city(spec: FleetSpec, name: str, wave: int, source: str, city: CitySpec, services: tuple[Service, ...]) -> City:
    return City(
        name=name,
        source=source,
        spec=city,
        project=spec.project,
        role="primary" if name == spec.primary else "replica",
        wave=wave,
        gated=name == (spec.rollout.gated_city or spec.primary),
        pools=pool_sizes(spec, city),
        services=tuple(CityService(service=service, state=city.services.get(service.name)) for service in services),
    )
