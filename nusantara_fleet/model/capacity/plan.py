"""Whether each city's pools, disks and links carry the design capacity, with every city up and with any
one city lost: the plan `fleet plan` prints and `fleet synth` warns from, computed once per fleet.

    general, database pool  requests and limits of every pod the city runs in the scenario (each
                            service at the pods its HPA reaches there) against the pool's allocatable:
                            nodes x (the class's node in `hardware.per_node` - `hardware.node_reserve`)
    disk per node           the volume claims the fullest node of a pool may hold, against its disk
    database link           WAL the leader streams to the other cities' members, at the design capacity
    application link        what services in other cities exchange with the leader city's database
    gateway                 RPS the cities can place pods for, against the upper end of the design band

A line fits when what it needs is no more than what is available. Figures are exact fractions; the
reports round them. Scenarios with the same figures for a city share one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.capacity.demand import Demand, Scenario
from nusantara_fleet.model.cities import DATABASE_POOL, WORKLOAD_POOL, City, PoolName, Service
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.data.plans import CityDataPlan, StatefulSetPlan
from nusantara_fleet.model.pods import PodPlan
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.source import Loc
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.capacity import HardwareSize
from nusantara_fleet.model.spec.common import cpu_millicores, memory_mib
from nusantara_fleet.model.spec.platform import ContainerResources, ResourceClass
from nusantara_fleet.model.workloads.plans import Workloads

Unit = Literal["vCPU", "GiB", "GB", "Mbps", "RPS"]
CLASSES: tuple[ResourceClass, ...] = ("heavy", "medium", "light")
MILLI = 1000
MIB_PER_GIB = 1024
GB_PER_GIB = Fraction(2**30, 10**9)
BYTES_PER_MIB = 2**20
MBIT_PER_BYTE = Fraction(8, 10**6)
# Cities a line names one by one; beyond this it counts them.
NAMED_CITIES = 3


@dataclass(frozen=True)
class Fix:
    """Where a line that does not fit is put right: a field of the city's file, or of fleet.yaml (city None)."""

    city: str | None
    loc: Loc
    advice: str


@dataclass(frozen=True)
class Line:
    """One figure the fleet needs against what it has, in the scenarios it holds for."""

    city: str | None  # None: the fleet as a whole
    subject: str
    check: str
    scenarios: tuple[Scenario, ...]
    label: str  # the scenarios in words
    needed: Fraction
    available: Fraction
    unit: Unit
    detail: str
    fix: Fix

    @property
    def fits(self) -> bool:
        return self.needed <= self.available

    @property
    def where(self) -> str:
        return self.city or "fleet"

    def summary(self) -> str:
        figures = f"{figure(self.needed, self.unit)} needed, {figure(self.available, self.unit)} available"
        return f"{self.subject}, {self.label}: {self.check}: {figures} ({self.detail})"


@dataclass(frozen=True)
class CapacityPlan:
    """Every line of the plan, the design figures it is judged against, and where the design disagrees with itself."""

    peak_rps: int
    headroom_pct: tuple[int, int]
    band: tuple[int, int]
    routing: Mapping[str, str]  # lost city -> the city its users go to
    lines: tuple[Line, ...]
    notes: tuple[str, ...]

    @property
    def short(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.fits)

    @property
    def fits(self) -> bool:
        return not self.short

    def warnings(self, sources: Sources) -> list[Problem]:
        """Each line that does not fit, at the field that puts it right: what `fleet synth` prints."""
        problems = []
        for line in self.short:
            if line.fix.city is None:
                # fleet.yaml holds the field for every city: the message names the one that falls short
                city = f"{line.city} " if line.city is not None else ""
                problems.append(sources.fleet_problem(line.fix.loc, f"{city}{line.summary()}; {line.fix.advice}"))
            else:
                problems.append(
                    sources.city_problem(line.fix.city, line.fix.loc, f"{line.summary()}; {line.fix.advice}")
                )
        return problems


def figure(value: Fraction, unit: Unit) -> str:
    """A figure as every report prints it: RPS whole, disks and links to a tenth, CPU and memory to a hundredth."""
    if unit == "RPS":
        return f"{round(value):,} RPS"
    if unit in ("GB", "Mbps"):
        return f"{float(value):,.1f} {unit}"
    return f"{float(value):,.2f} {unit}"


