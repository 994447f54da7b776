"""StatefulSet of Patroni members in one city: the members that may lead, or the reporting members.

One pod per database node (required anti-affinity over the city's whole database cluster), data on
`ssd-retain` volumes kept when the set is deleted or scaled, probes on Patroni's REST API.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.data.patroni_config import CALLBACK_KEY, CONFIG_KEYS, MemberKind
from nusantara_fleet.constructs.data.storage_class import claim_template
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import (
    CONFIG_DIR,
    CREDENTIALS_SECRET,
    MEMBERS_SERVICE,
    OBJECT_STORAGE_SECRET,
    PATRONI_PROBE_TIMING,
    PGDATA_CLAIM,
    PGDATA_MOUNT,
    POSTGRES_UID,
    SOCKET_DIR,
    TLS_DIR,
    TLS_SECRET,
    WALG_COMPRESSION,
    DatabaseRole,
)

CONFIG_CHECKSUM = "fleet.nusantaramart.co.id/patroni-config-sha256"


def _secret(name: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"key": key, "name": name}}


def _env(fleet: Fleet, city: City) -> list[dict[str, Any]]:
    database = fleet.spec.database
    storage = city.spec.database.object_storage
    return [
        {"name": "PATRONI_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "PATRONI_RESTAPI_CONNECT_ADDRESS", "value": f"$(POD_IP):{database.patroni_api_port}"},
        {"name": "PATRONI_POSTGRESQL_CONNECT_ADDRESS", "value": f"$(POD_IP):{database.postgres_port}"},
        {"name": "PATRONI_SUPERUSER_PASSWORD", "valueFrom": _secret(CREDENTIALS_SECRET, "superuser-password")},
        {"name": "PATRONI_REPLICATION_PASSWORD", "valueFrom": _secret(CREDENTIALS_SECRET, "replication-password")},
        {"name": "POD_ROLE_LABEL", "value": naming.PATRONI_ROLE_LABEL},
        {"name": "PGHOST", "value": SOCKET_DIR},
        {"name": "PGUSER", "value": "postgres"},
        {"name": "WALG_S3_PREFIX", "value": fleet.data.city(city.name).object_storage_prefix},
        {"name": "WALG_COMPRESSION_METHOD", "value": WALG_COMPRESSION},
        {"name": "AWS_ENDPOINT", "value": storage.endpoint},
        {"name": "AWS_REGION", "value": storage.region},
        {"name": "AWS_S3_FORCE_PATH_STYLE", "value": "true"},
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": _secret(OBJECT_STORAGE_SECRET, "access-key-id")},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": _secret(OBJECT_STORAGE_SECRET, "secret-access-key")},
    ]


def _probe(path: str) -> dict[str, Any]:
    return {**PATRONI_PROBE_TIMING, "httpGet": {"path": path, "port": "patroni", "scheme": "HTTP"}}


class PatroniStatefulSet(Manifest):
    def __init__(
        self,
        scope: RenderChart,
        *,
        fleet: Fleet,
        city: City,
        name: str,
        app: str,
        kind: MemberKind,
        role: DatabaseRole,
        replicas: int,
        config_map: str,
        config_checksum: str,
        cluster: str,
    ) -> None:
        database = fleet.spec.database
        data = fleet.data
        pool = city.pools["database"]
        resources = fleet.spec.resource_classes.heavy
        super().__init__(
            scope,
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": data_metadata(
                    fleet=fleet, city=city, kind="StatefulSet", name=name, role=role, cluster=cluster, app=app
                ),
                "spec": {
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                    "podManagementPolicy": "Parallel",
                    "replicas": replicas,
                    "selector": {"matchLabels": naming.selector_labels(name=app, city=city)},
                    "serviceName": MEMBERS_SERVICE,
                    "template": {
                        "metadata": {
                            "annotations": {CONFIG_CHECKSUM: config_checksum},
                            "labels": data_labels(fleet=fleet, city=city, name=app, role=role, cluster=cluster),
                        },
                        "spec": {
                            "affinity": {
                                "podAntiAffinity": {
                                    "requiredDuringSchedulingIgnoredDuringExecution": [
                                        {
                                            "labelSelector": {"matchLabels": {naming.DATABASE_CLUSTER_LABEL: cluster}},
                                            "topologyKey": "kubernetes.io/hostname",
                                        }
                                    ]
                                }
                            },
                            "containers": [
                                {
                                    "command": ["patroni", f"{CONFIG_DIR}/{CONFIG_KEYS[kind]}"],
                                    "env": _env(fleet, city),
                                    "image": data.image,
                                    "imagePullPolicy": "IfNotPresent",
                                    "livenessProbe": _probe("/liveness"),
                                    "name": "patroni",
                                    "ports": [
                                        {"containerPort": database.postgres_port, "name": "postgresql"},
                                        {"containerPort": database.patroni_api_port, "name": "patroni"},
                                    ],
                                    "readinessProbe": _probe("/readiness"),
                                    "resources": resources.model_dump(),
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]},
                                        "readOnlyRootFilesystem": True,
                                    },
                                    "volumeMounts": [
                                        {"mountPath": PGDATA_MOUNT, "name": PGDATA_CLAIM},
                                        {"mountPath": CONFIG_DIR, "name": "config", "readOnly": True},
                                        {"mountPath": TLS_DIR, "name": "tls", "readOnly": True},
                                        {"mountPath": SOCKET_DIR, "name": "socket"},
                                        {"mountPath": "/tmp", "name": "tmp"},
                                    ],
                                }
                            ],
                            "enableServiceLinks": False,
                            "nodeSelector": pool.node_selector,
                            "securityContext": {
                                "fsGroup": POSTGRES_UID,
                                "runAsGroup": POSTGRES_UID,
                                "runAsNonRoot": True,
                                "runAsUser": POSTGRES_UID,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "serviceAccountName": "postgres",
                            # A stopping leader shuts PostgreSQL down cleanly and releases the lock
                            # within one lease, so a replica takes over without waiting for it to expire.
                            "terminationGracePeriodSeconds": data.timing.ttl,
                            "tolerations": pool.tolerations,
                            "volumes": [
                                {
                                    "configMap": {
                                        "defaultMode": 0o555,
                                        "items": [
                                            {"key": CONFIG_KEYS[kind], "path": CONFIG_KEYS[kind]},
                                            *(
                                                [{"key": CALLBACK_KEY, "path": CALLBACK_KEY}]
                                                if data.quorum and kind != "restore"
                                                else []
                                            ),
                                        ],
                                        "name": config_map,
                                    },
                                    "name": "config",
                                },
                                # PostgreSQL accepts a root-owned key readable by its group (fsGroup).
                                {"name": "tls", "secret": {"defaultMode": 0o440, "secretName": TLS_SECRET}},
                                {"emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}, "name": "socket"},
                                {"emptyDir": {"sizeLimit": "1Gi"}, "name": "tmp"},
                            ],
                        },
                    },
                    "updateStrategy": {"type": "RollingUpdate"},
                    "volumeClaimTemplates": [
                        claim_template(PGDATA_CLAIM, database.storage.size, database.storage.class_name)
                    ],
                },
            },
        )
