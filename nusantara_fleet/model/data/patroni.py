"""Each kind of member's patroni.yml: the data layer's decisions in Patroni's own vocabulary.

A member reads its file whole (`patroni /etc/patroni/<kind>.yml`); only what differs per pod comes
from the environment: its name and pod IP (connect addresses) and the passwords, the REST API's
included (from a Secret).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml

from nusantara_fleet import naming
from nusantara_fleet.model.data.layer import CityData, DataLayer
from nusantara_fleet.model.data.plans import MemberKind
from nusantara_fleet.model.data.tls import BY_POD_IP_SSLMODE, ETCD_CLIENT, PATRONI_API, POSTGRES_SERVER

CONFIG_DIR = "/etc/patroni"  # the `patroni` ConfigMap: member configs and the role callback
SOCKET_DIR = "/var/run/postgresql"  # PostgreSQL's socket; an emptyDir under a read-only root
PGPASS = "/tmp/pgpass"  # Patroni writes it; /tmp is the members' writable scratch volume
SUPERUSER = "postgres"
REPLICATION_USER = "replicator"
LEADER_LABEL_VALUE = "primary"  # Patroni 4's leader role value (3.x said `master`)
FOLLOWER_LABEL_VALUE = "replica"
STANDBY_LEADER_LABEL_VALUE = "standby-leader"  # never `primary`: a standby leader is read-only
# Patroni's failsafe mode, on: when etcd loses quorum but the leader still reaches every member over
# the REST API, the cities are fine and only the DCS failed, so the leader keeps taking writes instead
# of taking the whole fleet read-only; if any member is unreachable too (a city is gone or cut off) it
# demotes, so a partition can never leave two writable primaries. tests/data shows both cases.
FAILSAFE_MODE = True
# The REST API's unsafe endpoints (switchover, failover, restart, reinitialize, config, /failsafe) demand
# a client certificate from the API's CA as well as the password; its GETs (the probes, the role checks)
# need neither, so the kubelet, which presents no certificate, can still probe.
RESTAPI_VERIFY_CLIENT = "optional"
CONFIG_KEYS: dict[MemberKind, str] = {
    "member": "postgres.yml",
    "reporting": "postgres-reporting.yml",
    "restore": "postgres-restore.yml",
}
# Leaders archive to their city's storage; reporting members archive what they receive, so every city
# holds a copy; a restored cluster archives nothing into the live cluster's prefix.
ARCHIVE_MODE: dict[MemberKind, str] = {"member": "on", "reporting": "always", "restore": "off"}
RESTORE_SCOPE_SUFFIX = "restore"
# What a running member takes without restarting: `bootstrap` is read once, when the cluster is created
# (its DCS part reaches a running cluster through the promotion Job's `patronictl edit-config --apply`),
# and `tags` apply on `patronictl reload`, which that Job runs too. Only the rest rolls the members' pods,
# so a failover commit, which moves the bootstrap section and reorders the failover priorities, restarts none.
LIVE_KEYS = ("bootstrap", "tags")
# Also applied on reload, in quorum mode, where the hook reaches every member of the one cluster: Patroni
# rewrites pg_hba.conf and reloads PostgreSQL, rebuilds its REST API with the new allowlist, and learns
# etcd's members from etcd itself (`hosts` only seeds a member that starts). So adding a city, which
# changes all three, restarts no member. In standby-clusters mode the hook reaches its own city only.
RELOADED_PATHS = (("postgresql", "pg_hba"), ("restapi", "allowlist"), ("etcd3", "hosts"))
# Every member's tag: a hash of the patroni.yml it runs with, so the hook sees when a reload took effect.
CONFIG_TAG = "fleet-config"
CONFIG_TAG_CHARS = 16  # enough to tell two renders apart; the tag shows in `patronictl list`


@dataclass(frozen=True)
class RestoreTarget:
    """A point-in-time recovery: which base backup to start from and when to stop replaying WAL."""

    time: str
    backup: str


def script(name: str) -> str:
    """A file shipped to the pods (model/data/scripts/), as its text."""
    return files("nusantara_fleet.model.data.scripts").joinpath(name).read_text(encoding="utf-8")


def has_callbacks(layer: DataLayer, kind: MemberKind) -> bool:
    """The role callback labels pods for the Services; only etcd (quorum) needs it, and never a restore,
    which no Service selects."""
    return layer.quorum and kind != "restore"


def scope_of(here: CityData, restore: RestoreTarget | None) -> str:
    return f"{here.scope}-{RESTORE_SCOPE_SUFFIX}" if restore is not None else here.scope


def _dcs(layer: DataLayer, project: str, namespace: str) -> dict[str, Any]:
    tls = {"cacert": ETCD_CLIENT.ca, "cert": ETCD_CLIENT.cert, "key": ETCD_CLIENT.key}
    if layer.quorum:
        return {"etcd3": {"hosts": list(layer.etcd_client_hosts), "protocol": "https", **tls}}
    return {
        "kubernetes": {
            "bypass_api_service": False,
            "follower_label_value": FOLLOWER_LABEL_VALUE,
            "labels": {naming.PART_OF_LABEL: project},
            "leader_label_value": LEADER_LABEL_VALUE,
            "namespace": namespace,
            "role_label": naming.PATRONI_ROLE_LABEL,
            "scope_label": naming.DATABASE_CLUSTER_LABEL,
            "standby_leader_label_value": STANDBY_LEADER_LABEL_VALUE,
            "use_endpoints": False,
        }
    }


def bootstrap_dcs(layer: DataLayer, here: CityData, kind: MemberKind) -> dict[str, Any]:
    """The dynamic configuration the first member writes into the DCS; later changes go through Patroni."""
    timing = layer.timing
    dcs: dict[str, Any] = {
        "check_timeline": True,
        "failsafe_mode": FAILSAFE_MODE,
        "loop_wait": timing.loop_wait,
        "maximum_lag_on_failover": layer.maximum_lag_on_failover,
        "postgresql": {
            "parameters": {
                "archive_timeout": layer.archive_timeout,
                "hot_standby": "on",
                "max_replication_slots": layer.replication_limit,
                "max_slot_wal_keep_size": layer.max_slot_wal_keep_size,
                "max_wal_senders": layer.replication_limit,
                "wal_level": "replica",
                "wal_log_hints": "on",
            },
            "use_pg_rewind": True,
            "use_slots": True,
        },
        "primary_start_timeout": timing.primary_start_timeout,
        "retry_timeout": timing.retry_timeout,
        "ttl": timing.ttl,
    }
    if not layer.quorum and kind != "restore":
        if here.name == layer.primary:
            dcs["slots"] = {other.name: {"type": "physical"} for other in layer.cities if other.name != layer.primary}
        else:
            dcs["standby_cluster"] = {
                "create_replica_methods": ["basebackup"],
                "host": layer.host(layer.primary, naming.WRITE_SERVICE),
                "port": layer.spec.postgres_port,
                "primary_slot_name": here.name,
            }
    return dcs


def _bootstrap(layer: DataLayer, here: CityData, kind: MemberKind, restore: RestoreTarget | None) -> dict[str, Any]:
    bootstrap: dict[str, Any] = {
        "dcs": bootstrap_dcs(layer, here, kind),
        "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
    }
    if restore is not None:
        bootstrap["method"] = "restore"
        bootstrap["restore"] = {
            "command": f"wal-g backup-fetch {layer.data_dir} {restore.backup}",
            "keep_existing_recovery_conf": False,
            "no_params": True,
            "recovery_conf": {
                "recovery_target_action": "promote",
                "recovery_target_time": restore.time,
                "recovery_target_timeline": "current",
                "restore_command": "wal-g wal-fetch %f %p",
            },
        }
    return bootstrap


def _pg_hba(layer: DataLayer) -> list[str]:
    cidrs = layer.pod_cidrs
    return [
        "local all all trust",
        *[f"hostssl replication {REPLICATION_USER} {cidr} scram-sha-256" for cidr in cidrs],
        *[f"hostssl all all {cidr} scram-sha-256" for cidr in cidrs],
    ]


def member_tags(layer: DataLayer, here: CityData, kind: MemberKind) -> dict[str, Any]:
    if kind == "reporting":
        # Streams from the city's own member, not across the WAN from the leader (Patroni falls back
        # to the leader while that member is down).
        return {"noloadbalance": True, "nofailover": True, "replicatefrom": here.member_pods[0]}
    if not layer.quorum or kind == "restore":
        return {}
    return {"failover_priority": here.failover_priority}


def patroni_config(
    layer: DataLayer,
    here: CityData,
    kind: MemberKind,
    *,
    project: str,
    namespace: str,
    restore: RestoreTarget | None = None,
) -> dict[str, Any]:
    """The patroni.yml of one kind of member in one city."""
    database = layer.spec
    auth_tls = {"sslmode": BY_POD_IP_SSLMODE, "sslrootcert": POSTGRES_SERVER.ca}
    postgresql: dict[str, Any] = {
        "authentication": {
            "replication": {"username": REPLICATION_USER, **auth_tls},
            "superuser": {"username": SUPERUSER, **auth_tls},
        },
        "basebackup": [{"checkpoint": "fast"}],
        "bin_dir": layer.bin_dir,
        "create_replica_methods": ["basebackup"],
        "data_dir": layer.data_dir,
        "listen": f"0.0.0.0:{database.postgres_port}",
        "parameters": {
            "archive_command": "wal-g wal-push %p",
            "archive_mode": ARCHIVE_MODE[kind],
            "hot_standby_feedback": "on" if kind == "reporting" else "off",
            "ssl": "on",
            "ssl_ca_file": POSTGRES_SERVER.ca,
            "ssl_cert_file": POSTGRES_SERVER.cert,
            "ssl_key_file": POSTGRES_SERVER.key,
            "unix_socket_directories": SOCKET_DIR,
        },
        "pg_hba": _pg_hba(layer),
        "pgpass": PGPASS,
    }
    if has_callbacks(layer, kind):
        callback = f"{CONFIG_DIR}/{naming.CALLBACK_SCRIPT}"
        postgresql["callbacks"] = {"on_role_change": callback, "on_start": callback, "on_stop": callback}
    config: dict[str, Any] = {
        **_dcs(layer, project, namespace),
        "postgresql": postgresql,
        # TLS only, and unsafe calls need the password (PATRONI_RESTAPI_USERNAME/PASSWORD) and a client
        # certificate; the network policies admit the port from the members and the promotion Job only.
        "restapi": {
            "allowlist": list(layer.pod_cidrs),
            "allowlist_include_members": True,
            "cafile": PATRONI_API.ca,
            "certfile": PATRONI_API.cert,
            "keyfile": PATRONI_API.key,
            "listen": f"0.0.0.0:{database.patroni_api_port}",
            "verify_client": RESTAPI_VERIFY_CLIENT,
        },
        "scope": scope_of(here, restore),
        "watchdog": {"mode": "off"},
    }
    config["tags"] = expected_tags(layer, here, kind, config)
    # Only members that may start the cluster carry `bootstrap`: Patroni never initializes a new
    # cluster from a member without it, so a replica city that comes up first waits for the primary.
    if restore is not None or (kind == "member" and here.bootstraps):
        config["bootstrap"] = _bootstrap(layer, here, kind, restore)
    return config


def restart_part(config: dict[str, Any], *, quorum: bool) -> dict[str, Any]:
    """The part of a patroni.yml a running member reads only when it starts."""
    part = {key: value for key, value in config.items() if key not in LIVE_KEYS}
    for section, key in RELOADED_PATHS if quorum else ():
        if section in part:
            part[section] = {name: value for name, value in part[section].items() if name != key}
    return part


def config_tag(config: dict[str, Any]) -> str:
    """The hash a member tags itself with: everything it runs with but `bootstrap` and its own tags."""
    running = {key: value for key, value in config.items() if key not in LIVE_KEYS}
    return hashlib.sha256(dump(running).encode()).hexdigest()[:CONFIG_TAG_CHARS]


def expected_tags(layer: DataLayer, here: CityData, kind: MemberKind, config: dict[str, Any]) -> dict[str, Any]:
    """The tags a member running `config` reports once it has reloaded it."""
    return {**member_tags(layer, here, kind), CONFIG_TAG: config_tag(config)}


def dump(config: dict[str, Any]) -> str:
    # libyaml's emitter writes the same text as PyYAML's pure-Python one, about ten times faster.
    return yaml.dump(config, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False)


def checksum(data: dict[str, str]) -> str:
    """Hash of a ConfigMap's data (or of the part its readers take only at start): in the pod template it
    rolls the pods when that changes."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
