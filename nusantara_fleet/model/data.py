"""The data layer, resolved: Patroni timings from the RTO and RPO, who may lead and in which order,
the endpoints the apps use, and the per-city facts the data constructs render.

Everything the data constructs need that `envs/` does not say is decided here, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.delivery import Layer
from nusantara_fleet.model.source import Loc, Source, format_loc
from nusantara_fleet.model.spec import CitySpec, DatabaseSpec, FleetSpec

if TYPE_CHECKING:
    from nusantara_fleet.model.fleet import City

DatabaseRole = Literal["primary", "replica", "reporting", "restore"]

# Argo CD sync wave layer of every data object (the wave number lives in model/delivery.py): the
# databases are healthy before the apps that connect to them start.
DATA_LAYER: Layer = "data"
PATRONI_MIN_TTL = 20  # Patroni 4 rejects a smaller `ttl` (its validator's lower bound)
# Patroni's failsafe mode, on: when etcd loses quorum but the leader still reaches every member over
# the REST API, the cities are fine and only the DCS failed, so the leader keeps taking writes instead
# of taking the whole fleet read-only; if any member is unreachable too (a city is gone or cut off) it
# demotes, so a partition can never leave two writable primaries. tests/data shows both cases.
FAILSAFE_MODE = True
ETCD_MIN_HEARTBEAT_MS = 100  # etcd's default heartbeat; lower only adds traffic on a WAN
ETCD_ELECTION_HEARTBEATS = 10  # etcd tuning guide: election timeout at least ten heartbeats
MEMBER_NAME = "postgres"  # StatefulSet of the members that may lead
REPORTING_NAME = "postgres-reporting"  # StatefulSet of the reporting members (never lead)
ETCD_NAME = "etcd"
WRITE_SERVICE = "postgres-write"
READ_SERVICE = "postgres-read"
REPORTING_SERVICE = "postgres-reporting"
MEMBERS_SERVICE = "postgres-members"
SUPERUSER = "postgres"
APP_USER = "shop"  # owner of the services' database; the recap refreshes its views as the owner
PROMOTE_JOB = "postgres-promote"
RESTORE_NAME = "postgres-restore"  # `fleet restore`: a new cluster beside the live one, never over it
BACKUP_JOB = "postgres-backup"
RECAP_JOB = "postgres-recap"
REPLICATION_USER = "replicator"
LEADER_LABEL_VALUE = "primary"  # Patroni 4's leader role value (3.x said `master`)
FOLLOWER_LABEL_VALUE = "replica"
STANDBY_LEADER_LABEL_VALUE = "standby-leader"  # never `primary`: a standby leader is read-only
CONFIG_DIR = "/etc/patroni"  # the `patroni` ConfigMap: member configs and the role callback
TLS_DIR = "/etc/postgres-tls"  # ca.crt, tls.crt, tls.key of PostgreSQL and etcd (an out-of-band Secret)
PGDATA_MOUNT = "/home/postgres/pgdata"  # the data volume; PGDATA is a directory below it
SOCKET_DIR = "/var/run/postgresql"  # PostgreSQL's socket; an emptyDir under a read-only root
POSTGRES_UID = 999  # the `postgres` user of the Debian PostgreSQL packages the image is built from
NONROOT_UID = 65532  # the distroless `nonroot` user the etcd and kubectl images run as
# Every member of the fleet may stream from the leader at once (one sender and one slot each; in
# standby-clusters mode one permanent slot per standby city), plus these for base backups and a member
# being rebuilt; never below PostgreSQL's own default of 10.
REPLICATION_HEADROOM = 2
POSTGRES_DEFAULT_REPLICATION_LIMIT = 10
# Patroni's documented probe timings: /liveness fails only when the HA loop stalls for a whole ttl.
PATRONI_PROBE_TIMING = {"failureThreshold": 3, "initialDelaySeconds": 3, "periodSeconds": 10, "timeoutSeconds": 5}
ETCD_METRICS_PORT = 2381  # plain-HTTP /health for the probes; the client port demands a client certificate
ETCD_PROBE_TIMING = {"failureThreshold": 3, "periodSeconds": 10, "timeoutSeconds": 5}
ETCD_LIVENESS_DELAY_SECONDS = 10  # a member joining the quorum answers /health only after its first election
BACKUP_START_DEADLINE_SECONDS = 3600  # a base backup that cannot start within the hour waits for the next run
RECAP_DEADLINE_SECONDS = 600  # the recap refreshes precomputed views; ten minutes means something is stuck
JOB_HISTORY = 3  # finished Jobs kept per CronJob, enough to read the last failures
WALG_COMPRESSION = "zstd"  # WAL-G's best ratio per CPU; forced half-empty segments shrink to almost nothing
CREDENTIALS_SECRET = "postgres-credentials"  # superuser, replication and app passwords
OBJECT_STORAGE_SECRET = "postgres-object-storage"  # this city's S3 access key
TLS_SECRET = "postgres-tls"  # one CA for the fleet's databases and etcd
PGDATA_CLAIM = "pgdata"  # volumeClaimTemplate of the Patroni members
ETCD_CLAIM = "data"  # volumeClaimTemplate of the etcd member


@dataclass(frozen=True)
class PatroniTiming:
    """Patroni's HA timings and the failover time they imply.

    Patroni keeps a leader lock with a lease of `ttl` seconds and renews it every `loop_wait`.
    Patroni's own rule is `loop_wait + 2 * retry_timeout <= ttl` (a DCS call may be retried for
    `retry_timeout` twice inside one lease), so the tightest legal lease is derived, not chosen:

        ttl = max(20, loop_wait + 2 * retry_timeout)          defaults: max(20, 10 + 2*10) = 30 s

    Two ways to lose the primary, each with its worst case (Patroni docs, replication_modes and
    dynamic_configuration):

    * node or city lost: the lease runs out after `ttl`, a replica notices within one `loop_wait`:
          node_loss = ttl + loop_wait + promotion                     30 + 10 + 30 = 70 s
    * PostgreSQL crashed under a live Patroni: Patroni restarts it in place for up to
      `primary_start_timeout` (a restart in place loses nothing), then releases the lock:
          crash = loop_wait + primary_start_timeout + loop_wait + promotion
      `primary_start_timeout = ttl - loop_wait` makes both cases share one bound:   10 + 20 + 10 + 30 = 70 s

    The first candidate may itself fail to promote (lagging too far, or dying), so the RTO must hold
    a second election round:
          rto_bound = worst_case + ttl + loop_wait                    70 + 40 = 110 s  <= RTO 180 s
    """

    ttl: int
    loop_wait: int
    retry_timeout: int
    primary_start_timeout: int
    promotion: int

    @classmethod
    def derive(
        cls, *, loop_wait: int, retry_timeout: int, promotion: int, min_ttl: int = PATRONI_MIN_TTL
    ) -> PatroniTiming:
        ttl = max(min_ttl, loop_wait + 2 * retry_timeout)
        return cls(
            ttl=ttl,
            loop_wait=loop_wait,
            retry_timeout=retry_timeout,
            primary_start_timeout=ttl - loop_wait,
            promotion=promotion,
        )

    @property
    def node_loss_seconds(self) -> int:
        return self.ttl + self.loop_wait + self.promotion

    @property
    def crash_seconds(self) -> int:
        return 2 * self.loop_wait + self.primary_start_timeout + self.promotion

    @property
    def worst_case_seconds(self) -> int:
        return max(self.node_loss_seconds, self.crash_seconds)

    @property
    def rto_bound_seconds(self) -> int:
        """Worst case plus a second election round, for a first candidate that fails to promote."""
        return self.worst_case_seconds + self.ttl + self.loop_wait


def maximum_lag_on_failover(*, wal_bytes_per_second: int, rpo_seconds: int) -> int:
    """Bytes a replica may lag and still be promoted: the RPO's worth of WAL at peak.

    Patroni measures lag in bytes, the RPO is in seconds; the peak WAL rate converts one into the
    other (2 MiB/s x 10 s = 20 MiB). A replica further behind would lose more than the RPO, so
    it stays out of the election and the next one in the preference order takes over.
    """
    return wal_bytes_per_second * rpo_seconds


def archive_timeout(*, rpo_seconds: int) -> int:
    """Seconds after which PostgreSQL closes a partly filled WAL segment so it gets archived.

    Streaming replication carries the RPO between cities; the archive is the last copy when every
    replica is gone too, so it should lag no more than the RPO. At peak (2 MiB/s) a 16 MiB segment
    fills every 8 s anyway and the timeout never fires; at night it bounds the archive's lag to the
    RPO, and the forced segments are mostly zeros that WAL-G compresses to almost nothing.
    """
    return rpo_seconds


def etcd_heartbeat_ms(rtt_ms: int) -> int:
    """etcd tuning guide: heartbeat about the round trip between members (1.5x for jitter)."""
    return max(ETCD_MIN_HEARTBEAT_MS, math.ceil(rtt_ms * 1.5))


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
    spec: CitySpec

    @property
    def member_set(self) -> str:
        """StatefulSet of the members that may lead; the city in the name keeps pod names fleet-unique."""
        return f"{MEMBER_NAME}-{self.name}"

    @property
    def reporting_set(self) -> str:
        return f"{REPORTING_NAME}-{self.name}"

    @property
    def object_storage_prefix(self) -> str:
        return f"s3://{self.spec.database.object_storage.bucket}/{self.scope}"


@dataclass(frozen=True)
class DataLayer:
    """The whole data layer: timings, order of succession, per-city members and endpoints."""

    spec: DatabaseSpec
    timing: PatroniTiming
    maximum_lag_on_failover: int
    archive_timeout: int
    preference: tuple[str, ...]
    cities: tuple[CityData, ...]
    domain: str
    pod_cidrs: tuple[str, ...]

    @property
    def mode(self) -> str:
        return self.spec.failover.mode

    @property
    def quorum(self) -> bool:
        return self.spec.failover.mode == "quorum"

    def city(self, name: str) -> CityData:
        return next(city for city in self.cities if city.name == name)

    def host(self, city: str, service: str) -> str:
        """`<service>.<city>.<zone>`: a city's Service as every city resolves it (pod IPs are routable)."""
        return f"{service}.{city}.{self.domain}"

    @property
    def etcd_heartbeat_ms(self) -> int:
        return etcd_heartbeat_ms(self.spec.failover.inter_city_rtt_ms)

    @property
    def etcd_election_ms(self) -> int:
        return self.etcd_heartbeat_ms * ETCD_ELECTION_HEARTBEATS

    @property
    def etcd_members(self) -> tuple[tuple[str, str], ...]:
        """(member name, peer URL) of the three-city etcd, in the order of succession."""
        return tuple(
            (name, f"https://{self.host(name, ETCD_NAME)}:{self.spec.etcd_peer_port}") for name in self.preference
        )

    @property
    def etcd_client_hosts(self) -> tuple[str, ...]:
        return tuple(f"{self.host(name, ETCD_NAME)}:{self.spec.etcd_client_port}" for name in self.preference)

    @property
    def write_hosts(self) -> tuple[str, ...]:
        """Every city's write Service in the order of succession.

        Only the city holding the leader has an address behind its name; a libpq client given all of
        them with `target_session_attrs=read-write` finds the leader even right after an automatic
        failover, before `primary` in envs/ has caught up.
        """
        return tuple(self.host(name, WRITE_SERVICE) for name in self.preference)

    def member_names(self, city: CityData) -> tuple[str, ...]:
        """Patroni member (= pod) names: unique across the fleet, as one cluster may span the cities."""
        return tuple(f"{city.member_set}-{i}" for i in range(city.members)) + tuple(
            f"{city.reporting_set}-{i}" for i in range(city.reporting_members)
        )

    def claim_sizes(self, city: str) -> dict[str, str]:
        """`<StatefulSet>/<claim template>` → the size the model gives it, for the storage policy."""
        here = self.city(city)
        sizes = {
            f"{here.member_set}/{PGDATA_CLAIM}": self.spec.storage.size,
            f"{here.reporting_set}/{PGDATA_CLAIM}": self.spec.storage.size,
        }
        if self.quorum:
            sizes[f"{ETCD_NAME}/{ETCD_CLAIM}"] = self.spec.storage.etcd_size
        return sizes

    @property
    def image(self) -> str:
        return f"{self.spec.image}:{self.spec.tag}"

    @property
    def etcd_image(self) -> str:
        return f"{self.spec.etcd_image}:{self.spec.etcd_tag}"

    @property
    def data_dir(self) -> str:
        return f"/home/postgres/pgdata/pg{self.spec.postgres_major}"

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


