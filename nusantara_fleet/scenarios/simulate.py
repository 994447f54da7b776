"""What the running fleet would do in an outage, from the rendered objects: Istio's locality priorities, k8gb's
DNS answers, Patroni's election, and libpq's choice among the hosts a service is given.

Istio: `applyLocalityFailover` and `util.LbPriority` of istio/istio 1.30.3
(pilot/pkg/networking/core/loadbalancer/loadbalancer.go), run per calling proxy on its own cluster's
DestinationRule; without outlier detection istiod assigns no priorities (`enableFailover` is false) and every
city's endpoints share priority 0. Envoy serves from the best priority that has endpoints; NotReady pods are not
sent to it (`PILOT_SEND_UNHEALTHY_ENDPOINTS=false`), so a lost pod leaves the others of its city at 100 %.

k8gb v0.20.0 (controllers/providers/k8gbendpoint/applicationDNSEndpoint.go,
controllers/gslb_controller_reconciliation.go): a cluster is healthy for a Gslb when the Service behind its
HTTPRoute has ready endpoints; `failover` on the primary answers its own address, or every other cluster's
when it is unhealthy; on a secondary it answers the primary's address while the primary reports one, else its
own and every other healthy cluster's; `roundRobin` answers every healthy cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nusantara_fleet import naming
from nusantara_fleet.scenarios.facts import Facts, Gslb, Member, Rule, Selector, Workload

FAILOVER, ROUND_ROBIN = "failover", "roundRobin"
PREFER_STANDBY, STANDBY = "prefer-standby", ("standby", "read-only")
LEADER_ROLE, REPLICA_ROLE = "primary", "replica"  # label_role.py's values of naming.PATRONI_ROLE_LABEL


@dataclass(frozen=True)
class Locality:
    region: str
    zone: str = ""
    subzone: str = ""


def lb_priority(proxy: Locality, endpoint: Locality) -> int:
    """Istio's `util.LbPriority`: 0 same region, zone and subzone; 1 same region and zone; 2 same region; 3 other."""
    if proxy.region == endpoint.region:
        if proxy.zone == endpoint.zone:
            return 0 if proxy.subzone == endpoint.subzone else 1
        return 2
    return 3


def locality_failover(proxy: Locality, endpoints: list[Locality], failover: list[tuple[str, str]]) -> list[int]:
    """Istio's `applyLocalityFailover`: each endpoint group's priority, compacted to 0..N without gaps."""
    raw = []
    for endpoint in endpoints:
        priority = lb_priority(proxy, endpoint)
        if priority == 3:
            for source, target in failover:
                if source == proxy.region:
                    if endpoint.region != target:
                        priority = 4
                    break  # the first entry whose `from` is the proxy's region decides
        raw.append(priority)
    ranks = {priority: rank for rank, priority in enumerate(sorted(set(raw)))}
    return [ranks[priority] for priority in raw]


@dataclass(frozen=True)
class Outage:
    """What is down: whole cities, one pod or every pod of a service in a city, database members."""

    cities: frozenset[str] = frozenset()
    one_pod: frozenset[tuple[str, str]] = frozenset()  # (city, service)
    all_pods: frozenset[tuple[str, str]] = frozenset()  # (city, service)
    members: frozenset[str] = frozenset()  # member pod names


Groups = tuple[tuple[str, ...], ...]  # cities by priority: the first group serves, the next ones are fallbacks


