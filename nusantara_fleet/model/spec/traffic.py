"""What `envs/` may say about traffic between cities: the mesh, locality failover and global DNS."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nusantara_fleet.model.spec.common import Spec


class MeshSpec(Spec):
    """The Istio multi-primary, multi-network mesh that joins the cities' clusters."""


LoadBalancer = Literal["LEAST_REQUEST", "ROUND_ROBIN", "RANDOM"]


class LocalityFailoverSpec(Spec):
    """How a city's callers fail over to another city's endpoints when the local ones are gone.

    The order of the cities is derived (`model/traffic/failover.py`), never written here: the city itself,
    then the primary city, then the others in `database.failover.preference` order. These fields tune the
    outlier detection that Istio needs before it assigns locality priorities at all, and say how fast a
    city's callers leave endpoints that still look Ready but fail.
    """

    load_balancer: LoadBalancer = Field(
        default="LEAST_REQUEST",
        description="How a caller picks among the endpoints of the best locality. Default: Istio's own, which "
        "sends fewer requests to a pod that answers slowly.",
    )
    consecutive_gateway_errors: int = Field(
        default=3,
        ge=1,
        description="502, 503 and 504 answers in a row that eject an endpoint. Default: three, so one dropped "
        "connection never ejects a pod but a dead one is left within a few requests.",
    )
    consecutive_local_origin_failures: int = Field(
        default=3,
        ge=1,
        description="Failures the caller's proxy sees itself (connect failures, resets, timeouts) in a row that "
        "eject an endpoint, counted apart from the answers. Default: as many as the gateway errors.",
    )
    consecutive_5xx_errors: int = Field(
        default=0,
        ge=0,
        description="Any 5xx answers in a row that eject an endpoint; 0 turns it off. Default: off, so a 5xx "
        "caused by the database (read-only during a failover) never ejects healthy readers.",
    )
    interval_seconds: int = Field(
        default=5,
        ge=1,
        description="Seconds between outlier sweeps, which also return ejected endpoints. Default: half of "
        "Istio's 10 s, so an ejected pod's return is noticed within a few seconds.",
    )
    base_ejection_seconds: int = Field(
        default=30,
        ge=1,
        description="Seconds an endpoint stays ejected, times the number of its ejections. Default: Istio's "
        "own, twice the readiness window, so a dead pod leaves the Service before it would be tried again.",
    )
    request_timeout_seconds: int = Field(
        default=5,
        ge=1,
        description="Seconds a caller's proxy waits for a service's answer before it gives up and counts a "
        "local-origin failure (Istio sets no timeout of its own, so a hung pod would never be ejected). "
        "Default: far above the 300 ms p95 latency target, so only a hung request reaches it.",
    )


class GlobalDnsSpec(Spec):
    """k8gb: the public hosts' DNS, answered by every city and re-pointed when a city is down."""


class TrafficSpec(Spec):
    mesh: MeshSpec = Field(default=MeshSpec(), description="The service mesh across cities.")
    failover: LocalityFailoverSpec = Field(
        default=LocalityFailoverSpec(), description="Locality failover of every service's traffic."
    )
    dns: GlobalDnsSpec = Field(default=GlobalDnsSpec(), description="Global DNS for the public hosts.")
