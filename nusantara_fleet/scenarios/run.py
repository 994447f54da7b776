"""Each design scenario run on the rendered fleet: what a user in each city gets, against what the design expects.

A field that differs is a divergence (exit 1), unless it is what k8gb gives where it cannot express the design:
its `failover` strategy has one primary and unordered secondaries, `roundRobin` no notion of nearness, so both
answer every healthy city. That is a stated deviation, listed but not a failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nusantara_fleet import naming
from nusantara_fleet.scenarios.design import RULES, Expected, expect, traffic_order
from nusantara_fleet.scenarios.facts import REPORTING, Facts, read_facts
from nusantara_fleet.scenarios.simulate import FAILOVER, ROUND_ROBIN, Groups, Outage, World
from nusantara_fleet.validate.documents import Document, load_documents

if TYPE_CHECKING:  # the diff package renders (cdk8s); reading a tree must not import it
    from nusantara_fleet.diff.objects import Tree

OK, DEVIATION, DIVERGENCE = "ok", "deviation", "divergence"
DEVIATIONS = {
    FAILOVER: "k8gb failover has one primary and unordered secondaries: with the primary lost it answers every "
    "healthy city",
    ROUND_ROBIN: "k8gb roundRobin answers every healthy city: nearest-city answers need geoip and a GeoIP database "
    "of the cities' networks (k8gb's geoip strategy)",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    subject: str  # what exactly is down, e.g. `catalog in bandung`
    outage: Outage
    service: str | None = None  # the service whose calls are followed
    users: tuple[str, ...] = ()  # the users the table shows (every user is compared)

    @property
    def title(self) -> str:
        return f"{RULES[self.key][0]}: {self.subject}"


@dataclass(frozen=True)
class Check:
    """One field of one user's view: expected, observed, and the verdict."""

    field: str
    expected: str
    observed: str
    verdict: str
    why: str = ""


@dataclass(frozen=True)
class Time:
    what: str
    seconds: int | None
    formula: str


