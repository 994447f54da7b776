"""What every city has before any workload: its namespaces and the facts the workloads read."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.platform.city_facts import CityFacts
from nusantara_fleet.constructs.platform.fleet_topology import FleetTopology
from nusantara_fleet.constructs.platform.namespace import Namespace
from nusantara_fleet.model import City, Fleet


def render_city_platform(scope: Construct, *, fleet: Fleet, city: City) -> None:
    mesh = fleet.traffic.mesh
    for _, name in fleet.spec.namespaces:
        Namespace(scope, city=city, name=name, labels=mesh.namespace_labels.get(name))
    CityFacts(scope, fleet=fleet, city=city)


def render_fleet_platform(scope: Construct, *, fleet: Fleet) -> None:
    FleetTopology(scope, fleet=fleet)