def preference_order(spec: FleetSpec) -> tuple[str, ...]:
    """The primary first, then the cities `database.failover.preference` lists, then the rest in rollout order."""
    listed = [*spec.database.failover.preference, *spec.rollout.order]
    return tuple(dict.fromkeys([spec.primary, *listed]))


def _members(spec: FleetSpec, city_spec: CitySpec, pool_nodes: int) -> int:
    if city_spec.database.members is not None:
        return city_spec.database.members
    return pool_nodes - spec.database.reporting_members


def resolve_data(spec: FleetSpec, cities: tuple[City, ...], pod_cidrs: tuple[str, ...]) -> DataLayer:
    """Build the data layer from already checked specs (see `check_data`)."""
    database = spec.database
    order = preference_order(spec)
    resolved = []
    for city in cities:
        rank = order.index(city.name)
        resolved.append(
            CityData(
                name=city.name,
                scope=database.scope if database.failover.mode == "quorum" else f"{database.scope}-{city.name}",
                database_role="primary" if city.is_primary else "replica",
                members=_members(spec, city.spec, city.pools["database"].nodes),
                reporting_members=database.reporting_members,
                failover_priority=len(order) - rank,
                bootstraps=city.is_primary or database.failover.mode == "standby-clusters",
                spec=city.spec,
            )
        )
    return DataLayer(
        spec=database,
        timing=PatroniTiming.derive(
            loop_wait=database.failover.loop_wait_seconds,
            retry_timeout=database.failover.retry_timeout_seconds,
            promotion=database.failover.promotion_seconds,
        ),
        maximum_lag_on_failover=maximum_lag_on_failover(
            wal_bytes_per_second=database.wal_bytes_per_second, rpo_seconds=spec.targets.rpo_seconds
        ),
        archive_timeout=archive_timeout(rpo_seconds=spec.targets.rpo_seconds),
        preference=order,
        cities=tuple(resolved),
        domain=database.cross_city_domain,
        pod_cidrs=pod_cidrs,
    )


