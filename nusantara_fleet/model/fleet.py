"""The resolved fleet: a plain frozen aggregate of the views, each resolved once, in dependency order.

    specs ─▶ cities, services (model/cities.py) ─▶ data layer (model/data/) ─▶ workloads (model/workloads/)
          │                                      └▶ delivery (model/delivery.py)        │
          └▶ demand (model/capacity/demand.py) ─────── HPA bounds ──────────────────────┤
                                           capacity plan (model/capacity/plan.py) ◀─────┤
                                           observability (model/observability/) ◀───────┤
                                           traffic (model/traffic/) ◀───────────────────┘

Constructs read only these objects. Anything a construct needs that is not written in `envs/` is
derived here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.capacity.demand import resolve_demand
from nusantara_fleet.model.capacity.plan import CapacityPlan, resolve_capacity
from nusantara_fleet.model.cities import City, Service, resolve_cities, resolve_services
from nusantara_fleet.model.data import CityDataPlan, DataLayer, plan_data
from nusantara_fleet.model.data.checks import check_data
from nusantara_fleet.model.data.layer import resolve_layer
from nusantara_fleet.model.delivery import MONITOR_KINDS, Delivery, data_layer_files, platform_files, resolve_delivery
from nusantara_fleet.model.observability import Inputs, Observability, resolve_observability
from nusantara_fleet.model.prerequisites import Prerequisites, resolve_prerequisites
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.provenance import Read
from nusantara_fleet.model.spec import CitySpec, FleetSpec
from nusantara_fleet.model.traffic import Inputs as TrafficInputs
from nusantara_fleet.model.traffic import Traffic, resolve_traffic
from nusantara_fleet.model.workloads import Workloads, resolve_workloads
from nusantara_fleet.model.workloads.checks import check_placement, workload_warnings


@dataclass(frozen=True)
class Fleet:
    """The whole fleet: the common spec, each city in rollout order, and every view derived from them."""

    spec: FleetSpec
    cities: tuple[City, ...]
    services: tuple[Service, ...]
    data: DataLayer
    data_plans: Mapping[str, CityDataPlan]
    workloads: Workloads
    delivery: Delivery
    capacity: CapacityPlan
    observability: Observability
    traffic: Traffic
    prerequisites: Prerequisites
    sources: Sources
    warnings: tuple[Problem, ...] = ()  # what renders but deserves a look; `fleet synth` prints them
    # id of a plan -> the input fields it was built from, when loaded with `record` (`fleet explain`)
    provenance: Mapping[int, frozenset[Read]] = field(default_factory=dict, compare=False)

    @property
    def primary(self) -> City:
        return next(city for city in self.cities if city.is_primary)

    @property
    def gated_city(self) -> City:
        return next(city for city in self.cities if city.gated)

    @property
    def addons(self) -> tuple[Addon, ...]:
        """Every chart the fleet installs through Argo CD, in a stable order (city, then name)."""
        every = (*self.prerequisites.addons, *self.observability.addons, *self.traffic.addons)
        return tuple(sorted(every, key=lambda addon: (addon.city, addon.name)))

    def city(self, name: str) -> City:
        return next(city for city in self.cities if city.name == name)


def resolve(spec: FleetSpec, cities: dict[str, CitySpec], sources: Sources) -> Fleet:
    """Build the fleet from specs the structural checks have passed (see `model/checks.py`).

    The data layer's and the placement rules judge the resolved cities and layer before any plan is
    built from them; a fleet that breaks one raises ConfigError listing every problem.
    """
    services = resolve_services(spec)
    paths = {name: sources.cities[name].path for name in cities}
    resolved = resolve_cities(spec, {name: (paths[name], city) for name, city in cities.items()}, services)
    layer = resolve_layer(spec, resolved)
    problems = [*check_data(spec, layer, sources), *check_placement(spec, resolved, sources)]
    if problems:
        raise ConfigError(problems)
    demand = resolve_demand(spec)
    workloads = resolve_workloads(spec, resolved, services, layer, demand)
    data_plans = plan_data(spec, layer, resolved)
    capacity = resolve_capacity(spec, demand, resolved, services, layer, workloads, data_plans)
    traffic = resolve_traffic(TrafficInputs(spec, resolved, services, layer, workloads))
    observability = resolve_observability(Inputs(spec, resolved, services, layer, workloads, demand))
    data_files = {
        city.name: data_layer_files(
            data_plans[city.name],
            namespace=spec.namespaces.data,
            extra=[
                (MONITOR_KINDS[monitor.kind], monitor.name)
                for monitor in observability.scrape.city(city.name).monitors
                if monitor.layer == "data"
            ],
        )
        for city in resolved
    }
    platform = {
        city.name: platform_files((*traffic.mesh.platform_objects(city.name), *observability.platform_objects()))
        for city in resolved
    }
    return Fleet(
        spec=spec,
        cities=resolved,
        services=services,
        data=layer,
        data_plans=data_plans,
        workloads=workloads,
        delivery=resolve_delivery(spec, resolved, data_files, platform),
        capacity=capacity,
        observability=observability,
        traffic=traffic,
        prerequisites=resolve_prerequisites(spec, resolved, data_plans, traffic.failover),
        sources=sources,
        warnings=(
            *workload_warnings(spec, sources),
            *capacity.warnings(sources),
            *traffic.failover.warnings(sources),
        ),
    )
