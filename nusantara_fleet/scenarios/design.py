"""The design's expected outcome of each failure scenario, as rules over the primary city, the cities and the
database's failover preference read from the rendered tree; never from how the fleet implements them.

The traffic order of a city is the design's "nearest first": the city itself, then the primary city, then the
other cities in the database's failover preference (the primary's: itself, then the preference).
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.scenarios.facts import REPORTING, Facts, Member

# scenario key -> the design's rule, as the report and the README state it
RULES: dict[str, tuple[str, str]] = {
    "a": (
        "a service's main pod down in a city",
        "the service's other pods in the city serve; nothing else moves",
    ),
    "b": (
        "a branch city's service fully down",
        "that city's calls of the service go to the primary city, then to the other branches in the failover "
        "preference; if it is the edge's backend, DNS stops answering that city",
    ),
    "c": (
        "the primary city fully down",
        "reads keep working in the other cities; the primary's users go to the first city of the failover "
        "preference; writes stop until the database fails over, then go to that city (standby clusters: once "
        "`primary` is changed), and so does the API host",
    ),
    "d": (
        "a replica database down",
        "its city reads from another local member, else from another city (by name: an order no failover "
        "changes, so a failover commit restarts no reader); writes unchanged",
    ),
    "e": (
        "the primary database down",
        "writes stop until Patroni promotes, then go to the primary city's next member, else to the first city of "
        "the failover preference; reads stay in their cities",
    ),
    "f": (
        "two cities down",
        "the remaining city serves everyone's reads; writes stop (quorum mode: no etcd quorum, read-only; standby "
        "clusters: the primary city writes on while it stands)",
    ),
}


def traffic_order(facts: Facts, city: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((city, facts.primary, *facts.preference)))


@dataclass(frozen=True)
class Expected:
    """What a user in one city should get; the simulation produces the same shape."""

    entry: str | None  # the city whose edge the user's requests enter at
    serves: tuple[tuple[str, ...], ...]
    dns: dict[str, tuple[str, ...]]  # Gslb name -> the cities its host should resolve to
    reads: dict[str, str | None]  # service -> city whose database serves its reads
    writes: dict[str, str | None]  # service -> city whose database takes its writes


def _first(cities: tuple[str, ...], alive: set[str]) -> tuple[str, ...]:
    return next(((city,) for city in cities if city in alive), ())


def expect(
    facts: Facts,
    user: str,
    *,
    down: set[str],
    service: str | None,
    service_down_in: str | None,
    edge_down: set[str],
    members_down: set[str],
    reads_kind: dict[str, str],
) -> Expected:
    """The design's answer for a user in `user`.

    `down`: cities lost; `service` the one whose calls are followed, fully down in `service_down_in` (else one
    pod down); `edge_down`: cities whose edge backend is fully down; `reads_kind`: per service, whether it reads
    the reporting members or the others (a design input: `reads: reporting`).
    """
    alive = {c for c in facts.cities if c not in down}
    serving = alive - edge_down
    order = traffic_order(facts, user)
    entry = user if user in alive else next((c for c in order if c in serving), None)
    if entry is None:
        return Expected(None, (), {}, {}, {})
    if service is not None:  # its calls from the entry city: nearest first, wherever the service still runs
        serves: tuple[tuple[str, ...], ...] = tuple(
            (c,) for c in traffic_order(facts, entry) if c in alive and c != service_down_in
        )
    else:
        serves = ((entry,),)
    dns = {
        naming.EDGE_ROUTE_API: _first((facts.primary, *facts.preference), serving),
        naming.EDGE_ROUTE_WEB: _first(order, serving),
    }
    writer = _writer(facts, alive, members_down)
    reads = {
        name: _reader(facts, entry, alive, members_down, kind == REPORTING) for name, kind in sorted(reads_kind.items())
    }
    workloads = facts.city[entry].workloads
    writes = {name: writer for name in sorted(workloads) if workloads[name].write_hosts}
    return Expected(entry, serves, dns, reads, writes)


def _live(member: Member, alive: set[str], members_down: set[str]) -> bool:
    return member.city in alive and member.name not in members_down


def _writer(facts: Facts, alive: set[str], members_down: set[str]) -> str | None:
    """The primary city while one of its members may lead. Quorum mode: most cities lost is read-only, else the
    first city of the preference with such a member takes over. Standby clusters: another city only once an
    operator changes `primary`."""
    if facts.quorum and 2 * len(alive) <= len(facts.cities):
        return None
    for city in (facts.primary, *facts.preference) if facts.quorum else (facts.primary,):
        if any(m.city == city and m.may_lead and _live(m, alive, members_down) for m in facts.members):
            return city
    return None


def _reader(facts: Facts, city: str, alive: set[str], members_down: set[str], reporting: bool) -> str | None:
    others = sorted({m.city for m in facts.members} - {city})
    for candidate in (city, *others):
        if any(
            m.city == candidate and (m.role == REPORTING) == reporting and _live(m, alive, members_down)
            for m in facts.members
        ):
            return candidate
    return None
