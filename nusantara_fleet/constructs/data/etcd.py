"""StatefulSet `etcd`: this city's member of the three-city etcd that is Patroni's DCS in `quorum` mode.

One member per city, so losing any one city keeps quorum (2 of 3) and losing two leaves nothing
writable. Peers and clients use TLS; heartbeat and election timeout follow the inter-city round trip.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.data.storage_class import claim_template
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import (
    ETCD_CLAIM,
    ETCD_LIVENESS_DELAY_SECONDS,
    ETCD_METRICS_PORT,
    ETCD_NAME,
    ETCD_PROBE_TIMING,
    NONROOT_UID,
    TLS_DIR,
    TLS_SECRET,
)

DATA_DIR = "/var/lib/etcd"


def etcd_args(fleet: Fleet, city: City) -> list[str]:
    data = fleet.data
    db = fleet.spec.database
    me = data.host(city.name, ETCD_NAME)
    return [
        f"--name={city.name}",
        f"--data-dir={DATA_DIR}/data",
        f"--listen-peer-urls=https://0.0.0.0:{db.etcd_peer_port}",
        f"--listen-client-urls=https://0.0.0.0:{db.etcd_client_port}",
        f"--listen-metrics-urls=http://0.0.0.0:{ETCD_METRICS_PORT}",
        f"--advertise-client-urls=https://{me}:{db.etcd_client_port}",
        f"--initial-advertise-peer-urls=https://{me}:{db.etcd_peer_port}",
        "--initial-cluster=" + ",".join(f"{name}={url}" for name, url in data.etcd_members),
        "--initial-cluster-state=new",
        f"--initial-cluster-token={data.city(city.name).scope}",
        f"--heartbeat-interval={data.etcd_heartbeat_ms}",
        f"--election-timeout={data.etcd_election_ms}",
        "--auto-compaction-mode=periodic",
        "--auto-compaction-retention=1h",
        "--client-cert-auth",
        f"--trusted-ca-file={TLS_DIR}/ca.crt",
        f"--cert-file={TLS_DIR}/tls.crt",
        f"--key-file={TLS_DIR}/tls.key",
        "--peer-client-cert-auth",
        f"--peer-trusted-ca-file={TLS_DIR}/ca.crt",
        f"--peer-cert-file={TLS_DIR}/tls.crt",
        f"--peer-key-file={TLS_DIR}/tls.key",
    ]


class EtcdStatefulSet(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        db = fleet.spec.database
        pool = city.pools["database"]
        probe = {**ETCD_PROBE_TIMING, "httpGet": {"path": "/health", "port": ETCD_METRICS_PORT, "scheme": "HTTP"}}
        super().__init__(
            scope,
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": data_metadata(fleet=fleet, city=city, kind="StatefulSet", name=ETCD_NAME),
                "spec": {
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                    "podManagementPolicy": "Parallel",
                    "replicas": 1,
                    "selector": {"matchLabels": naming.selector_labels(name=ETCD_NAME, city=city)},
                    "serviceName": ETCD_NAME,
                    "template": {
                        "metadata": {"labels": data_labels(fleet=fleet, city=city, name=ETCD_NAME)},
                        "spec": {
                            "containers": [
                                {
                                    "command": ["etcd", *etcd_args(fleet, city)],
                                    "image": fleet.data.etcd_image,
                                    "imagePullPolicy": "IfNotPresent",
                                    "livenessProbe": {**probe, "initialDelaySeconds": ETCD_LIVENESS_DELAY_SECONDS},
                                    "name": "etcd",
                                    "ports": [
                                        {"containerPort": db.etcd_client_port, "name": "client"},
                                        {"containerPort": db.etcd_peer_port, "name": "peer"},
                                        {"containerPort": ETCD_METRICS_PORT, "name": "metrics"},
                                    ],
                                    "readinessProbe": probe,
                                    "resources": fleet.spec.resource_classes.light.model_dump(),
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "capabilities": {"drop": ["ALL"]},
                                        "readOnlyRootFilesystem": True,
                                    },
                                    "volumeMounts": [
                                        {"mountPath": DATA_DIR, "name": ETCD_CLAIM},
                                        {"mountPath": TLS_DIR, "name": "tls", "readOnly": True},
                                    ],
                                }
                            ],
                            "enableServiceLinks": False,
                            "nodeSelector": pool.node_selector,
                            "securityContext": {
                                "fsGroup": NONROOT_UID,
                                "runAsGroup": NONROOT_UID,
                                "runAsNonRoot": True,
                                "runAsUser": NONROOT_UID,
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "tolerations": pool.tolerations,
                            "volumes": [{"name": "tls", "secret": {"defaultMode": 0o440, "secretName": TLS_SECRET}}],
                        },
                    },
                    "updateStrategy": {"type": "RollingUpdate"},
                    "volumeClaimTemplates": [claim_template(ETCD_CLAIM, db.storage.etcd_size, db.storage.class_name)],
                },
            },
        )
