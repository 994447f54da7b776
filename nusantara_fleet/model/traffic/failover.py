"""Locality failover: which city's endpoints each city's callers use, in order, and how fast they leave them.

Istio ranks a service's endpoints per calling proxy (`applyLocalityFailover` in istio/istio 1.30.3
`pilot/pkg/networking/core/loadbalancer/loadbalancer.go`): the proxy's own region first; then every other
region, except that the first `failover` entry whose `from` is the proxy's region puts its `to` region
ahead of the rest. It does so only when the DestinationRule has outlier detection: without it every
city's endpoints share one priority and a Bandung caller spreads its requests over all three cities.

A city's order is derived, never written: the city itself, then the primary city (its database takes
the writes, so requests that fail over land next to the leader), then the other cities in the data
layer's order of succession (`database.failover.preference`, which the design lists nearest to Jakarta
first). One `to` per `from` is all Istio can say, so only the first two cities of an order are rendered;
with more than three cities the rest share a priority, and `fleet synth` warns.

Time to fail over (the figures are on the plan and in each DestinationRule's annotations):
- every local pod NotReady: the kubelet marks a pod NotReady after `readiness.failure_threshold` failed
  probes `readiness.period_seconds` apart, the last taking up to `readiness.timeout_seconds`; istiod then
  pushes the emptied endpoint set within its debounce bound (`EDS_PUSH_BOUND_SECONDS`). Unready endpoints
  are never sent to the proxies, so the next city takes over with no ejection needed:
  `failure_threshold * period_seconds + timeout_seconds + EDS_PUSH_BOUND_SECONDS`.
- local pods hang but stay Ready: each request ends at the caller's `request_timeout_seconds` as a
  local-origin failure, and `consecutive_local_origin_failures` of them in a row eject the pod. Under load
  the requests in flight time out together (≈ one timeout); the bound, one request at a time, is
  `consecutive_local_origin_failures * request_timeout_seconds`. Ejection lasts `base_ejection_seconds`
  times the pod's ejections, then the pod is tried again.
- a pod that refuses connections is ejected after `consecutive_local_origin_failures` connect failures,
  within milliseconds under load.
One NotReady pod of two moves nothing out of the city (it is no longer sent, so the city's priority stays
fully healthy); one ejected pod of two spills 30 % to the next city (Envoy's priority health x 1.4). A
remote city is one endpoint to the caller (its east-west gateway), so it is ejected as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.errors import Problem
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.traffic.inputs import Inputs

# istiod's `PILOT_DEBOUNCE_MAX` (pilot/pkg/features/tuning.go, 1.30.3): the longest it holds back a push
# of changed endpoints while more changes keep arriving (each waits `PILOT_DEBOUNCE_AFTER`, 100 ms).
EDS_PUSH_BOUND_SECONDS = 10
# Anything below 100 keeps a share of the traffic on ejected local pods when all of them fail (Istio's
# default is 10 %): the city would never fail over completely.
MAX_EJECTION_PCT = 100
# Count connect failures, resets and timeouts apart from the answers, so `consecutive_local_origin_failures`
# ejects a hung or dead pod while `consecutive_5xx_errors` stays off for the application's own errors.
SPLIT_LOCAL_ORIGIN_ERRORS = True
# Istio's `failover` holds one fallback region per region: the second city of an order.
ORDERED_CITIES = 2


@dataclass(frozen=True)
class FailoverStep:
    """One `localityLbSetting.failover` entry: callers in `from_region` try `to_region` before the rest."""

    from_region: str
    to_region: str


@dataclass(frozen=True)
class OutlierDetection:
    """The DestinationRules' `outlierDetection`: what ejects an endpoint, and for how long."""

    consecutive_5xx_errors: int
    consecutive_gateway_errors: int
    consecutive_local_origin_failures: int
    split_local_origin_errors: bool
    interval_seconds: int
    base_ejection_seconds: int
    max_ejection_pct: int


@dataclass(frozen=True)
class FailoverTimes:
    """Derived seconds until a city's callers use the next city (formulas: the module docstring)."""

    readiness_seconds: int  # every local pod NotReady: the kubelet's verdict
    eds_push_seconds: int  # istiod's push of the emptied endpoint set
    ejection_seconds: int  # local pods hang while Ready: the bound, one request at a time

    @property
    def not_ready_seconds(self) -> int:
        return self.readiness_seconds + self.eds_push_seconds


@dataclass(frozen=True)
class Destination:
    """A Service of a city whose callers fail over: one DestinationRule, the same in every city."""

    name: str  # the Service, and its DestinationRule
    host: str
    http: bool  # HTTP services get the request timeout; the report cache speaks Redis over plain TCP


