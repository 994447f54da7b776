"""What `envs/` may say about the data layer: Patroni members, their DCS, failover, storage, backups, secrets."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from nusantara_fleet.model.spec.common import (
    BUCKET,
    CRON,
    DNS_LABEL,
    GO_DURATION,
    HOSTNAME,
    HTTPS_URL,
    IMAGE_REPOSITORY,
    IMAGE_TAG,
    IPV4_CIDR,
    QUANTITY_GI,
    SHA256_DIGEST,
    CityName,
    Spec,
    check_cidr,
    check_time_zone,
)

FailoverMode = Literal["quorum", "standby-clusters"]


class FailoverSpec(Spec):
    """How a lost primary database is replaced; the timings feed `model/data/`, which checks the RTO."""

    mode: FailoverMode = Field(
        description="`quorum`: one Patroni cluster across the cities on a three-city etcd, automatic failover. "
        "`standby-clusters`: one Patroni cluster per city on the Kubernetes API, cross-city promotion by "
        "changing `primary` (https://patroni.readthedocs.io/en/latest/ha_multi_dc.html).",
    )
    preference: list[CityName] = Field(
        default=[],
        description="Cities in the order they should take over the writes; the `primary` city always "
        "comes first whatever its position here, unlisted cities follow in rollout order.",
    )
    loop_wait_seconds: int = Field(
        default=10,
        ge=1,
        le=60,
        description="Patroni `loop_wait`: seconds between HA cycles. Default: Patroni's own; each cycle is a "
        "round trip to etcd across cities.",
    )
    retry_timeout_seconds: int = Field(
        default=10,
        ge=3,
        le=120,
        description="Patroni `retry_timeout`: how long DCS and PostgreSQL calls retry, s. Default: rides out an "
        "etcd leader election on the WAN without demoting the primary.",
    )
    promotion_seconds: int = Field(
        default=30,
        ge=1,
        description="Budget for promotion itself: end-of-recovery checkpoint, role label, endpoint and DNS "
        "move, s. Default: a promote on NVMe takes seconds; the rest is the write record's TTL and reconnects.",
    )
    dns_ttl_seconds: int = Field(
        default=10,
        ge=1,
        le=300,
        description="TTL of the cross-city database DNS records, s. Default: clients re-resolve the write "
        "endpoint well inside the promotion budget.",
    )
    inter_city_rtt_ms: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Worst round trip between two cities, ms (tunes etcd). Default: Jakarta to Surabaya over "
        "the carrier backbone measures 12-18 ms.",
    )


class PostgresStorageSpec(Spec):
    """The `ssd-retain` StorageClass and the volumes made from it."""

    class_name: str = Field(
        default="ssd-retain",
        pattern=DNS_LABEL,
        description="StorageClass name. Default: says what it keeps (local SSD) and how (Retain).",
    )
    provisioner: str = Field(
        default="topolvm.io",
        description="CSI provisioner of local SSD/NVMe volumes (https://github.com/topolvm/topolvm). Default: "
        "TopoLVM carves LVM volumes out of the database nodes' NVMe and supports expansion.",
    )
    parameters: dict[str, str] = Field(
        default={"csi.storage.k8s.io/fstype": "xfs"},
        description="StorageClass parameters for the provisioner. Default: XFS, the filesystem PostgreSQL on "
        "Linux is most often benchmarked on.",
    )
    size: str = Field(
        default="400Gi",
        pattern=QUANTITY_GI,
        description="Data volume per PostgreSQL member. Default: the largest round size that fits the design's "
        "500 GB database node beside etcd's volume and the node's own reserve (500Gi alone is 537 GB).",
    )
    etcd_size: str = Field(
        default="10Gi",
        pattern=QUANTITY_GI,
        description="Data volume per etcd member. Default: etcd caps the keyspace at 8 GiB; Patroni keys take "
        "kilobytes.",
    )


class BackupSpec(Spec):
    """Continuous WAL archiving (WAL-G, in the PostgreSQL image) and the daily base backup, per city."""

    schedule: str = Field(
        default="30 2 * * *",
        pattern=CRON,
        description="Five-field cron of the daily base backup. Default: 02:30 WIB, after the last store closes "
        "and before the first recap of the day.",
    )
    time_zone: str = Field(
        default="Asia/Jakarta",
        description="IANA time zone of `schedule` and of the recap's. Default: every city is on WIB.",
    )
    retain_full: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Full base backups kept per city. Default: a week of daily backups, so a point-in-time "
        "restore reaches any moment of the last seven days.",
    )
    image: str = Field(
        default="registry.k8s.io/kubectl",
        pattern=IMAGE_REPOSITORY,
        description="Image of the backup CronJob. Default: the backup runs inside the reporting member (WAL-G "
        "reads PGDATA); the CronJob only execs it.",
    )
    tag: str = Field(
        default="v1.28.15",
        pattern=IMAGE_TAG,
        description="Tag of the backup CronJob image. Default: a kubectl within the clusters' version skew.",
    )
    digest: str | None = Field(
        default=None,
        pattern=SHA256_DIGEST,
        description="Digest of the backup image; pins it when given (the tag still labels the objects). "
        "Unset: pinned by tag until the release pipeline records digests.",
    )

    _zone = field_validator("time_zone")(check_time_zone)


class RecapSpec(Spec):
    """The periodic recap that refreshes the reporting materialized views on the primary."""

    schedule: str = Field(
        default="*/15 * * * *",
        pattern=CRON,
        description="Five-field cron of the recap. Default: reports are at most a quarter of an hour old; a "
        "refresh of one day's totals takes seconds.",
    )
    database: str = Field(
        default="shop",
        pattern=DNS_LABEL,
        description="Database the services write to and the recap reads. Default: the shop's name.",
    )
    source: str = Field(
        default="order",
        pattern=DNS_LABEL,
        description="Service whose `orders` and `order_items` tables (in its schema) the recap totals; it must "
        "use the database and have a `write` route. Default: the order service records the orders.",
    )


class SecretsSpec(Spec):
    """Where credentials come from: an ExternalSecret per Secret; no value is ever rendered."""

    store: str = Field(
        default="fleet-vault",
        pattern=DNS_LABEL,
        description="ClusterSecretStore name. Default: one store per cluster, installed with the External "
        "Secrets Operator.",
    )
    refresh: str = Field(
        default="1h",
        pattern=GO_DURATION,
        description="ExternalSecret refresh. Default: rotations reach pods within the hour; cheap for the store.",
    )
    path: str = Field(
        default="nusantaramart/database",
        description="Key prefix of the database secrets in the store. Default: one subtree per concern keeps "
        "the store's access policies simple.",
    )


class DatabaseSpec(Spec):
    """The PostgreSQL fleet: Patroni members per city, their DCS, failover, backups and endpoints."""

    postgres_port: int = Field(default=5432, ge=1, le=65535, description="PostgreSQL port. Default: the standard.")
    patroni_api_port: int = Field(
        default=8008, ge=1, le=65535, description="Patroni REST API port. Default: Patroni's own."
    )
    etcd_client_port: int = Field(
        default=2379, ge=1, le=65535, description="etcd client port. Default: IANA's for etcd."
    )
    etcd_peer_port: int = Field(default=2380, ge=1, le=65535, description="etcd peer port. Default: IANA's for etcd.")
    cross_city_domain: str = Field(
        default="db.nusantaramart.internal",
        pattern=HOSTNAME,
        description="DNS zone in which `<service>.<city>.<zone>` names a city's database from any city. "
        "Default: the fleet's internal zone.",
    )
    image: str = Field(
        default="ghcr.io/nusantaramart/patroni",
        pattern=IMAGE_REPOSITORY,
        description="Image with Patroni, PostgreSQL and WAL-G (`patroni` on PATH, PostgreSQL in `bin_dir`). "
        "Default: built from the Patroni and PostgreSQL packages the tests run, plus WAL-G.",
    )
    tag: str = Field(
        default="4.0.7-pg15-walg3.0.7",
        pattern=IMAGE_TAG,
        description="Tag of `image`; never `latest`. Default: Patroni 4.0 for failover_priority and "
        "primary/replica labels.",
    )
    digest: str | None = Field(
        default=None,
        pattern=SHA256_DIGEST,
        description="Digest of `image`; pins it when given (`tag` still labels the objects). Unset: pinned by "
        "tag until the release pipeline records digests.",
    )
    postgres_major: int = Field(
        default=15,
        ge=13,
        le=18,
        description="PostgreSQL major version in the image. Default: the major the tests run against "
        "(Debian bookworm's postgresql-15).",
    )
    etcd_image: str = Field(
        default="quay.io/coreos/etcd",
        pattern=IMAGE_REPOSITORY,
        description="etcd image. Default: the etcd project's own.",
    )
    etcd_tag: str = Field(
        default="v3.5.21",
        pattern=IMAGE_TAG,
        description="Tag of `etcd_image`. Default: etcd 3.5, flags as in the 3.4 the tests run, plus the fixes.",
    )
    etcd_digest: str | None = Field(
        default=None,
        pattern=SHA256_DIGEST,
        description="Digest of `etcd_image`; pins it when given (`etcd_tag` still labels the objects). Unset: "
        "pinned by tag until the release pipeline records digests.",
    )
    scope: str = Field(
        default="postgres",
        pattern=DNS_LABEL,
        description="Patroni scope; the per-city clusters add `-<city>`. Default: the cluster is PostgreSQL "
        "for the whole fleet.",
    )
    reporting_members: int = Field(
        default=1,
        ge=1,
        le=3,
        description="Read-only reporting members per city (never leaders). Default: one per city serves the "
        "report service and takes the base backups.",
    )
    wal_bytes_per_second: int = Field(
        default=2 * 1024 * 1024,
        ge=1,
        description="Peak WAL generation of the primary, bytes/s (sizes the failover lag limit). Default: 3000 "
        "RPS at peak, about a tenth writes of ~5 KiB of WAL each is 1.5 MiB/s, rounded up.",
    )
    max_slot_wal_keep_gib: int = Field(
        default=100,
        ge=1,
        description="WAL a replication slot may hold back for a lost city, GiB. Default: a quarter of the 400 Gi "
        "volume, half a day at peak before the lost city must re-clone.",
    )
    failover: FailoverSpec
    storage: PostgresStorageSpec = Field(default=PostgresStorageSpec(), description="Volumes and their class.")
    backup: BackupSpec = Field(default=BackupSpec(), description="WAL archive and base backups.")
    recap: RecapSpec = Field(default=RecapSpec(), description="The reporting recap on the primary.")
    secrets: SecretsSpec = Field(default=SecretsSpec(), description="Where the database credentials come from.")


class ObjectStorageSpec(Spec):
    """The city's S3-compatible object storage, which holds that city's copy of the backups."""

    endpoint: str = Field(pattern=HTTPS_URL, description="S3 endpoint URL (HTTPS).")
    bucket: str = Field(pattern=BUCKET, description="Bucket of the backups.")
    region: str = Field(
        default="id-jkt-1",
        description="S3 region name the endpoint expects. Default: the storage vendor's single Indonesian "
        "region, which every city's endpoint accepts.",
    )
    cidrs: list[Annotated[str, Field(pattern=IPV4_CIDR)]] = Field(
        default=[],
        description="IPv4 networks the endpoint's addresses lie in; when given, the database pods may reach "
        "the endpoint's port there only. Unset: that port anywhere outside the fleet's own networks, as a "
        "NetworkPolicy cannot name the endpoint's host and a stale network would silently stop WAL archiving.",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        # The network policies open the endpoint's port: it must parse, as must the host it names.
        try:
            parts = urlsplit(value)
            valid = bool(parts.hostname) and parts.port != 0
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(
                f"{value!r} is not an https:// URL of a host and an optional port, e.g. "
                "https://s3.jakarta.nusantaramart.internal or https://s3.jakarta.nusantaramart.internal:9000"
            )
        return value

    @field_validator("cidrs")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        return [check_cidr(value) for value in values]


class CityDatabaseSpec(Spec):
    """The city's part of the data layer."""

    members: int | None = Field(
        default=None,
        ge=1,
        description="Patroni members that may lead, in this city. Unset: the database pool's nodes minus "
        "the reporting members (one member per node).",
    )
    object_storage: ObjectStorageSpec = Field(description="Where this city's backups go.")
    joining: bool = Field(
        default=False,
        description="This city is added to a running fleet: its etcd member starts with "
        "`--initial-cluster-state=existing`, after `etcdctl member add` (README, Add a city). Default: false, a "
        "city of the fleet's first rollout forms the etcd cluster with the others.",
    )
