"""Traffic between the cities, resolved once per fleet: one plan per area, each from `Inputs`.

mesh.py      Istio multi-primary: identity, CA, east-west gateway, mTLS, authorization
failover.py  DestinationRules: locality failover order and outlier detection per service
dns.py       k8gb: Gslb per public host, delegated zones, k8gb's install per city
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.traffic.dns import DnsPlan, resolve_dns
from nusantara_fleet.model.traffic.failover import FailoverPlan, resolve_failover
from nusantara_fleet.model.traffic.inputs import Inputs
from nusantara_fleet.model.traffic.mesh import MeshPlan, resolve_mesh

__all__ = ["Inputs", "Traffic", "resolve_traffic"]


@dataclass(frozen=True)
class Traffic:
    mesh: MeshPlan
    failover: FailoverPlan
    dns: DnsPlan

    @property
    def addons(self) -> tuple[Addon, ...]:
        return (*self.mesh.addons, *self.dns.addons)


def resolve_traffic(inputs: Inputs) -> Traffic:
    return Traffic(mesh=resolve_mesh(inputs), failover=resolve_failover(inputs), dns=resolve_dns(inputs))