@dataclass(frozen=True)
class UserView:
    user: str
    checks: tuple[Check, ...]
    times: tuple[Time, ...]
    shown: bool
    addresses: tuple[tuple[str, tuple[str, ...]], ...] = ()  # public host -> what it resolves to

    @property
    def verdict(self) -> str:
        verdicts = {check.verdict for check in self.checks}
        return DIVERGENCE if DIVERGENCE in verdicts else DEVIATION if DEVIATION in verdicts else OK

    def check(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.field == name), None)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    views: tuple[UserView, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    primary: str
    cities: tuple[str, ...]
    preference: tuple[str, ...]
    hosts: dict[str, str]  # Gslb name -> public host
    results: tuple[Result, ...] = field(default=())
    edges: dict[str, str | None] = field(default_factory=dict)  # city -> its edge Gateway's address

    def divergences(self) -> list[str]:
        return list(self._lines(DIVERGENCE))

    def deviations(self) -> list[str]:
        """Each stated deviation once, with where it shows first."""
        return list(dict.fromkeys(self._lines(DEVIATION, why_only=True)))

    def _lines(self, verdict: str, *, why_only: bool = False) -> Iterator[str]:
        for result in self.results:
            for view in result.views:
                for check in view.checks:
                    if check.verdict != verdict:
                        continue
                    if why_only:
                        yield check.why
                        continue
                    why = f" ({check.why})" if check.why else ""
                    yield (
                        f"{result.scenario.key} {result.scenario.title}: user in {view.user}: {check.field}: "
                        f"expected {check.expected}, the fleet gives {check.observed}{why}"
                    )

    @property
    def passed(self) -> bool:
        return not self.divergences()

    def city_verdicts(self) -> dict[str, int]:
        """Per user city, how many checks diverge."""
        counts = dict.fromkeys(self.cities, 0)
        for result in self.results:
            for view in result.views:
                counts[view.user] = counts.get(view.user, 0) + sum(c.verdict == DIVERGENCE for c in view.checks)
        return counts


def _groups(groups: Groups) -> str:
    return ", then ".join("+".join(group) for group in groups) if groups else "nobody"


def _cities(cities: Iterable[str]) -> str:
    shown = list(cities)
    return "+".join(shown) if shown else "nothing"


def _per_service(values: dict[str, str | None]) -> str:
    distinct = set(values.values())
    if not distinct:
        return "nobody"
    if len(distinct) == 1:
        [only] = distinct
        return only or "nobody"
    return "; ".join(f"{name}: {city or 'nobody'}" for name, city in sorted(values.items()))


def scenarios(facts: Facts) -> list[Scenario]:
    """Every design scenario on this fleet: per city and service for the service-level ones, per city or pair."""
    primary, cities = facts.primary, facts.cities
    services = sorted({name for city in facts.city.values() for name in city.workloads})
    found: list[Scenario] = []
    for city in cities:
        for service in services:
            outage = Outage(one_pod=frozenset({(city, service)}))
            found.append(Scenario("a", f"{service} in {city}", outage, service, (city,)))
    for city in (c for c in cities if c != primary):
        for service in services:
            outage = Outage(all_pods=frozenset({(city, service)}))
            found.append(Scenario("b", f"{service} in {city}", outage, service, (city,)))
    found.append(Scenario("c", primary, Outage(cities=frozenset({primary})), users=cities))
    for city in (c for c in cities if c != primary):
        replicas = [m.name for m in facts.members if m.city == city and m.role != REPORTING]
        if replicas:
            outage = Outage(members=frozenset(replicas))
            found.append(Scenario("d", f"{', '.join(replicas)} in {city}", outage, users=(city,)))
    leader = World(facts, Outage()).initial_leader()
    if leader is not None:
        found.append(
            Scenario("e", f"{leader.name} in {primary}", Outage(members=frozenset({leader.name})), users=cities)
        )
    for index, first in enumerate(cities):
        for second in cities[index + 1 :]:
            pair = frozenset({first, second})
            found.append(Scenario("f", f"{first} and {second}", Outage(cities=pair), users=cities))
    return found


def _verdict(expected: tuple[str, ...], observed: set[str], everyone: set[str], strategy: str) -> str:
    """OK when the cities match; a stated deviation when k8gb answered every healthy city where the design
    wants some of them; else a divergence."""
    if set(expected) == observed:
        return OK
    if strategy in DEVIATIONS and observed == everyone and set(expected) < observed:
        return DEVIATION
    return DIVERGENCE


@dataclass(frozen=True)
class _Dns:
    """The DNS side of one scenario: what each Gslb's host resolves to, in cities."""

    world: World
    answers: dict[str, tuple[set[str], list[str]]]  # Gslb name -> addresses, live cities without the Gslb

    def cities(self, name: str) -> set[str]:
        by_address = {c.edge_address: city for city, c in self.world.facts.city.items() if c.edge_address}
        return {by_address.get(address, address) for address in self.answers[name][0]}

    def everyone(self, name: str) -> set[str]:
        return {c for c in self.world.facts.cities if self.world.healthy(c, name)}

    def strategy(self, name: str) -> str:
        found = (self.world.gslb(c, name) for c in self.world.facts.cities)
        return next((gslb.strategy for gslb in found if gslb is not None), "")

    def judge(self, name: str, expected: tuple[str, ...], observed: set[str]) -> tuple[str, str]:
        verdict = _verdict(expected, observed, self.everyone(name), self.strategy(name))
        return verdict, DEVIATIONS[self.strategy(name)] if verdict == DEVIATION else ""

    def why_missing(self, name: str) -> str:
        """What keeps live cities out of the answers whatever their pods do: a missing or unbound Gslb, an edge
        without its address."""
        reasons = {city: self.world.unbound(city, name) for city in self.world.facts.cities if self.world.alive(city)}
        return "; ".join(f"{reason} in {city}" for city, reason in reasons.items() if reason)


def _serves(world: World, dns: _Dns, scenario: Scenario, user: str, wanted: Expected) -> tuple[Check, str | None]:
    """Who serves the user's requests (or the followed service's calls), and the city they enter at: their own
    while it stands, else the one of DNS's answers the design sends them to (the first when it is not one)."""
    web = naming.EDGE_ROUTE_WEB
    subject = f"calls of {scenario.service}" if scenario.service else "requests"
    if world.alive(user):
        observed, why = world.serving(user, scenario.service) if scenario.service else (((user,),), "")
        entry: str | None = user
    else:
        found = dns.cities(web) if web in dns.answers else set()
        entered = tuple(c for c in world.facts.cities if c in found)
        observed, why = ((entered,) if entered else ()), ""
        entry = wanted.entry if wanted.entry in entered else next(iter(entered), None)
    expected = wanted.serves
    if observed == expected:
        verdict = OK
    elif not world.alive(user) and len(observed) == 1 and len(expected) == 1:
        verdict, why = dns.judge(web, expected[0], set(observed[0]))
    else:
        verdict = DIVERGENCE
    return Check(subject, _groups(expected), _groups(observed), verdict, why), entry


def _database(world: World, entry: str | None, wanted: Expected) -> Iterator[Check]:
    """Which city's database serves the reads and takes the writes of each service in the entry city."""
    leader, _ = world.leader()
    workloads = world.facts.city[entry].workloads if entry else {}
    # a user who reaches no city, or a service missing there, gets nobody
    reads = {
        name: world.reads(entry, workloads[name], leader) if entry and name in workloads else None
        for name in wanted.reads
    }
    writes = {
        name: world.writes(entry, workloads[name], leader) if entry and name in workloads else None
        for name in wanted.writes
    }
    for label, want, got in (("database reads", wanted.reads, reads), ("writes", wanted.writes, writes)):
        if not (want or got):
            continue
        lost = sorted(name for name, city in got.items() if city is None)
        why = (
            f"no host of {', '.join(lost)} reaches a live member" if want != got and lost and label != "writes" else ""
        )
        yield Check(label, _per_service(want), _per_service(got), OK if want == got else DIVERGENCE, why)


def _observe(world: World, scenario: Scenario, user: str, wanted: Expected, hosts: dict[str, str]) -> UserView:
    facts = world.facts
    dns = _Dns(world, {name: world.resolve(name) for name in hosts})
    serves, entry = _serves(world, dns, scenario, user, wanted)
    checks = [serves]
    for name, public in hosts.items():
        observed = dns.cities(name)
        expected = wanted.dns.get(name, ())
        verdict, why = dns.judge(name, expected, observed)
        why = dns.why_missing(name) if verdict == DIVERGENCE else why
        ordered = [c for c in facts.cities if c in observed] + sorted(observed - set(facts.cities))
        checks.append(Check(f"DNS {public}", _cities(expected), _cities(ordered), verdict, why))
    checks.extend(_database(world, entry, wanted))
    _, elected = world.leader()
    times = list(_times(world, scenario, user, elected, hosts))
    shown = user in scenario.users
    for time in times:
        if time.seconds is None and scenario.key == "b" and shown:
            checks.append(Check("time", "stated", "not stated", DIVERGENCE, time.formula))
    resolved = tuple((public, tuple(sorted(dns.answers[name][0]))) for name, public in hosts.items())
    return UserView(user, tuple(checks), tuple(times), shown, resolved)


def _times(world: World, scenario: Scenario, user: str, elected: bool, hosts: dict[str, str]) -> Iterator[Time]:
    facts = world.facts
    if scenario.key == "a" and scenario.service and user in scenario.users:
        workload = facts.city[user].workloads.get(scenario.service)
        seconds = workload.readiness_seconds if workload else None
        yield Time("pod out of rotation", seconds, "readiness periodSeconds x failureThreshold")
    if scenario.key == "b" and scenario.service and user in scenario.users:
        workload = facts.city[user].workloads.get(scenario.service)
        rule = workload.rule if workload else None
        seconds = rule.failover_seconds if rule else None
        yield Time("fail over", seconds, f"DestinationRule annotation {naming.FAILOVER_SECONDS}")
    if scenario.outage.cities or (scenario.key == "b" and scenario.service in edge_backends(facts)):
        for name, public in hosts.items():
            yield Time(f"DNS {public}", world.dns_seconds(name), "Gslb dnsTtlSeconds + k8gb reconcileRequeueSeconds")
    if elected:
        ttl, loop = facts.patroni.ttl, facts.patroni.loop_wait
        seconds = ttl + loop if ttl is not None and loop is not None else None
        yield Time("writes back", seconds, f"Patroni ttl {ttl} + loop_wait {loop}, then the promotion")


def _reads_kind(facts: Facts) -> dict[str, str]:
    """Per service of the primary city, whether its reads go to the reporting members (its first read host's)."""
    world = World(facts, Outage())
    kinds: dict[str, str] = {}
    for name, workload in facts.city[facts.primary].workloads.items():
        if not workload.read_hosts:
            continue
        selector = facts.city[facts.primary].services.get(workload.read_hosts[0])
        leader = world.initial_leader()
        members = [m for m in facts.members if selector and world.selects(selector, m, leader)]
        kinds[name] = REPORTING if members and all(m.role == REPORTING for m in members) else "member"
    return kinds


def edge_backends(facts: Facts) -> set[str]:
    """The Services behind the public hosts' routes: k8gb watches their pods, so their loss moves DNS."""
    return {
        backend
        for city in facts.city.values()
        for gslb in city.gslbs.values()
        if gslb.route
        for backend in gslb.route.backends
    }


def _hosts(facts: Facts) -> dict[str, str]:
    hosts: dict[str, str] = {}
    for name in (naming.EDGE_ROUTE_API, naming.EDGE_ROUTE_WEB):
        named = (g.route.hostnames for c in facts.city.values() if (g := c.gslbs.get(name)) and g.route)
        hosts[name] = next((hostnames[0] for hostnames in named if hostnames), f"{name} host")
    return hosts


def judge(facts: Facts) -> Report:
    hosts = _hosts(facts)
    kinds = _reads_kind(facts)
    results = []
    for scenario in scenarios(facts):
        world = World(facts, scenario.outage)
        outage = scenario.outage
        views = []
        for user in facts.cities:
            down_service = next((city for city, s in outage.all_pods if s == scenario.service), None)
            edge_down = {city for city, s in outage.all_pods if s in edge_backends(facts)}
            wanted = expect(
                facts,
                user,
                down=set(outage.cities),
                service=scenario.service,
                service_down_in=down_service,
                edge_down=edge_down,
                members_down=set(outage.members),
                reads_kind=kinds,
            )
            views.append(_observe(world, scenario, user, wanted, hosts))
        results.append(Result(scenario, tuple(views), tuple(dict.fromkeys(world.notes))))
    edges = {name: city.edge_address for name, city in facts.city.items()}
    return Report(facts.primary, facts.cities, facts.preference, hosts, tuple(results), edges)


def judge_documents(documents: Iterable[Document], shown: str) -> Report:
    return judge(read_facts(documents, shown))


def judge_tree(dist: Path) -> Report:
    """The scenarios on a rendered directory (`fleet scenarios DIST`)."""
    return judge_documents(load_documents(dist), str(dist))


def judge_diff_tree(tree: Tree, shown: str) -> Report:
    """The scenarios on one side of `fleet diff` (its files by chart)."""
    documents = [Document(f"{chart}/{name}", 0, entry.body()) for (chart, name), entry in sorted(tree.items())]
    return judge_documents(documents, shown)


__all__ = ["DEVIATION", "DIVERGENCE", "OK", "Report", "judge", "judge_diff_tree", "judge_tree", "traffic_order"]
