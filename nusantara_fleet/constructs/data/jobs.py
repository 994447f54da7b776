"""The data layer's batch work: the daily base backup (every city), the recap that refreshes the
reporting views (the primary city only) and the promotion after a change of `primary` (ditto)."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.data.patroni_config import CONFIG_KEYS, PROMOTE_KEY, script
from nusantara_fleet.constructs.data.rbac import BACKUP_ACCOUNT, PATRONI_ACCOUNT
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import (
    APP_USER,
    BACKUP_JOB,
    BACKUP_START_DEADLINE_SECONDS,
    CONFIG_DIR,
    CREDENTIALS_SECRET,
    JOB_HISTORY,
    NONROOT_UID,
    POSTGRES_UID,
    PROMOTE_JOB,
    RECAP_DEADLINE_SECONDS,
    RECAP_JOB,
    TLS_DIR,
    TLS_SECRET,
    WRITE_SERVICE,
)

RECAP_KEY = "recap.sql"


def _pod_security(uid: int) -> dict[str, Any]:
    return {
        "runAsGroup": uid,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}


def _pod(
    fleet: Fleet,
    city: City,
    name: str,
    account: str | None,
    container: dict[str, Any],
    volumes: list[dict[str, Any]],
    uid: int,
) -> dict[str, Any]:
    """A batch pod on the general pool; `account` None: it never talks to the Kubernetes API."""
    pool = city.pools["general"]
    identity: dict[str, Any] = (
        {"serviceAccountName": account} if account is not None else {"automountServiceAccountToken": False}
    )
    return {
        "metadata": {"labels": data_labels(fleet=fleet, city=city, name=name)},
        "spec": {
            **identity,
            "containers": [
                {
                    **container,
                    "imagePullPolicy": "IfNotPresent",
                    "name": name,
                    "resources": fleet.spec.resource_classes.light.model_dump(),
                    "securityContext": _container_security(),
                }
            ],
            "enableServiceLinks": False,
            "nodeSelector": pool.node_selector,
            "restartPolicy": "Never",
            "securityContext": _pod_security(uid),
            "tolerations": pool.tolerations,
            "volumes": volumes,
        },
    }


class BackupCronJob(Manifest):
    """Daily `wal-g backup-push` inside the city's reporting member, then prune to the retention."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        backup = fleet.spec.database.backup
        data = fleet.data
        target = f"{data.city(city.name).reporting_set}-0"
        command = f"wal-g backup-push {data.data_dir} && wal-g delete retain FULL {backup.retain_full} --confirm"
        container = {
            "command": [
                "kubectl",
                "exec",
                f"--namespace={fleet.spec.namespaces.data}",
                target,
                "--container=patroni",
                "--",
                "sh",
                "-c",
                command,
            ],
            "image": f"{backup.image}:{backup.tag}",
        }
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": data_metadata(fleet=fleet, city=city, kind="CronJob", name=BACKUP_JOB),
                "spec": {
                    "concurrencyPolicy": "Forbid",
                    "failedJobsHistoryLimit": JOB_HISTORY,
                    "jobTemplate": {
                        "spec": {
                            "backoffLimit": 2,
                            "template": _pod(fleet, city, BACKUP_JOB, BACKUP_ACCOUNT, container, [], NONROOT_UID),
                        }
                    },
                    "schedule": backup.schedule,
                    "startingDeadlineSeconds": BACKUP_START_DEADLINE_SECONDS,
                    "successfulJobsHistoryLimit": JOB_HISTORY,
                    "timeZone": backup.time_zone,
                },
            },
        )


class RecapConfig(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": data_metadata(fleet=fleet, city=city, kind="ConfigMap", name=RECAP_JOB),
                "data": {RECAP_KEY: script(RECAP_KEY)},
            },
        )