def check_data(
    spec: FleetSpec, fleet_src: Source, cities: dict[str, tuple[Source, CitySpec]], pool_nodes: dict[str, int]
) -> list[Problem]:
    """Cross-file rules of the data layer: failover order, member placement, and the RTO."""
    problems: list[Problem] = []
    database = spec.database
    failover = database.failover

    def at(loc: Loc, message: str) -> None:
        problems.append(Problem(fleet_src.path, fleet_src.line_of(loc), format_loc(loc), message))

    names = sorted(cities)
    seen: set[str] = set()
    for index, name in enumerate(failover.preference):
        if name not in cities or name in seen:
            at(
                ("database", "failover", "preference", index),
                f"{name!r} is {'listed twice' if name in seen else 'not a city'}; list known cities at most "
                f"once ({', '.join(names)})",
            )
        seen.add(name)
    if failover.mode == "quorum" and len(cities) < 3:
        at(
            ("database", "failover", "mode"),
            f"quorum needs at least three cities (one etcd member each, a majority survives one city), got "
            f"{len(cities)}; add a city or use `standby-clusters`",
        )
    for name in names:
        src, city = cities[name]
        nodes = pool_nodes[name]
        members = _members(spec, city, nodes)
        if members < 1 or members + database.reporting_members > nodes:
            loc: Loc = ("database", "members")
            problems.append(
                Problem(
                    src.path,
                    src.line_of(loc),
                    format_loc(loc),
                    f"{members} member(s) + {database.reporting_members} reporting member(s) need "
                    f"{members + database.reporting_members} database nodes (one per node, required "
                    f"anti-affinity) but {name} has {nodes}; set database.members or node_pools.database.nodes",
                )
            )
    timing = PatroniTiming.derive(
        loop_wait=failover.loop_wait_seconds,
        retry_timeout=failover.retry_timeout_seconds,
        promotion=failover.promotion_seconds,
    )
    rto = spec.targets.rto_seconds
    if timing.rto_bound_seconds > rto:
        at(
            ("targets", "rto_seconds"),
            f"RTO {rto} s cannot be met: worst-case failover is {timing.worst_case_seconds} s "
            f"(ttl {timing.ttl} + loop_wait {timing.loop_wait} + promotion {timing.promotion}) plus a second "
            f"election round of {timing.ttl + timing.loop_wait} s = {timing.rto_bound_seconds} s; lower "
            "database.failover.loop_wait_seconds, retry_timeout_seconds or promotion_seconds, or raise the RTO",
        )
    if failover.dns_ttl_seconds > failover.promotion_seconds:
        at(
            ("database", "failover", "dns_ttl_seconds"),
            f"{failover.dns_ttl_seconds} s outlasts the promotion budget of {failover.promotion_seconds} s: "
            "clients would keep the old leader's address; lower it below promotion_seconds",
        )
    election_ms = etcd_heartbeat_ms(failover.inter_city_rtt_ms) * ETCD_ELECTION_HEARTBEATS
    if failover.retry_timeout_seconds * 1000 < 2 * election_ms:
        at(
            ("database", "failover", "retry_timeout_seconds"),
            f"{failover.retry_timeout_seconds} s does not outlast two etcd elections ({2 * election_ms} ms at "
            f"inter_city_rtt_ms {failover.inter_city_rtt_ms}); the primary would demote on an etcd leader "
            "change: raise retry_timeout_seconds",
        )
    return problems
