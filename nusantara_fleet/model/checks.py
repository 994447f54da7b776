"""The rules that span files and must hold before the fleet can be resolved at all.

Primary and gated city exist, the rollout order lists every city once with the gated city last, service
names are unique and known, networks do not overlap. The rules of each concern run afterwards on the resolved views
(`model/data/checks.py`, `model/workloads/checks.py`), so nothing they judge is derived twice.
"""

from __future__ import annotations

import difflib
import ipaddress

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.observability.budget import notification_budget
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.source import Loc
from nusantara_fleet.model.spec import CitySpec, FleetSpec


def check_structure(spec: FleetSpec, cities: dict[str, CitySpec], sources: Sources) -> list[Problem]:
    problems: list[Problem] = []
    names = sorted(cities)

    def at(loc: Loc, message: str) -> None:
        problems.append(sources.fleet_problem(loc, message))

    if spec.primary not in cities:
        at(("primary",), f"primary city {spec.primary!r} has no city file; known cities: {', '.join(names)}")
    seen: dict[str, int] = {}
    for index, name in enumerate(spec.rollout.order):
        loc: Loc = ("rollout", "order", index)
        if name not in cities:
            at(loc, f"unknown city {name!r} in the rollout order; known cities: {', '.join(names)}")
        elif name in seen:
            at(
                loc,
                f"city {name!r} appears twice in the rollout order (also at position {seen[name]}); "
                "list every city exactly once",
            )
        seen.setdefault(name, index)
    for name in names:
        if name not in seen:
            at(
                ("rollout", "order"),
                f"city {name!r} (envs/{name}.yaml) is missing from the rollout order; add it where it should roll out",
            )
    gated = spec.rollout.gated_city
    if gated is not None and gated not in cities:
        at(("rollout", "gated_city"), f"gated city {gated!r} has no city file; known cities: {', '.join(names)}")
    elif not problems:
        problems.extend(_gate_last(spec, sources))
    service_seen: dict[str, int] = {}
    for index, svc in enumerate(spec.services):
        if svc.name in service_seen:
            at(
                ("services", index, "name"),
                f"service {svc.name!r} is defined twice (also services"
                f"[{service_seen[svc.name]}]); service names must be unique",
            )
        service_seen.setdefault(svc.name, index)

    known_services = {svc.name for svc in spec.services}
    for name in names:
        for svc_name in cities[name].services:
            if svc_name not in known_services:
                guess = difflib.get_close_matches(svc_name, sorted(known_services), n=1)
                hint = f"did you mean {guess[0]!r}? " if guess else ""
                problems.append(
                    sources.city_problem(
                        name,
                        ("services", svc_name),
                        f"unknown service {svc_name!r}; {hint}services in fleet.yaml: "
                        f"{', '.join(sorted(known_services))}",
                    )
                )

    problems.extend(_sla_table(spec, len(cities), sources))

    networks = [
        (ipaddress.IPv4Network(getattr(cities[name].network, field)), name, field)
        for name in names
        for field in ("pod_cidr", "service_cidr")
    ]
    for i, (net_a, city_a, field_a) in enumerate(networks):
        for net_b, city_b, field_b in networks[i + 1 :]:
            if net_a.overlaps(net_b):
                problems.append(
                    sources.city_problem(
                        city_b,
                        ("network", field_b),
                        f"{net_b} overlaps {city_a}'s {field_a} {net_a} ({sources.cities[city_a].path}); "
                        "every pod and service network in the fleet must be distinct",
                    )
                )
    for field, what, why in (
        ("edge_address", "edge load balancer", "global DNS tells the cities apart by it"),
        ("eastwest_address", "east-west gateway", "the other cities' sidecars reach this city's pods only there"),
    ):
        problems.extend(_load_balancer_addresses(field, what, why, cities, names, networks, sources))
    problems.extend(_public_hosts(spec, sources))
    problems.extend(_dns_failover(spec, sources))
    return problems


def _dns_failover(spec: FleetSpec, sources: Sources) -> list[Problem]:
    """A dead city leaves global DNS's answers after one reconcile plus the TTL clients hold, which must fit the
    RTO: users of a city that is gone reach another city only once DNS sends them there."""
    dns = spec.traffic.dns
    seconds = dns.reconcile_requeue_seconds + dns.dns_ttl_seconds
    if seconds <= spec.targets.rto_seconds:
        return []
    return [
        sources.fleet_problem(
            ("traffic", "dns", "dns_ttl_seconds"),
            f"DNS fails over in up to {seconds} s (reconcile_requeue_seconds {dns.reconcile_requeue_seconds} + "
            f"dns_ttl_seconds {dns.dns_ttl_seconds}), beyond the RTO of {spec.targets.rto_seconds} s; "
            "shorten one of them",
        )
    ]