@dataclass
class World:
    facts: Facts
    outage: Outage
    notes: list[str] = field(default_factory=list)

    def alive(self, city: str) -> bool:
        return city not in self.outage.cities and city in self.facts.city

    def pods(self, city: str, service: str) -> int:
        workload = self.facts.city[city].workloads.get(service) if city in self.facts.city else None
        if workload is None or not self.alive(city) or (city, service) in self.outage.all_pods:
            return 0
        return workload.replicas - 1 if (city, service) in self.outage.one_pod else workload.replicas

    # --- Istio ---------------------------------------------------------------------------------------------

    def serving(self, caller: str, service: str) -> tuple[Groups, str]:
        """The cities whose pods serve `service` to a proxy in `caller`, by priority, and why, when it matters."""
        live = [city for city in self.facts.cities if self.pods(city, service) > 0]
        workload = self.facts.city[caller].workloads.get(service)
        rule: Rule | None = workload.rule if workload else None
        why = ""
        if rule is None:
            why = f"no DestinationRule for {service}: Istio assigns no locality priorities"
        elif not rule.enabled:
            why = f"DestinationRule {rule.name} disables localityLbSetting"
        elif not rule.outlier_detection:
            why = f"DestinationRule {rule.name} has no outlierDetection: Istio assigns no locality priorities"
        if why:
            return ((tuple(live),) if live else ()), why
        assert rule is not None
        priorities = locality_failover(
            Locality(caller), [Locality(city) for city in live], [(f.source, f.target) for f in rule.failover]
        )
        groups: dict[int, list[str]] = {}
        for city, priority in zip(live, priorities, strict=True):
            groups.setdefault(priority, []).append(city)
        return tuple(tuple(groups[p]) for p in sorted(groups)), ""

    # --- k8gb ----------------------------------------------------------------------------------------------

    def gslb(self, city: str, name: str) -> Gslb | None:
        return self.facts.city[city].gslbs.get(name)

    def unbound(self, city: str, name: str) -> str:
        """Why a live city's objects keep it out of a Gslb's answers whatever its pods do, or ""."""
        gslb = self.gslb(city, name)
        route = gslb.route if gslb else None
        if gslb is None:
            return f"no Gslb {name}"
        if route is None:
            return f"Gslb {name} names no HTTPRoute"
        if route.gateway != naming.EDGE_GATEWAY:
            return f"the HTTPRoute of Gslb {name} has no single parent Gateway {naming.EDGE_GATEWAY}"
        if not route.hostnames:
            return f"the HTTPRoute of Gslb {name} lists no hostnames"
        if self.facts.city[city].edge_address is None:
            return f"no address on Gateway {naming.EDGE_GATEWAY}"
        return ""

    def healthy(self, city: str, name: str) -> bool:
        """Whether `city` reports local targets for the Gslb: alive, its route bound to an addressed edge, a
        backend with ready pods."""
        gslb = self.gslb(city, name)
        if not self.alive(city) or gslb is None or gslb.route is None or self.unbound(city, name):
            return False
        return any(self.pods(city, backend) > 0 for backend in gslb.route.backends)

    def local_targets(self, city: str, name: str) -> set[str]:
        address = self.facts.city[city].edge_address
        return {address} if address and self.healthy(city, name) else set()

    def answer(self, city: str, name: str) -> set[str]:
        """What `city`'s CoreDNS answers for the Gslb's host."""
        gslb = self.gslb(city, name)
        assert gslb is not None
        ext = self.facts.city[city].ext_tags
        others = [c for c in (ext if ext is not None else self.facts.cities) if c != city and c in self.facts.city]
        remote = {c: self.local_targets(c, name) for c in others}
        own = self.local_targets(city, name)
        everyone = own.union(*remote.values())
        if gslb.strategy == FAILOVER:
            primary = gslb.primary_tag
            if primary == city:
                return own or set().union(*remote.values())
            if primary is not None and remote.get(primary):
                return remote[primary]
            return everyone
        return everyone

    def resolve(self, name: str) -> tuple[set[str], list[str]]:
        """The addresses a user's resolver may get for the Gslb's host: the answers of every live cluster that
        serves it (the parent zone delegates to all of them), and the clusters that do not."""
        answering = [c for c in self.facts.cities if self.alive(c) and self.gslb(c, name) is not None]
        missing = [c for c in self.facts.cities if self.alive(c) and self.gslb(c, name) is None]
        return set().union(*(self.answer(c, name) for c in answering)), missing

    def dns_seconds(self, name: str) -> int | None:
        """k8gb's re-pointing time: a peer notices within reconcileRequeueSeconds, resolvers keep the old answer
        for dnsTtlSeconds (the slowest surviving cluster)."""
        times = []
        for city in self.facts.cities:
            gslb = self.gslb(city, name) if self.alive(city) else None
            if gslb is None:
                continue
            requeue = self.facts.city[city].requeue_seconds
            if gslb.ttl_seconds is None or requeue is None:
                return None
            times.append(gslb.ttl_seconds + requeue)
        return max(times) if times else None

    # --- Patroni and libpq ---------------------------------------------------------------------------------

    def initial_leader(self) -> Member | None:
        leaders = [m for m in self.facts.members if m.city == self.facts.primary and m.may_lead]
        return min(leaders, key=lambda m: m.name) if leaders else None

    def member_alive(self, member: Member) -> bool:
        return self.alive(member.city) and member.name not in self.outage.members

    def leader(self) -> tuple[Member | None, bool]:
        """The writable member once Patroni has acted, and whether it took an election to get there."""
        first = self.initial_leader()
        if first is not None and self.member_alive(first) and not self.facts.quorum:
            return first, False
        if self.facts.quorum:
            total = sum(c.etcd_members for c in self.facts.city.values())
            up = sum(c.etcd_members for name, c in self.facts.city.items() if self.alive(name))
            if 2 * up <= total:
                # failsafe_mode keeps a leader only while it reaches every member; a lost city is unreachable
                self.notes.append(f"etcd has {up} of {total} members: no quorum, the leader demotes (read-only)")
                return None, False
            if first is not None and self.member_alive(first):
                return first, False
        # quorum: any member may take over; standby clusters: only the primary city's own cluster fails over
        # by itself, another city is promoted by changing `primary`
        candidates = [
            m
            for m in self.facts.members
            if self.member_alive(m) and m.may_lead and (self.facts.quorum or m.city == self.facts.primary)
        ]
        if not candidates:
            if not self.facts.quorum:
                self.notes.append("standby clusters: another city is promoted by changing `primary` (manual)")
            return None, True
        return min(candidates, key=lambda m: (-m.priority, self.facts.cities.index(m.city), m.name)), True

    def selects(self, selector: Selector, member: Member, leader: Member | None) -> bool:
        role = LEADER_ROLE if leader is not None and member.name == leader.name else REPLICA_ROLE
        labels = {**member.labels, naming.PATRONI_ROLE_LABEL: role}
        return selector.city == member.city and all(labels.get(k) == v for k, v in selector.selector.items())

    def _behind(self, city: str, host: str) -> Selector | None:
        return self.facts.city[city].services.get(host) or self.facts.published.get(host)

    def writes(self, city: str, workload: Workload, leader: Member | None) -> str | None:
        """The city whose database takes `workload`'s writes from `city` (libpq `read-write`: the first host
        that reaches the leader), or None."""
        if leader is None:
            return None
        for host in workload.write_hosts:
            selector = self._behind(city, host)
            if selector is not None and self.alive(selector.city) and self.selects(selector, leader, leader):
                return leader.city
        return None

    def reads(self, city: str, workload: Workload, leader: Member | None) -> str | None:
        """The city whose database serves `workload`'s reads from `city`: the first host with a live member
        its target_session_attrs accepts (prefer-standby: standbys first, then any)."""
        passes = [True, False] if workload.read_attrs == PREFER_STANDBY else [workload.read_attrs in STANDBY]
        for standby_only in passes:
            for host in workload.read_hosts:
                selector = self._behind(city, host)
                if selector is None or not self.alive(selector.city):
                    continue
                for member in self.facts.members:
                    if not self.member_alive(member) or not self.selects(selector, member, leader):
                        continue
                    if standby_only and leader is not None and member.name == leader.name:
                        continue
                    return member.city
        return None
