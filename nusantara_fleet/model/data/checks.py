"""Cross-file rules of the data layer, judged on the resolved layer: failover order, placement, the RTO."""

from __future__ import annotations

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.data.roles import recap_source_problem
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.spec import FleetSpec


def check_data(spec: FleetSpec, layer: DataLayer, sources: Sources) -> list[Problem]:
    problems: list[Problem] = []
    failover = spec.database.failover
    names = sorted(city.name for city in layer.cities)
    seen: set[str] = set()
    for index, name in enumerate(failover.preference):
        if name not in names or name in seen:
            problems.append(
                sources.fleet_problem(
                    ("database", "failover", "preference", index),
                    f"{name!r} is {'listed twice' if name in seen else 'not a city'}; list known cities at most "
                    f"once ({', '.join(names)})",
                )
            )
        seen.add(name)
    if layer.quorum and len(names) < 3:
        problems.append(
            sources.fleet_problem(
                ("database", "failover", "mode"),
                f"quorum needs at least three cities (one etcd member each, a majority survives one city), got "
                f"{len(names)}; add a city or use `standby-clusters`",
            )
        )
    joining = sorted(city.name for city in layer.cities if city.joining)
    if layer.quorum and len(names) >= 3 and len(names) % 2 == 0:
        # An even member count tolerates no more lost members than the odd count below it and splits
        # evenly in a partition between two pairs of cities, where neither side holds a majority.
        count = len(names)
        message = (
            f"{count} cities make {count} etcd members, an even count: they survive no more lost cities than "
            f"{count - 1} would, and a split between two halves leaves neither a majority; add cities two at a "
            "time (README, Add a city)"
        )
        problems.append(
            sources.city_problem(joining[-1], ("database", "joining"), message)
            if joining
            else sources.fleet_problem(("database", "failover", "mode"), message)
        )
    for name in joining:
        here = layer.city(name)
        reason = (
            "there is no etcd to join in `standby-clusters` mode"
            if not layer.quorum
            else "the primary city bootstraps the database and cannot join it"
            if name == layer.primary
            else None
        )
        if reason is not None:
            problems.append(
                sources.city_problem(name, ("database", "joining"), f"{name} is marked joining but {reason}")
            )
    for here in sorted(layer.cities, key=lambda city: city.name):
        needed = here.members + here.reporting_members
        if here.members < 1 or needed > here.database_nodes:
            problems.append(
                sources.city_problem(
                    here.name,
                    ("database", "members"),
                    f"{here.members} member(s) + {here.reporting_members} reporting member(s) need "
                    f"{needed} database nodes (one per node, required anti-affinity) but {here.name} has "
                    f"{here.database_nodes}; set database.members or node_pools.database.nodes",
                )
            )
    timing = layer.timing
    rto = spec.targets.rto_seconds
    if timing.rto_bound_seconds > rto:
        problems.append(
            sources.fleet_problem(
                ("targets", "rto_seconds"),
                f"RTO {rto} s cannot be met: worst-case failover is {timing.worst_case_seconds} s "
                f"(ttl {timing.ttl} + loop_wait {timing.loop_wait} + promotion {timing.promotion}) plus a second "
                f"election round of {timing.second_round_seconds} s = {timing.rto_bound_seconds} s; lower "
                "database.failover.loop_wait_seconds, retry_timeout_seconds or promotion_seconds, or raise the RTO",
            )
        )
    if failover.dns_ttl_seconds > failover.promotion_seconds:
        problems.append(
            sources.fleet_problem(
                ("database", "failover", "dns_ttl_seconds"),
                f"{failover.dns_ttl_seconds} s outlasts the promotion budget of {failover.promotion_seconds} s: "
                "clients would keep the old leader's address; lower it below promotion_seconds",
            )
        )
    elections_ms = 2 * layer.etcd_timing.election_ms
    if failover.retry_timeout_seconds * 1000 < elections_ms:
        problems.append(
            sources.fleet_problem(
                ("database", "failover", "retry_timeout_seconds"),
                f"{failover.retry_timeout_seconds} s does not outlast two etcd elections ({elections_ms} ms at "
                f"inter_city_rtt_ms {failover.inter_city_rtt_ms}); the primary would demote on an etcd leader "
                "change: raise retry_timeout_seconds",
            )
        )
    recap = recap_source_problem(spec)
    if recap is not None:
        problems.append(sources.fleet_problem(("database", "recap", "source"), recap))
    return problems