def _public_hosts(spec: FleetSpec, sources: Sources) -> list[Problem]:
    """Each public host gets a delegated sub-zone of its parent zone (the host minus its first label), so the
    parent must be a registered zone (two labels or more), and the two hosts must differ."""
    problems: list[Problem] = []
    for field in ("api", "web"):
        host: str = getattr(spec.hosts, field)
        if host.count(".") < 2:
            problems.append(
                sources.fleet_problem(
                    ("hosts", field),
                    f"{host!r} has no parent zone to delegate from (its parent would be {host.split('.', 1)[1]!r}); "
                    "name a host under the shop's zone, e.g. `api.nusantaramart.co.id`",
                )
            )
    if spec.hosts.api == spec.hosts.web:
        problems.append(
            sources.fleet_problem(
                ("hosts", "web"),
                f"{spec.hosts.web!r} is also hosts.api; each host has its own route and DNS strategy",
            )
        )
    return problems


def _load_balancer_addresses(
    field: str,
    what: str,
    why: str,
    cities: dict[str, CitySpec],
    names: list[str],
    networks: list[tuple[ipaddress.IPv4Network, str, str]],
    sources: Sources,
) -> list[Problem]:
    """A city's load balancer address is its own and outside every pod and service network: one shared by
    two cities sends one city's traffic to the other, and one inside a cluster network is routed to a pod or
    Service there instead (and a NetworkPolicy's /32 rule for it would open that pod)."""
    problems: list[Problem] = []
    loc: Loc = ("network", field)
    seen: dict[ipaddress.IPv4Address, str] = {}
    for name in names:
        address = getattr(cities[name].network, field)
        if address in seen:
            problems.append(
                sources.city_problem(
                    name,
                    loc,
                    f"{address} is also {seen[address]}'s {what} address ({sources.cities[seen[address]].path}); "
                    f"{why}, so each city needs its own",
                )
            )
        seen.setdefault(address, name)
        for network, owner, kind in networks:
            if address in network:
                problems.append(
                    sources.city_problem(
                        name,
                        loc,
                        f"{address} lies in {owner}'s {kind} {network} ({sources.cities[owner].path}); the {what}'s "
                        "address must be outside every pod and service network",
                    )
                )
    return problems


def _sla_table(spec: FleetSpec, city_count: int, sources: Sources) -> list[Problem]:
    """Each SLA row is one alert: a unique name, a response time that holds its notification budget, and
    `cities` exactly where the condition counts cities."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(spec.observability.sla):
        loc: Loc = ("observability", "sla", index)
        if row.alert in seen:
            problems.append(
                sources.fleet_problem(
                    (*loc, "alert"),
                    f"alert {row.alert!r} is also observability.sla[{seen[row.alert]}]; each row is one alert "
                    "and its runbook page, so names must be unique",
                )
            )
        seen.setdefault(row.alert, index)
        budget = notification_budget(spec.observability, row.response_minutes)
        if not budget.fits:
            problems.append(
                sources.fleet_problem(
                    (*loc, "response_minutes"),
                    f"a {row.response_minutes}-minute response cannot hold a {budget.probe_interval_seconds}s probe "
                    f"interval, a {budget.rule_interval_seconds}s rule interval and a {budget.group_wait_seconds}s "
                    "group wait before the first notification; raise the response time or lower "
                    "observability.scrape's intervals or observability.routing.group_wait_share_pct",
                )
            )
        if row.condition == "cities_down":
            if row.cities is None or not 2 <= row.cities < city_count:
                problems.append(
                    sources.fleet_problem(
                        (*loc, "cities"),
                        f"`cities_down` needs `cities` from 2 to {city_count - 1} (the fleet has {city_count} "
                        "cities: one city down and all cities down are rows of their own)",
                    )
                )
        elif row.cities is not None:
            problems.append(
                sources.fleet_problem(
                    (*loc, "cities"), f"`cities` applies only to `condition: cities_down`, not {row.condition!r}"
                )
            )
    return problems


def _gate_last(spec: FleetSpec, sources: Sources) -> list[Problem]:
    """The release flow is canary city first, then the branches, then approval, then the gated city.

    The order is a design input, so a gated city anywhere but last (as after `primary` moves) is refused
    rather than silently reordered: the canary would otherwise land in the city that waits for a human.
    """
    order = spec.rollout.order
    explicit = spec.rollout.gated_city
    gated = explicit or spec.primary
    named = f"rollout.gated_city: {explicit}" if explicit else f"primary: {spec.primary}, the gate follows it"
    if len(order) == 1:
        message = (
            f"{gated!r} is the only city in the rollout order, so it would be both the canary city and the gated "
            f"city ({named}); a release needs a canary city before the gate: add a city"
        )
    elif order[-1] != gated:
        fixed = [city for city in order if city != gated] + [gated]
        message = (
            f"the gated city {gated!r} ({named}) must roll out last, after the canary city and the branches, "
            f"but the order is [{', '.join(order)}]; move it to the end: order: [{', '.join(fixed)}]"
        )
    else:
        return []
    return [sources.fleet_problem(("rollout", "order"), message)]