class RecapCronJob(Manifest):
    """Runs the recap SQL against the leader; replicas everywhere then serve the refreshed views."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        container = {
            "command": ["psql", "--no-psqlrc", "--set=ON_ERROR_STOP=1", f"--file=/etc/recap/{RECAP_KEY}"],
            "env": [
                {"name": "PGHOST", "value": fleet.data.host(city.name, WRITE_SERVICE)},
                {"name": "PGPORT", "value": str(db.postgres_port)},
                {"name": "PGDATABASE", "value": db.recap.database},
                {"name": "PGUSER", "value": APP_USER},
                {
                    "name": "PGPASSWORD",
                    "valueFrom": {"secretKeyRef": {"key": "app-password", "name": CREDENTIALS_SECRET}},
                },
                {"name": "PGSSLMODE", "value": "verify-ca"},
                {"name": "PGSSLROOTCERT", "value": f"{TLS_DIR}/ca.crt"},
                {"name": "PGTARGETSESSIONATTRS", "value": "read-write"},
            ],
            "image": fleet.data.image,
            "volumeMounts": [
                {"mountPath": "/etc/recap", "name": "recap", "readOnly": True},
                {"mountPath": TLS_DIR, "name": "tls", "readOnly": True},
            ],
        }
        volumes = [
            {"configMap": {"name": RECAP_JOB}, "name": "recap"},
            {"name": "tls", "secret": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "secretName": TLS_SECRET}},
        ]
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": data_metadata(fleet=fleet, city=city, kind="CronJob", name=RECAP_JOB),
                "spec": {
                    "concurrencyPolicy": "Forbid",
                    "failedJobsHistoryLimit": JOB_HISTORY,
                    "jobTemplate": {
                        "spec": {
                            "activeDeadlineSeconds": RECAP_DEADLINE_SECONDS,
                            "backoffLimit": 1,
                            "template": _pod(fleet, city, RECAP_JOB, None, container, volumes, POSTGRES_UID),
                        }
                    },
                    "schedule": db.recap.schedule,
                    "successfulJobsHistoryLimit": JOB_HISTORY,
                    "timeZone": db.backup.time_zone,
                },
            },
        )


class PromotionJob(Manifest):
    """Makes the `primary` city's database writable; idempotent, so it is harmless when it already is."""

    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, config_map: str) -> None:
        data = fleet.data
        db = fleet.spec.database
        others = [
            f"{data.host(other.name, WRITE_SERVICE)}:{db.patroni_api_port}" for other in fleet.cities if other != city
        ]
        container = {
            "command": ["python3", f"/etc/promote/{PROMOTE_KEY}"],
            "env": [
                {"name": "PATRONI_CONFIG", "value": f"{CONFIG_DIR}/{CONFIG_KEYS['member']}"},
                {"name": "FAILOVER_MODE", "value": data.mode},
                {"name": "CANDIDATE", "value": f"{data.city(city.name).member_set}-0"},
                {"name": "OTHER_PRIMARIES", "value": ",".join(others)},
            ],
            "image": data.image,
            "volumeMounts": [
                {"mountPath": CONFIG_DIR, "name": "config", "readOnly": True},
                {"mountPath": "/etc/promote", "name": "promote", "readOnly": True},
                {"mountPath": TLS_DIR, "name": "tls", "readOnly": True},
            ],
        }
        volumes = [
            {"configMap": {"name": config_map}, "name": "config"},
            {
                "configMap": {"items": [{"key": PROMOTE_KEY, "path": PROMOTE_KEY}], "name": config_map},
                "name": "promote",
            },
            {"name": "tls", "secret": {"defaultMode": 0o440, "secretName": TLS_SECRET}},
        ]
        super().__init__(
            scope,
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": data_metadata(fleet=fleet, city=city, kind="Job", name=f"{PROMOTE_JOB}-{city.name}"),
                "spec": {
                    "backoffLimit": 3,
                    "template": _pod(fleet, city, PROMOTE_JOB, PATRONI_ACCOUNT, container, volumes, POSTGRES_UID),
                },
            },
        )
