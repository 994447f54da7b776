"""Deployment of one variant (stable or canary) of a service in one city.

Each variant is its own Deployment with its own selector, so the stable Service never sends traffic
to canary pods: the split is by weight, where the callers choose (see model/workloads/resolve.py).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs import pod
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import pod_labels, workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import App, Variant

TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"


class Deployment(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, app: App, variant: Variant) -> None:
        selector = city.selector(variant.name)
        health = {"httpGet": {"path": app.health_path, "port": "http"}}
        facts = app.facts
        volumes: list[dict[str, Any]] = [{"configMap": {"name": facts.config_map}, "name": facts.volume}]
        mounts: list[dict[str, Any]] = [{"mountPath": facts.path, "name": facts.volume, "readOnly": True}]
        if app.tmp_size_mib:
            volumes.append({"emptyDir": {"sizeLimit": f"{app.tmp_size_mib}Mi"}, "name": TMP_VOLUME})
            mounts.append({"mountPath": TMP_PATH, "name": TMP_VOLUME})
        env: list[dict[str, Any]] = []
        database = app.database
        if database is not None:
            env.append(
                {
                    "name": database.password_env,
                    "valueFrom": {"secretKeyRef": {"key": database.password_key, "name": database.password_secret}},
                }
            )
            volumes.append(
                {
                    "name": database.ca_volume,
                    "secret": {
                        "items": [{"key": database.ca_key, "path": database.ca_key}],
                        "secretName": database.ca_secret,
                    },
                }
            )
            mounts.append({"mountPath": database.ca_dir, "name": database.ca_volume, "readOnly": True})
        container: dict[str, Any] = {
            "envFrom": [{"configMapRef": {"name": naming.config_name(app.name)}}],
            "image": variant.image,
            "imagePullPolicy": app.pull_policy,
            "livenessProbe": pod.probe(health, app.probes.liveness),
            "name": app.name,
            "ports": [
                {"containerPort": app.port, "name": "http", "protocol": "TCP"},
                {"containerPort": app.metrics_port, "name": "metrics", "protocol": "TCP"},
            ],
            "readinessProbe": pod.probe(health, app.probes.readiness),
            "resources": pod.resources(app.resources),
            "securityContext": pod.container_security(),
            "startupProbe": pod.probe(health, app.probes.startup),
            "volumeMounts": mounts,
        }
        if env:
            container["env"] = env
        super().__init__(
            scope,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "labels": workload_labels(city, name=variant.name, version=variant.version),
                    "name": variant.name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": {
                    "replicas": variant.replicas,
                    "selector": {"matchLabels": selector},
                    "strategy": {
                        "rollingUpdate": {"maxSurge": variant.max_surge, "maxUnavailable": variant.max_unavailable},
                        "type": "RollingUpdate",
                    },
                    "template": {
                        "metadata": {
                            "annotations": {
                                naming.APP_CONFIG_CHECKSUM: app.config_checksum,
                                **(
                                    {naming.EXCLUDE_INBOUND_PORTS: ",".join(map(str, app.network.unmeshed_ports))}
                                    if app.network.unmeshed_ports
                                    else {}
                                ),
                            },
                            "labels": pod_labels(
                                city,
                                name=variant.name,
                                version=variant.version,
                                service=app.name,
                                track=variant.track,
                            ),
                        },
                        "spec": {
                            **pod.placement(
                                pool=app.pool, selector=selector, apart=app.one_per_node, spread=app.spread
                            ),
                            "automountServiceAccountToken": False,
                            "containers": [container],
                            "enableServiceLinks": False,
                            "securityContext": pod.pod_security(app.run_as_user),
                            "serviceAccountName": app.name,
                            "terminationGracePeriodSeconds": app.termination_grace_seconds,
                            "volumes": volumes,
                        },
                    },
                },
            },
            plan=app,
        )