@dataclass(frozen=True)
class _Pods:
    """Pods of one workload on one pool: how many in each scenario, what each requests and may use, its claim."""

    name: str
    pool: PoolName
    count: Callable[[Scenario], int]
    requests: tuple[int, int]  # millicores, MiB
    limits: tuple[int, int]
    claim_gib: int = 0
    apart: str = ""  # pods with the same non-empty key never share a node (required anti-affinity)


@dataclass(frozen=True)
class _Use:
    """What the pods of one pool add up to in one scenario."""

    pods: int
    requests: tuple[int, int]
    limits: tuple[int, int]


def _sizes(resources: Iterable[ContainerResources]) -> tuple[tuple[int, int], tuple[int, int]]:
    listed = tuple(resources)
    return (
        (sum(cpu_millicores(r.requests.cpu) for r in listed), sum(memory_mib(r.requests.memory) for r in listed)),
        (sum(cpu_millicores(r.limits.cpu) for r in listed), sum(memory_mib(r.limits.memory) for r in listed)),
    )


def _fixed(replicas: int) -> Callable[[Scenario], int]:
    return lambda _scenario: replicas


def _pod(name: str, pod: PodPlan, replicas: int, claim: str = "0Gi") -> _Pods:
    requests, limits = _sizes(container.resources for container in pod.containers)
    apart = ",".join(f"{key}={value}" for key, value in sorted((pod.one_per_node or {}).items()))
    return _Pods(name, pod.pool.name, _fixed(replicas), requests, limits, int(claim.removesuffix("Gi")), apart)


def _stateful(plan: StatefulSetPlan) -> _Pods:
    return _pod(plan.identity.name, plan.pod, plan.replicas, plan.claim.size)


def _inventory(city: str, workloads: Workloads, data: CityDataPlan) -> list[_Pods]:
    """Every pod a city runs: the services (by scenario), their canaries and cache, the data layer and its jobs."""
    plan = workloads.city(city)
    pods = []
    for app in plan.apps:
        requests, limits = _sizes([app.resources])
        # The stable pods carry the whole share and a canary comes on top: while both run, never less than needed.
        pods.append(_Pods(app.name, app.pool.name, app.scaling.pods.__getitem__, requests, limits))
        if app.canary is not None:
            pods.append(_Pods(app.canary.name, app.pool.name, _fixed(app.canary.replicas), requests, limits))
    cache = plan.cache
    if cache is not None:
        requests, limits = _sizes([cache.resources, cache.exporter.resources])
        claim = cache.storage_gib if cache.persistence else 0
        pods.append(_Pods(cache.name, cache.pool.name, _fixed(cache.replicas), requests, limits, claim, cache.name))
    pods.extend(_stateful(members) for members in data.member_sets)
    if data.etcd is not None:
        pods.append(_stateful(data.etcd))
    pods.extend(_pod(job.identity.name, job.pod, 1) for job in data.cron_jobs)
    pods.extend(_pod(job.identity.name, job.pod, 1) for job in data.jobs)
    return pods


def _use(pods: Iterable[_Pods], scenario: Scenario) -> _Use:
    count = cpu_r = mem_r = cpu_l = mem_l = 0
    for group in pods:
        n = group.count(scenario)
        count += n
        cpu_r += n * group.requests[0]
        mem_r += n * group.requests[1]
        cpu_l += n * group.limits[0]
        mem_l += n * group.limits[1]
    return _Use(count, (cpu_r, mem_r), (cpu_l, mem_l))


