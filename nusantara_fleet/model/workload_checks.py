"""Cross-file rules and warnings about the application workloads (see `model/workloads.py`)."""

from __future__ import annotations

import difflib

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.fleet import Fleet
from nusantara_fleet.model.source import Loc, Source, format_loc
from nusantara_fleet.model.spec import CitySpec, FleetSpec
from nusantara_fleet.model.workloads import CANARY_SUFFIX, CONFIG_SUFFIX, WORKLOAD_POOL

RETIRED_EDGE = "ingress-nginx"


def _unknown(name: str, known: set[str]) -> str:
    guess = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    return f"unknown service {name!r}; {hint}services in fleet.yaml: {', '.join(sorted(known))}"


def check_workloads(spec: FleetSpec, fleet_src: Source, cities: dict[str, tuple[Source, CitySpec]]) -> list[Problem]:
    """Names the workloads refer to exist, rendered names cannot collide, and every city can place two replicas."""
    problems: list[Problem] = []

    def at(src: Source, loc: Loc, message: str) -> None:
        problems.append(Problem(src.path, src.line_of(loc), format_loc(loc), message))

    known = {svc.name for svc in spec.services}
    if spec.edge_service not in known:
        at(fleet_src, ("edge_service",), _unknown(spec.edge_service, known))
    for index, svc in enumerate(spec.services):
        if svc.name == spec.edge_service and not svc.routes:
            at(
                fleet_src,
                ("services", index, "routes"),
                f"{svc.name!r} is the edge service but has no routes; "
                "give it the paths the public hosts serve (e.g. `{path: /, methods: [GET], access: read}`)",
            )
    for index, peer in enumerate(spec.payment_providers):
        for j, name in enumerate(peer.services):
            if name not in known:
                at(fleet_src, ("payment_providers", index, "services", j), _unknown(name, known))
    for index, svc in enumerate(spec.services):
        for suffix in (CANARY_SUFFIX, CONFIG_SUFFIX):
            base = svc.name.removesuffix(suffix)
            if base != svc.name and base in known:
                at(
                    fleet_src,
                    ("services", index, "name"),
                    f"{svc.name!r} is the name of {base!r}'s {suffix.lstrip('-')} objects; rename the service",
                )
        if svc.name == spec.report_cache.name:
            at(fleet_src, ("services", index, "name"), f"{svc.name!r} is also report_cache.name; rename one of them")
    uses_cache = any(svc.cache for svc in spec.services)
    floor = max(spec.workloads.replicas, spec.report_cache.replicas if uses_cache else 0)
    default_nodes = getattr(spec.node_pools, WORKLOAD_POOL).nodes
    for name in sorted(cities):
        src, city = cities[name]
        override = getattr(city.node_pools, WORKLOAD_POOL)
        nodes = override.nodes if override is not None else default_nodes
        if nodes < floor:
            at(
                src,
                ("node_pools", WORKLOAD_POOL, "nodes"),
                f"the {WORKLOAD_POOL} pool has {nodes} node(s) but "
                f"every service runs {floor} replicas, one per node (required anti-affinity); "
                f"set node_pools.{WORKLOAD_POOL}.nodes to at least {floor}",
            )
    return problems


def workload_warnings(fleet: Fleet, fleet_src: Source, cities: dict[str, Source]) -> list[Problem]:
    """What renders but deserves a human's eye: a retired edge controller, capacity the pools cannot place."""
    warnings = []
    spec = fleet.spec
    if spec.edge == RETIRED_EDGE:
        warnings.append(
            Problem(
                fleet_src.path,
                fleet_src.line_of(("edge",)),
                "edge",
                "ingress-nginx (the community controller) was retired in March 2026 and gets no further fixes; "
                "plan the move to `edge: gateway-api`",
            )
        )
    for shortfall in fleet.workloads.shortfalls:
        city, app = shortfall.city, shortfall.app
        scaling = app.scaling
        src = cities[city.name]
        inherited = "" if getattr(city.spec.node_pools, WORKLOAD_POOL) else " (the fleet default)"
        loc: Loc = ("node_pools", WORKLOAD_POOL, "nodes")
        warnings.append(
            Problem(
                src.path,
                src.line_of(loc),
                format_loc(loc),
                f"{app.name} needs {scaling.needed} pods for its {scaling.share_rps} RPS share of the design capacity "
                f"at {app.service.spec.rps_per_pod} RPS per pod, but one pod per node on {scaling.nodes} "
                f"{WORKLOAD_POOL} node(s){inherited} caps it at {scaling.max_replicas}; add {WORKLOAD_POOL} nodes",
            )
        )
    return warnings
