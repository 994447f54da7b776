"""Cross-file rules and warnings about the application workloads, judged on the resolved cities."""

from __future__ import annotations

import difflib

from nusantara_fleet import naming
from nusantara_fleet.errors import Problem
from nusantara_fleet.model.capacity.demand import ALL_TRAFFIC_PCT
from nusantara_fleet.model.cities import WORKLOAD_POOL, City
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.spec import FleetSpec

RETIRED_EDGE = "ingress-nginx"
# A service's main and backup replicas (and the cache's two) need two nodes to sit apart.
NODES_APART = 2


def unknown_service(name: str, known: set[str]) -> str:
    guess = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    return f"unknown service {name!r}; {hint}services in fleet.yaml: {', '.join(sorted(known))}"


def check_services(spec: FleetSpec, sources: Sources) -> list[Problem]:
    """Names the workloads refer to exist and rendered names cannot collide (before anything resolves)."""
    problems: list[Problem] = []
    known = {svc.name for svc in spec.services}
    if spec.edge_service not in known:
        problems.append(sources.fleet_problem(("edge_service",), unknown_service(spec.edge_service, known)))
    for index, svc in enumerate(spec.services):
        if svc.name == spec.edge_service and not svc.routes:
            problems.append(
                sources.fleet_problem(
                    ("services", index, "routes"),
                    f"{svc.name!r} is the edge service but has no routes; "
                    "give it the paths the public hosts serve (e.g. `{path: /, methods: [GET], access: read}`)",
                )
            )
    for index, peer in enumerate(spec.payment_providers):
        for j, name in enumerate(peer.services):
            if name not in known:
                problems.append(
                    sources.fleet_problem(("payment_providers", index, "services", j), unknown_service(name, known))
                )
    for index, svc in enumerate(spec.services):
        for suffix in (naming.CANARY_SUFFIX, naming.CONFIG_SUFFIX):
            base = svc.name.removesuffix(suffix)
            if base != svc.name and base in known:
                problems.append(
                    sources.fleet_problem(
                        ("services", index, "name"),
                        f"{svc.name!r} is the name of {base!r}'s {suffix.lstrip('-')} objects; rename the service",
                    )
                )
        if svc.name == spec.report_cache.name:
            problems.append(
                sources.fleet_problem(
                    ("services", index, "name"), f"{svc.name!r} is also report_cache.name; rename one of them"
                )
            )
    behind_edge = [svc for svc in spec.services if svc.name != spec.edge_service]
    total = sum(svc.traffic_pct for svc in behind_edge)
    if total > ALL_TRAFFIC_PCT:
        shares = ", ".join(f"{svc.name} {svc.traffic_pct}" for svc in behind_edge)
        problems.append(
            sources.fleet_problem(
                ("services",),
                f"the services behind {spec.edge_service!r} take {total} % of the traffic ({shares}); a request "
                "reaches one of them, so their traffic_pct must add up to at most 100",
            )
        )
    return problems


def check_placement(spec: FleetSpec, cities: tuple[City, ...], sources: Sources) -> list[Problem]:
    """Every city's general pool keeps the replicas of every service, and of the cache, on different nodes."""
    problems: list[Problem] = []
    uses_cache = any(svc.cache for svc in spec.services)
    cache_floor = spec.report_cache.replicas if uses_cache else 0
    for city in sorted(cities, key=lambda c: c.name):
        nodes = city.pools[WORKLOAD_POOL].nodes
        if nodes < NODES_APART:
            problems.append(
                sources.city_problem(
                    city.name,
                    ("node_pools", WORKLOAD_POOL, "nodes"),
                    f"the {WORKLOAD_POOL} pool has {nodes} node(s), so a service's replicas would share one; set "
                    f"node_pools.{WORKLOAD_POOL}.nodes to at least {NODES_APART}",
                )
            )
        elif nodes < cache_floor:
            problems.append(
                sources.city_problem(
                    city.name,
                    ("node_pools", WORKLOAD_POOL, "nodes"),
                    f"the {WORKLOAD_POOL} pool has {nodes} node(s) but the report cache runs {cache_floor} replicas, "
                    f"one per node (required anti-affinity); set node_pools.{WORKLOAD_POOL}.nodes to at least "
                    f"{cache_floor}",
                )
            )
    return problems


def workload_warnings(spec: FleetSpec, sources: Sources) -> list[Problem]:
    """What renders but deserves a human's eye: a retired edge controller (capacity: `model/capacity/plan.py`)."""
    warnings = []
    if spec.edge == RETIRED_EDGE:
        warnings.append(
            sources.fleet_problem(
                ("edge",),
                "ingress-nginx (the community controller) was retired in March 2026 and gets no further fixes; "
                "plan the move to `edge: gateway-api`",
            )
        )
    return warnings
