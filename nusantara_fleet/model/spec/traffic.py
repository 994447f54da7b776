"""What `envs/` may say about traffic between cities: the mesh, locality failover and global DNS."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import Spec


class MeshSpec(Spec):
    """The Istio multi-primary, multi-network mesh that joins the cities' clusters."""


class LocalityFailoverSpec(Spec):
    """How a city's callers fail over to another city's endpoints when the local ones are gone."""


class GlobalDnsSpec(Spec):
    """k8gb: the public hosts' DNS, answered by every city and re-pointed when a city is down."""


class TrafficSpec(Spec):
    mesh: MeshSpec = Field(default=MeshSpec(), description="The service mesh across cities.")
    failover: LocalityFailoverSpec = Field(
        default=LocalityFailoverSpec(), description="Locality failover of every service's traffic."
    )
    dns: GlobalDnsSpec = Field(default=GlobalDnsSpec(), description="Global DNS for the public hosts.")
