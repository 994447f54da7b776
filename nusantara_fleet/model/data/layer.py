"""The data layer's fleet-wide facts: who may lead and in which order, timings, endpoints, each city's members.

`resolve_layer` derives these once from the specs and the resolved cities; the per-city plans
(`model/data/resolve.py`) and the cross-file checks (`model/data/checks.py`) read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.cities import DATABASE_POOL, City
from nusantara_fleet.model.data.plans import DatabaseRole, FailoverMode
from nusantara_fleet.model.data.roles import Layout, database_layout
from nusantara_fleet.model.data.timing import (
    EtcdTiming,
    PatroniTiming,
    archive_timeout,
    maximum_lag_on_failover,
)
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.spec.data import DatabaseSpec

# Every member of the fleet may stream from the leader at once (one sender and one slot each; in
# standby-clusters mode one permanent slot per standby city), plus these for base backups and a member
# being rebuilt; never below PostgreSQL's own default of 10.
REPLICATION_HEADROOM = 2
POSTGRES_DEFAULT_REPLICATION_LIMIT = 10
PGDATA_MOUNT = "/home/postgres/pgdata"  # the data volume; PGDATA is a directory below it


@dataclass(frozen=True)
class CityData:
    """One city's part of the data layer."""

    name: str
    scope: str
    database_role: DatabaseRole
    members: int
    reporting_members: int
    failover_priority: int
    bootstraps: bool
    joining: bool  # added to a running fleet: its etcd member joins the existing cluster
    database_nodes: int
    pod_cidr: str
    service_cidr: str
    source: str

    @property
    def member_set(self) -> str:
        """StatefulSet of the members that may lead; the city in the name keeps pod names fleet-unique."""
        return naming.city_object(naming.MEMBER_SET, self.name)

    @property
    def reporting_set(self) -> str:
        return naming.city_object(naming.REPORTING_SET, self.name)

    @property
    def member_pods(self) -> tuple[str, ...]:
        return tuple(f"{self.member_set}-{i}" for i in range(self.members))

    @property
    def reporting_pods(self) -> tuple[str, ...]:
        return tuple(f"{self.reporting_set}-{i}" for i in range(self.reporting_members))

    @property
    def restore_pod(self) -> str:
        """The one member of a point-in-time restore (`fleet restore`), should one run."""
        return f"{naming.city_object(naming.RESTORE_SET, self.name)}-0"


