"""ConfigMap `patroni`: each kind of member's patroni.yml and the role callback, reviewed in the diff.

A member reads its file whole (`patroni /etc/patroni/<kind>.yml`); only what differs per pod comes
from the environment: its name and pod IP (connect addresses) and the passwords (from a Secret).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Literal

import yaml

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import (
    CONFIG_DIR,
    FAILSAFE_MODE,
    FOLLOWER_LABEL_VALUE,
    LEADER_LABEL_VALUE,
    REPLICATION_USER,
    SOCKET_DIR,
    STANDBY_LEADER_LABEL_VALUE,
    SUPERUSER,
    TLS_DIR,
    WRITE_SERVICE,
)

NAME = "patroni"
CALLBACK_KEY = "label_role.py"
PROMOTE_KEY = "promote.py"
MemberKind = Literal["member", "reporting", "restore"]
CONFIG_KEYS: dict[MemberKind, str] = {
    "member": "postgres.yml",
    "reporting": "postgres-reporting.yml",
    "restore": "postgres-restore.yml",
}


@dataclass(frozen=True)
class RestoreTarget:
    """A point-in-time recovery: which base backup to start from and when to stop replaying WAL."""

    time: str
    backup: str

    @property
    def scope_suffix(self) -> str:
        return "restore"


def script(name: str) -> str:
    """A file shipped to the pods (constructs/data/scripts/), as its text."""
    return files("nusantara_fleet.constructs.data.scripts").joinpath(name).read_text(encoding="utf-8")


def callback_script() -> str:
    return script(CALLBACK_KEY)


def _dcs(fleet: Fleet, city: City) -> dict[str, Any]:
    data = fleet.data
    tls = {"cacert": f"{TLS_DIR}/ca.crt", "cert": f"{TLS_DIR}/tls.crt", "key": f"{TLS_DIR}/tls.key"}
    if data.quorum:
        return {"etcd3": {"hosts": list(data.etcd_client_hosts), "protocol": "https", **tls}}
    return {
        "kubernetes": {
            "bypass_api_service": False,
            "follower_label_value": FOLLOWER_LABEL_VALUE,
            "labels": {"app.kubernetes.io/part-of": fleet.spec.project},
            "leader_label_value": LEADER_LABEL_VALUE,
            "namespace": fleet.spec.namespaces.data,
            "role_label": naming.PATRONI_ROLE_LABEL,
            "scope_label": naming.DATABASE_CLUSTER_LABEL,
            "standby_leader_label_value": STANDBY_LEADER_LABEL_VALUE,
            "use_endpoints": False,
        }
    }


def _bootstrap_dcs(fleet: Fleet, city: City, kind: MemberKind) -> dict[str, Any]:
    """The dynamic configuration the first member writes into the DCS; later changes go through Patroni."""
    data = fleet.data
    timing = data.timing
    dcs: dict[str, Any] = {
        "check_timeline": True,
        "failsafe_mode": FAILSAFE_MODE,
        "loop_wait": timing.loop_wait,
        "maximum_lag_on_failover": data.maximum_lag_on_failover,
        "postgresql": {
            "parameters": {
                "archive_timeout": data.archive_timeout,
                "hot_standby": "on",
                "max_replication_slots": data.replication_limit,
                "max_slot_wal_keep_size": data.max_slot_wal_keep_size,
                "max_wal_senders": data.replication_limit,
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
    if not data.quorum and kind != "restore":
        if city.is_primary:
            dcs["slots"] = {other.name: {"type": "physical"} for other in fleet.cities if not other.is_primary}
        else:
            dcs["standby_cluster"] = {
                "create_replica_methods": ["basebackup"],
                "host": data.host(fleet.primary.name, WRITE_SERVICE),
                "port": fleet.spec.database.postgres_port,
                "primary_slot_name": city.name,
            }
    return dcs


def _bootstrap(fleet: Fleet, city: City, kind: MemberKind, restore: RestoreTarget | None) -> dict[str, Any]:
    data = fleet.data
    bootstrap: dict[str, Any] = {
        "dcs": _bootstrap_dcs(fleet, city, kind),
        "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
    }
    if restore is not None:
        bootstrap["method"] = "restore"
        bootstrap["restore"] = {
            "command": f"wal-g backup-fetch {data.data_dir} {restore.backup}",
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


def _pg_hba(fleet: Fleet) -> list[str]:
    cidrs = fleet.data.pod_cidrs
    return [
        "local all all trust",
        *[f"hostssl replication {REPLICATION_USER} {cidr} scram-sha-256" for cidr in cidrs],
        *[f"hostssl all all {cidr} scram-sha-256" for cidr in cidrs],
    ]


def _archive_mode(kind: MemberKind) -> str:
    """Leaders archive to their city's storage; reporting members archive what they receive, so every
    city holds a copy; a restored cluster archives nothing into the live cluster's prefix."""
    return {"member": "on", "reporting": "always", "restore": "off"}[kind]