def _grouped(scenarios: Iterable[Scenario], key: Callable[[Scenario], object]) -> list[tuple[Scenario, ...]]:
    """Scenarios with equal figures, one group each, in scenario order."""
    groups: dict[object, list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault(key(scenario), []).append(scenario)
    return [tuple(group) for group in groups.values()]


def _writers(services: Iterable[Service]) -> list[Service]:
    """Services whose requests reach the leader: only those with `write` routes that use the database."""
    return [service for service in services if service.writes and service.spec.database]


class _Planner:
    """What every line reads: the specs, the demand, the cities and the data layer, with the fleet-wide rates."""

    def __init__(
        self, spec: FleetSpec, demand: Demand, cities: tuple[City, ...], services: tuple[Service, ...], layer: DataLayer
    ) -> None:
        self.spec = spec
        self.capacity = spec.capacity
        self.hardware = spec.hardware
        self.demand = demand
        self.cities = cities
        self.layer = layer
        high, count = demand.band[1], len(demand.cities)
        writers = _writers(services)
        # WAL does not move with the users: the leader writes it for every request of the fleet.
        self.wal = Fraction(sum(high * s.spec.traffic_pct * s.spec.wal_bytes_per_request for s in writers), 100)
        # What one share of the users sends to the leader's database from another city, bytes per second.
        self.writes_per_share = Fraction(
            sum(high * s.spec.traffic_pct * s.spec.cross_city_bytes_per_request for s in writers), count * 100
        )
        # WAL streams from the leader into each city: each member in quorum mode (reporting members stream
        # from their own city's member), the standby leader alone in standby-clusters mode.
        self.streams = {here.name: here.members if layer.quorum else 1 for here in layer.cities}

    def node(self, pool: PoolName) -> tuple[ResourceClass, HardwareSize]:
        node_class: ResourceClass = getattr(self.spec.node_pools, pool).node_class
        size: HardwareSize = getattr(self.hardware.per_node, node_class)
        return node_class, size

    def allocatable(self, pool: PoolName) -> tuple[Fraction, Fraction]:
        """What one node of the pool leaves for pods: vCPU and GiB."""
        _, size = self.node(pool)
        reserve = self.hardware.node_reserve
        return (
            Fraction(size.vcpu * MILLI - cpu_millicores(reserve.cpu), MILLI),
            Fraction(size.memory_gib * MIB_PER_GIB - memory_mib(reserve.memory), MIB_PER_GIB),
        )

    def up(self, city: str | None) -> tuple[Scenario, ...]:
        """The scenarios a city is up in; all of them for the fleet as a whole."""
        return tuple(s for s in self.demand.scenarios if city is None or s != city)

    def line(
        self,
        city: str | None,
        subject: str,
        check: str,
        scenarios: tuple[Scenario, ...],
        figures: tuple[Fraction, Fraction, Unit],
        detail: str,
        fix: Fix,
    ) -> Line:
        needed, available, unit = figures
        return Line(city, subject, check, scenarios, self.label(city, scenarios), needed, available, unit, detail, fix)

    def label(self, city: str | None, scenarios: tuple[Scenario, ...]) -> str:
        others = len(self.up(city)) - 1
        lost = [s for s in scenarios if s is not None]
        parts = ["normal"] if None in scenarios else []
        if len(lost) == others > 1:
            parts.append("any city lost" if city is None else "any other city lost")
        elif lost:
            parts.append(f"{_names(lost, ' or ')} lost")
        return ", or ".join(parts)


def _names(cities: list[str], joiner: str = ", ") -> str:
    """Cities by name, or counted past a few, so a large fleet's lines stay readable."""
    if len(cities) > NAMED_CITIES:
        return f"{len(cities)} cities ({', '.join(cities[:2])}, ...)"
    return joiner.join(cities) or "no other city"


def _pool_lines(
    p: _Planner, city: City, pool: PoolName, pods: list[_Pods]
) -> tuple[list[Line], dict[Scenario, Fraction]]:
    """Requests and limits against the allocatable, and the part of its load the pool can place pods for in
    each scenario (1 when every request fits). A city's pods follow the users' shares it serves."""
    mine = [group for group in pods if group.pool == pool]
    nodes = city.pools[pool].nodes
    node_class, _ = p.node(pool)
    cpu, memory = p.allocatable(pool)
    available = (nodes * cpu, nodes * memory)
    inherited = "" if city.pools[pool].overridden else ", the fleet's default"
    fix = Fix(city.name, ("node_pools", pool, "nodes"), f"add {pool} nodes ({nodes} now{inherited})")
    shares = p.demand.shares[city.name]
    by_share: dict[int, list[Scenario]] = {}
    for scenario, count in shares.items():
        by_share.setdefault(count, []).append(scenario)
    uses = {count: _use(mine, scenarios[0]) for count, scenarios in by_share.items()}
    placed_by_share = {}
    for count, use in uses.items():
        requested = (Fraction(use.requests[0], MILLI), Fraction(use.requests[1], MIB_PER_GIB))
        placed_by_share[count] = min([Fraction(1), *(available[i] / requested[i] for i in (0, 1) if requested[i])])
    lines = []
    for scenarios in _grouped(shares, lambda scenario: uses[shares[scenario]]):
        use = uses[shares[scenarios[0]]]
        detail = f"{use.pods} pods on {nodes} {node_class} nodes"
        for kind, (millicores, mib) in (("requests", use.requests), ("limits", use.limits)):
            cpu_figures: tuple[Fraction, Fraction, Unit] = (Fraction(millicores, MILLI), available[0], "vCPU")
            memory_figures: tuple[Fraction, Fraction, Unit] = (Fraction(mib, MIB_PER_GIB), available[1], "GiB")
            for resource, figures in (("cpu", cpu_figures), ("memory", memory_figures)):
                lines.append(p.line(city.name, f"{pool} pool", f"{resource} {kind}", scenarios, figures, detail, fix))
    return lines, {scenario: placed_by_share[count] for scenario, count in shares.items()}


def _disk_lines(p: _Planner, city: City, pods: list[_Pods]) -> list[Line]:
    """Per pool with claims: what its fullest node may hold. Pods kept apart put one claim of their group on a
    node; any other claimed pods may all land on the same one."""
    lines = []
    for pool in (WORKLOAD_POOL, DATABASE_POOL):
        claimed = [group for group in pods if group.pool == pool and group.claim_gib]
        if not claimed:
            continue
        apart: dict[str, list[_Pods]] = {}
        parts: list[tuple[str, int]] = []
        for group in claimed:
            if group.apart:
                apart.setdefault(group.apart, []).append(group)
            else:
                parts.append((group.name, group.claim_gib * group.count(None)))
        for members in apart.values():
            parts.append((" or ".join(m.name for m in members), max(m.claim_gib for m in members)))
        node_class, size = p.node(pool)
        reserve = p.hardware.node_reserve.disk_gb
        needed = sum(gib for _, gib in parts) * GB_PER_GIB
        claims = " + ".join(f"{name} {gib}Gi" for name, gib in sorted(parts, key=lambda part: -part[1]))
        nodes = city.pools[pool].nodes
        detail = (
            f"{claims} on the fullest of {nodes} {node_class} nodes: {size.disk_gb} GB less {reserve} GB for the node"
        )
        if pool == DATABASE_POOL:
            fix = Fix(None, ("database", "storage", "size"), "lower database.storage.size or give the nodes more disk")
        else:
            fix = Fix(None, ("report_cache", "storage_gib"), "lower report_cache.storage_gib")
        figures: tuple[Fraction, Fraction, Unit] = (needed, Fraction(size.disk_gb - reserve), "GB")
        lines.append(p.line(city.name, f"{pool} pool", "disk per node", p.up(city.name), figures, detail, fix))
    return lines


def _link_lines(p: _Planner, city: City) -> list[Line]:
    """The database link (WAL streams) and the application link (writes to the leader's city)."""
    bandwidth = p.spec.bandwidth
    demand = p.demand
    database: dict[Scenario, tuple[Fraction, str]] = {}
    application: dict[Scenario, tuple[Fraction, str]] = {}
    for scenario, shares in demand.shares[city.name].items():
        leader = demand.leader(scenario)
        if city.name == leader:
            others = [c for c in demand.up(scenario) if c != leader]
            streams = sum(p.streams[c] for c in others)
            database[scenario] = (p.wal * streams, f"{_streams(streams)} to {_names(others)}")
            # The users' shares add up to one per city in every scenario; the leader's own stay local.
            remote = len(demand.cities) - shares
            application[scenario] = (p.writes_per_share * remote, f"writes from {_names(others)}")
        else:
            streams = p.streams[city.name]
            database[scenario] = (p.wal * streams, f"{_streams(streams)} from {leader}")
            application[scenario] = (p.writes_per_share * shares, f"writes to {leader}")
    lines = []
    per_stream = f"{float(p.wal * MBIT_PER_BYTE):.1f} Mbps each at {demand.band[1]:,} RPS"
    for subject, figures_by, available, field in (
        ("database link", database, bandwidth.database_mbps, "database_mbps"),
        ("application link", application, bandwidth.application_mbps, "application_mbps"),
    ):
        fix = Fix(None, ("bandwidth", field), f"the link needs more than bandwidth.{field}")
        for scenarios in _grouped(figures_by, figures_by.__getitem__):
            rate, detail = figures_by[scenarios[0]]
            if subject == "database link":
                detail = f"{detail}, {per_stream}"
            figures: tuple[Fraction, Fraction, Unit] = (rate * MBIT_PER_BYTE, Fraction(available), "Mbps")
            lines.append(p.line(city.name, subject, "bandwidth", scenarios, figures, detail, fix))
    return lines


def _streams(count: int) -> str:
    return f"{count} WAL stream{'' if count == 1 else 's'}"


def _gateway_lines(p: _Planner, placed: Mapping[str, Mapping[Scenario, Fraction]]) -> list[Line]:
    """RPS the cities can place pods for in each scenario, against the upper end of the band."""
    demand = p.demand
    low, high = demand.band
    peak = p.capacity.peak_rps
    served = {}
    for scenario in p.up(None):
        shares = sum(
            (demand.shares[city][scenario] * placed[city][scenario] for city in demand.up(scenario)), Fraction(0)
        )
        served[scenario] = high * shares / len(demand.cities)
    fix = Fix(None, ("capacity",), "add nodes to the pools that fall short in the same scenario")
    lines = []
    for scenarios in _grouped(served, served.__getitem__):
        rps = served[scenarios[0]]
        headroom = round((rps / peak - 1) * 100)
        detail = f"the cities place pods for {headroom} % over the {peak:,} RPS peak; the design: {low:,}-{high:,} RPS"
        figures: tuple[Fraction, Fraction, Unit] = (Fraction(high), rps, "RPS")
        lines.append(p.line(None, "gateway", "design capacity", scenarios, figures, detail, fix))
    return lines


def _design_notes(p: _Planner) -> list[str]:
    """Where the design's per-cluster totals disagree with its own node sizes or with the pools the model runs."""
    notes = []
    per_pool = {pool: p.node(pool) for pool in (WORKLOAD_POOL, DATABASE_POOL)}
    for node_class in CLASSES:
        node: HardwareSize = getattr(p.hardware.per_node, node_class)
        total: HardwareSize = getattr(p.hardware.per_cluster, node_class)
        implied = {
            Fraction(total.vcpu, node.vcpu),
            Fraction(total.memory_gib, node.memory_gib),
            Fraction(total.disk_gb, node.disk_gb),
        }
        one = f"{node.vcpu} vCPU / {node.memory_gib} GiB / {node.disk_gb} GB"
        planned = f"{node_class} per cluster is {total.vcpu} vCPU / {total.memory_gib} GiB / {total.disk_gb} GB"
        if len(implied) > 1:
            counts = " / ".join(f"{float(n):g}" for n in sorted(implied))
            notes.append(
                f"design: {planned}, {counts} nodes of {one} by CPU, memory or disk; the model counts whole nodes"
            )
        planned += f", {float(max(implied)):g} nodes of {one}"
        pools = [pool for pool, (used, _) in per_pool.items() if used == node_class]
        if not pools:
            notes.append(
                f"design: {planned}, but no pool has {node_class} nodes (node_pools.*.node_class): the model uses none"
            )
            continue
        for pool in pools:
            sizes = [(city.name, city.pools[pool].nodes) for city in p.cities]
            if all(nodes * node.vcpu == total.vcpu for _, nodes in sizes):
                continue
            uses = ", ".join(
                f"{name} {nodes} ({nodes * node.vcpu} vCPU / {nodes * node.memory_gib} GiB / {nodes * node.disk_gb} GB)"
                for name, nodes in sizes
            )
            notes.append(f"design: {planned}; the {pool} pool differs, and the model uses its nodes: {uses}")
    wal = p.wal
    configured = p.spec.database.wal_bytes_per_second
    if wal > configured:
        notes.append(
            f"model: database.wal_bytes_per_second ({configured / BYTES_PER_MIB:.1f} MiB/s) sizes the failover lag "
            f"limit, but the services write {float(wal / BYTES_PER_MIB):.1f} MiB/s of WAL at "
            f"{p.demand.band[1]:,} RPS; the database link lines use the services' figure"
        )
    return notes


def resolve_capacity(
    spec: FleetSpec,
    demand: Demand,
    cities: tuple[City, ...],
    services: tuple[Service, ...],
    layer: DataLayer,
    workloads: Workloads,
    data_plans: Mapping[str, CityDataPlan],
) -> CapacityPlan:
    p = _Planner(spec, demand, cities, services, layer)
    lines: list[Line] = []
    placed: dict[str, Mapping[Scenario, Fraction]] = {}
    for city in cities:
        pods = _inventory(city.name, workloads, data_plans[city.name])
        general, placed[city.name] = _pool_lines(p, city, WORKLOAD_POOL, pods)
        database, _ = _pool_lines(p, city, DATABASE_POOL, pods)
        lines.extend([*general, *database, *_disk_lines(p, city, pods), *_link_lines(p, city)])
    lines.extend(_gateway_lines(p, placed))
    capacity = spec.capacity
    return CapacityPlan(
        peak_rps=capacity.peak_rps,
        headroom_pct=(capacity.headroom_min_pct, capacity.headroom_max_pct),
        band=demand.band,
        routing={lost: demand.takes_over(lost) for lost in demand.scenarios if lost is not None},
        lines=tuple(lines),
        notes=tuple(_design_notes(p)),
    )