@dataclass(frozen=True)
class DataLayer:
    """The whole data layer: timings, order of succession, per-city members and endpoints."""

    fleet: FleetSpec
    cities: tuple[CityData, ...]

    # Derived on each use, not stored: whatever reads a timing reads the inputs it comes from, so
    # `fleet explain` names them, and the checks judge exactly the values the plans render.
    @property
    def spec(self) -> DatabaseSpec:
        return self.fleet.database

    @property
    def primary(self) -> str:
        return self.fleet.primary

    @property
    def preference(self) -> tuple[str, ...]:
        return preference_order(self.fleet)

    @property
    def mode(self) -> FailoverMode:
        return self.spec.failover.mode

    @property
    def timing(self) -> PatroniTiming:
        failover = self.spec.failover
        return PatroniTiming.derive(
            loop_wait=failover.loop_wait_seconds,
            retry_timeout=failover.retry_timeout_seconds,
            promotion=failover.promotion_seconds,
        )

    @property
    def etcd_timing(self) -> EtcdTiming:
        return EtcdTiming.derive(rtt_ms=self.spec.failover.inter_city_rtt_ms)

    @property
    def maximum_lag_on_failover(self) -> int:
        return maximum_lag_on_failover(
            wal_bytes_per_second=self.spec.wal_bytes_per_second, rpo_seconds=self.fleet.targets.rpo_seconds
        )

    @property
    def archive_timeout(self) -> int:
        return archive_timeout(rpo_seconds=self.fleet.targets.rpo_seconds)

    @property
    def pod_cidrs(self) -> tuple[str, ...]:
        """By city name, like etcd's members: an order that followed the rollout (which `primary` reorders)
        would rewrite pg_hba and the REST API's allowlist, and so restart every member, on a failover."""
        return tuple(city.pod_cidr for city in sorted(self.cities, key=lambda city: city.name))

    @property
    def fleet_networks(self) -> tuple[str, ...]:
        """Every pod and service network of the fleet: what traffic leaving it must never reach."""
        return (*self.pod_cidrs, *(city.service_cidr for city in sorted(self.cities, key=lambda city: city.name)))

    @property
    def quorum(self) -> bool:
        return self.mode == "quorum"

    def city(self, name: str) -> CityData:
        return next(city for city in self.cities if city.name == name)

    def host(self, city: str, service: str) -> str:
        """`<service>.<city>.<zone>`: a city's Service as every city resolves it (pod IPs are routable)."""
        return naming.cross_city_host(service, city, self.spec.cross_city_domain)

    @property
    def etcd_cities(self) -> tuple[str, ...]:
        """The etcd members by city name: etcd has no order of succession, and an order that followed
        `primary` would change every member's flags, and so restart every member, on a failover."""
        return tuple(sorted(city.name for city in self.cities))

    @property
    def etcd_members(self) -> tuple[tuple[str, str], ...]:
        """(member name, peer URL) of the three-city etcd."""
        return tuple(
            (name, f"https://{self.host(name, naming.ETCD)}:{self.spec.etcd_peer_port}") for name in self.etcd_cities
        )

    @property
    def etcd_client_hosts(self) -> tuple[str, ...]:
        return tuple(f"{self.host(name, naming.ETCD)}:{self.spec.etcd_client_port}" for name in self.etcd_cities)

    @property
    def write_hosts(self) -> tuple[str, ...]:
        """Every city's write Service, by city name.

        Only the city holding the leader has an address behind its name; a libpq client given all of
        them with `target_session_attrs=read-write` finds the leader even right after an automatic
        failover, before `primary` in envs/ has caught up. The order is not the order of succession:
        that one follows `primary`, and the apps' config, so their pods, would change on every failover,
        while a name without an address costs a client one failed lookup.
        """
        return tuple(self.host(name, naming.WRITE_SERVICE) for name in self.etcd_cities)

    @property
    def layout(self) -> Layout:
        return database_layout(self.fleet)

    def read_hosts(self, city: str, *, reporting: bool) -> tuple[str, ...]:
        """Where a service of `city` reads, in the order a libpq client tries them (`target_session_attrs=any`).

        The city's replicas (its reporting members for `reads: reporting`), then any of its ready members
        (the leader, when it is the city's only one), then every other city's ready members by city name.
        Nothing a failover changes orders them (not `primary`, not the failover preference that moves with
        it): a failover commit would otherwise reorder every reader's hosts and restart every reading pod,
        for no read that needs it. A name with no ready pod behind it refuses at once, so a city whose only
        member is promoted or lost keeps reading from the next name.
        """
        namespace = self.fleet.namespaces.data
        first = naming.REPORTING_SERVICE if reporting else naming.READ_SERVICE
        local = tuple(naming.cluster_local_host(name, namespace) for name in (first, naming.ANY_MEMBER_SERVICE))
        others = tuple(
            self.host(name, naming.ANY_MEMBER_SERVICE) for name in sorted(self.fleet.rollout.order) if name != city
        )
        return (*local, *others)

    @property
    def leader_cities(self) -> tuple[str, ...]:
        """Cities whose database may hold the leader: every city in the order of succession when Patroni
        fails over on its own (quorum), else the primary city alone (it moves only when `primary` does)."""
        return self.preference if self.quorum else (self.primary,)

    def claim_sizes(self, city: str) -> dict[str, str]:
        """`<StatefulSet>/<claim template>` → the size the model gives it, for the storage policy."""
        here = self.city(city)
        storage = self.spec.storage
        sizes = {
            f"{here.member_set}/{naming.PGDATA_CLAIM}": storage.size,
            f"{here.reporting_set}/{naming.PGDATA_CLAIM}": storage.size,
        }
        if self.quorum:
            sizes[f"{naming.ETCD}/{naming.ETCD_CLAIM}"] = storage.etcd_size
        return sizes

    @property
    def image(self) -> str:
        return pinned(self.spec.image, tag=self.spec.tag, digest=self.spec.digest)

    @property
    def etcd_image(self) -> str:
        return pinned(self.spec.etcd_image, tag=self.spec.etcd_tag, digest=self.spec.etcd_digest)

    @property
    def backup_image(self) -> str:
        backup = self.spec.backup
        return pinned(backup.image, tag=backup.tag, digest=backup.digest)

    @property
    def data_dir(self) -> str:
        return f"{PGDATA_MOUNT}/pg{self.spec.postgres_major}"

    @property
    def bin_dir(self) -> str:
        return f"/usr/lib/postgresql/{self.spec.postgres_major}/bin"

    @property
    def replication_limit(self) -> int:
        """`max_wal_senders` and `max_replication_slots` on every member (a standby needs at least its primary's)."""
        members = sum(city.members + city.reporting_members for city in self.cities)
        return max(POSTGRES_DEFAULT_REPLICATION_LIMIT, members + len(self.cities) + REPLICATION_HEADROOM)

    @property
    def max_slot_wal_keep_size(self) -> str:
        return f"{self.spec.max_slot_wal_keep_gib}GB"


def pinned(repository: str, *, tag: str, digest: str | None) -> str:
    """An image reference: by digest when one is given (what runs can never change under it), else by tag."""
    return f"{repository}@{digest}" if digest is not None else f"{repository}:{tag}"


def preference_order(spec: FleetSpec) -> tuple[str, ...]:
    """The primary first, then the cities `database.failover.preference` lists, then the rest in rollout order."""
    listed = [*spec.database.failover.preference, *spec.rollout.order]
    return tuple(dict.fromkeys([spec.primary, *listed]))


@traced
def resolve_layer(spec: FleetSpec, cities: tuple[City, ...]) -> DataLayer:
    """The data layer's facts, from specs the structural checks have passed (see `model/checks.py`)."""
    database = spec.database
    failover = database.failover
    quorum = failover.mode == "quorum"
    order = preference_order(spec)
    resolved = []
    for city in cities:
        nodes = city.pools[DATABASE_POOL].nodes
        members = city.spec.database.members
        resolved.append(
            CityData(
                name=city.name,
                scope=database.scope if quorum else naming.city_object(database.scope, city.name),
                database_role="primary" if city.is_primary else "replica",
                members=members if members is not None else nodes - database.reporting_members,
                reporting_members=database.reporting_members,
                failover_priority=len(order) - order.index(city.name),
                bootstraps=city.is_primary or not quorum,
                joining=city.spec.database.joining,
                database_nodes=nodes,
                pod_cidr=city.network.pod_cidr,
                service_cidr=city.network.service_cidr,
                source=city.source,
            )
        )
    return DataLayer(
        fleet=spec,
        cities=tuple(resolved),
    )
