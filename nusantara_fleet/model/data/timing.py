"""Patroni's and etcd's timings, derived from the RTO, the RPO and the inter-city round trip.

The arithmetic is in the docstrings; `resolve_data` derives each value once and the checks read
the resolved values, so a bound and the config it judges can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PATRONI_MIN_TTL = 20  # Patroni 4 rejects a smaller `ttl` (its validator's lower bound)
ETCD_MIN_HEARTBEAT_MS = 100  # etcd's default heartbeat; lower only adds traffic on a WAN
ETCD_ELECTION_HEARTBEATS = 10  # etcd tuning guide: election timeout at least ten heartbeats
ETCD_RTT_JITTER = 1.5  # etcd tuning guide: heartbeat about the round trip, with room for jitter


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
        """`min_ttl` below Patroni 4's bound only for the drill, whose Patroni 3 accepts seconds-long leases."""
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
    def second_round_seconds(self) -> int:
        return self.ttl + self.loop_wait

    @property
    def rto_bound_seconds(self) -> int:
        """Worst case plus a second election round, for a first candidate that fails to promote."""
        return self.worst_case_seconds + self.second_round_seconds


@dataclass(frozen=True)
class EtcdTiming:
    """etcd's heartbeat and election timeout for members a WAN round trip apart.

    heartbeat = max(100, ceil(rtt * 1.5)) ms                     default rtt 20 ms: 100 ms
    election  = heartbeat * 10                                                      1000 ms
    """

    heartbeat_ms: int
    election_ms: int

    @classmethod
    def derive(cls, *, rtt_ms: int) -> EtcdTiming:
        heartbeat = max(ETCD_MIN_HEARTBEAT_MS, math.ceil(rtt_ms * ETCD_RTT_JITTER))
        return cls(heartbeat_ms=heartbeat, election_ms=heartbeat * ETCD_ELECTION_HEARTBEATS)


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