def _tags(fleet: Fleet, city: City, kind: MemberKind) -> dict[str, Any]:
    if kind == "reporting":
        # Streams from the city's own member, not across the WAN from the leader (Patroni falls back
        # to the leader while that member is down).
        here = fleet.data.city(city.name)
        return {"noloadbalance": True, "nofailover": True, "replicatefrom": f"{here.member_set}-0"}
    if not fleet.data.quorum or kind == "restore":
        return {}
    return {"failover_priority": fleet.data.city(city.name).failover_priority}


def patroni_config(fleet: Fleet, city: City, kind: MemberKind, restore: RestoreTarget | None = None) -> dict[str, Any]:
    """The patroni.yml of one kind of member in one city."""
    data = fleet.data
    database = fleet.spec.database
    scope = data.city(city.name).scope
    auth_tls = {"sslmode": "verify-ca", "sslrootcert": f"{TLS_DIR}/ca.crt"}
    postgresql: dict[str, Any] = {
        "authentication": {
            "replication": {"username": REPLICATION_USER, **auth_tls},
            "superuser": {"username": SUPERUSER, **auth_tls},
        },
        "basebackup": [{"checkpoint": "fast"}],
        "bin_dir": data.bin_dir,
        "create_replica_methods": ["basebackup"],
        "data_dir": data.data_dir,
        "listen": f"0.0.0.0:{database.postgres_port}",
        "parameters": {
            "archive_command": "wal-g wal-push %p",
            "archive_mode": _archive_mode(kind),
            "hot_standby_feedback": "on" if kind == "reporting" else "off",
            "ssl": "on",
            "ssl_ca_file": f"{TLS_DIR}/ca.crt",
            "ssl_cert_file": f"{TLS_DIR}/tls.crt",
            "ssl_key_file": f"{TLS_DIR}/tls.key",
            "unix_socket_directories": SOCKET_DIR,
        },
        "pg_hba": _pg_hba(fleet),
        "pgpass": "/tmp/pgpass",
    }
    if data.quorum and kind != "restore":
        callback = f"{CONFIG_DIR}/{CALLBACK_KEY}"
        postgresql["callbacks"] = {"on_role_change": callback, "on_start": callback, "on_stop": callback}
    config: dict[str, Any] = {
        **_dcs(fleet, city),
        "postgresql": postgresql,
        "restapi": {
            "allowlist": list(data.pod_cidrs),
            "allowlist_include_members": True,
            "listen": f"0.0.0.0:{database.patroni_api_port}",
        },
        "scope": f"{scope}-{restore.scope_suffix}" if restore is not None else scope,
        "tags": _tags(fleet, city, kind),
        "watchdog": {"mode": "off"},
    }
    # Only members that may start the cluster carry `bootstrap`: Patroni never initializes a new
    # cluster from a member without it, so a replica city that comes up first waits for the primary.
    if restore is not None or (kind == "member" and data.city(city.name).bootstraps):
        config["bootstrap"] = _bootstrap(fleet, city, kind, restore)
    if not config["tags"]:
        del config["tags"]
    return config


def dump(config: dict[str, Any]) -> str:
    # libyaml's emitter writes the same text as PyYAML's pure-Python one, about ten times faster.
    return yaml.dump(config, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False)


def config_checksum(data: dict[str, str]) -> str:
    """Hash of the ConfigMap data: in the pod template it rolls the members when their config changes."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def config_data(fleet: Fleet, city: City) -> dict[str, str]:
    data = {CONFIG_KEYS[kind]: dump(patroni_config(fleet, city, kind)) for kind in ("member", "reporting")}
    if fleet.data.quorum:
        data[CALLBACK_KEY] = callback_script()
    if city.is_primary:
        data[PROMOTE_KEY] = script(PROMOTE_KEY)
    return data


class PatroniConfig(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, data: dict[str, str], name: str = NAME) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": data_metadata(fleet=fleet, city=city, kind="ConfigMap", name=name),
                "data": data,
            },
        )