@dataclass(frozen=True)
class FailoverPlan:
    """Locality failover of every service, with the order each city's callers follow."""

    orders: Mapping[str, tuple[str, ...]]  # city -> the cities its callers use, best first
    steps: tuple[FailoverStep, ...]  # one per city, in rollout order
    destinations: Mapping[str, tuple[Destination, ...]]  # city -> its Services, by name
    region_label: str
    regions: Mapping[str, str]  # city -> the region label value its nodes carry
    load_balancer: str
    outlier: OutlierDetection
    request_timeout_seconds: int
    times: FailoverTimes
    addons: tuple[Addon, ...] = ()

    def unordered(self, city: str) -> tuple[str, ...]:
        """The cities a city's callers reach after the second, which Istio cannot rank: they share a priority."""
        return self.orders[city][ORDERED_CITIES:] if len(self.orders[city]) > ORDERED_CITIES + 1 else ()

    def node_check(self, city: str) -> str:
        """A command listing the city's nodes that lack its region label (empty output: the prerequisite holds)."""
        selector = f"{self.region_label}!={self.regions[city]}"
        return f"kubectl --context {city} get nodes -l '{selector}' -L {self.region_label}"

    def warnings(self, sources: Sources) -> list[Problem]:
        return [
            sources.fleet_problem(
                ("database", "failover", "preference"),
                f"{city}'s callers fail over to {self.orders[city][1]} first, but Istio ranks only one fallback "
                f"city per city: {', '.join(self.unordered(city))} then share one priority and get that traffic "
                "evenly, in no order",
            )
            for city in self.orders
            if self.unordered(city)
        ]


def failover_order(inputs: Inputs, city: str) -> tuple[str, ...]:
    """The city, then the data layer's order of succession (the primary first) without it."""
    return (city, *(other for other in inputs.layer.preference if other != city))


def _destinations(inputs: Inputs, city: str) -> tuple[Destination, ...]:
    """Every Service the city's callers reach through the mesh: each service's (and canary's), and the cache's.

    A canary Service is its own host, so it gets its own DestinationRule: without one, two cities running
    canaries of the same service at once would share their canary traffic across cities with no
    preference (no outlier detection means no priorities). The cache Service merges across cities too.
    """
    namespace = inputs.spec.namespaces.apps
    plan = inputs.workloads.city(city)
    names = [variant.name for app in plan.apps for variant in app.variants]
    found = [Destination(name=name, host=naming.cluster_local_host(name, namespace), http=True) for name in names]
    if plan.cache is not None:
        host = naming.cluster_local_host(plan.cache.name, namespace)
        found.append(Destination(name=plan.cache.name, host=host, http=False))
    return tuple(sorted(found, key=lambda destination: destination.name))


@traced
def resolve_failover(inputs: Inputs) -> FailoverPlan:
    spec = inputs.spec.traffic.failover
    orders = {city.name: failover_order(inputs, city.name) for city in inputs.cities}
    regions = {city.name: naming.node_region(city.name) for city in inputs.cities}
    readiness = inputs.spec.workloads.probes.readiness
    return FailoverPlan(
        orders=orders,
        steps=tuple(
            FailoverStep(from_region=regions[city], to_region=regions[order[1]])
            for city, order in orders.items()
            if len(order) >= ORDERED_CITIES
        ),
        destinations={city.name: _destinations(inputs, city.name) for city in inputs.cities},
        region_label=naming.REGION_LABEL,
        regions=regions,
        load_balancer=spec.load_balancer,
        outlier=OutlierDetection(
            consecutive_5xx_errors=spec.consecutive_5xx_errors,
            consecutive_gateway_errors=spec.consecutive_gateway_errors,
            consecutive_local_origin_failures=spec.consecutive_local_origin_failures,
            split_local_origin_errors=SPLIT_LOCAL_ORIGIN_ERRORS,
            interval_seconds=spec.interval_seconds,
            base_ejection_seconds=spec.base_ejection_seconds,
            max_ejection_pct=MAX_EJECTION_PCT,
        ),
        request_timeout_seconds=spec.request_timeout_seconds,
        times=FailoverTimes(
            readiness_seconds=readiness.failure_threshold * readiness.period_seconds + readiness.timeout_seconds,
            eds_push_seconds=EDS_PUSH_BOUND_SECONDS,
            ejection_seconds=spec.consecutive_local_origin_failures * spec.request_timeout_seconds,
        ),
    )
