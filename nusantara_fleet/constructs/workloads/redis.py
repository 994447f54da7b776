"""StatefulSet of the city's report cache (Redis): independent replicas, one per node, no replication.

Each replica is a cache-aside store of precomputed report data: a miss on one replica is recomputed
and stored there, so replicas need no replication and a lost replica costs latency only. With
`persistence` on, each replica keeps an append-only file on its own volume and restarts warm. Beside each
replica runs its metrics exporter, which reads it over localhost; only the monitoring namespace reaches it.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs import pod
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.constructs.workloads.labels import pod_labels, workload_labels
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.workloads import Cache

DATA_VOLUME = "data"
DATA_PATH = "/data"


class RedisStatefulSet(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City, cache: Cache) -> None:
        selector = city.selector(cache.name)
        ping = {"exec": {"command": ["redis-cli", "-p", str(cache.port), "ping"]}}
        container = {
            "args": [
                "--port",
                str(cache.port),
                "--protected-mode",
                "no",  # only the report pods reach it (NetworkPolicy)
                "--maxmemory",
                cache.max_memory,
                "--maxmemory-policy",
                cache.eviction_policy,
                "--appendonly",
                "yes" if cache.persistence else "no",
                "--save",
                "",
                "--dir",
                DATA_PATH,
            ],
            "command": ["redis-server"],
            "image": cache.image,
            "imagePullPolicy": cache.pull_policy,
            "livenessProbe": pod.probe({"tcpSocket": {"port": "redis"}}, cache.probes.liveness),
            "name": "redis",
            "ports": [{"containerPort": cache.port, "name": "redis", "protocol": "TCP"}],
            "readinessProbe": pod.probe(ping, cache.probes.readiness),
            "resources": pod.resources(cache.resources),
            "securityContext": pod.container_security(),
            "startupProbe": pod.probe(ping, cache.probes.startup),
            "volumeMounts": [{"mountPath": DATA_PATH, "name": DATA_VOLUME}],
        }
        exporter = cache.exporter
        alive = {"tcpSocket": {"port": naming.CACHE_EXPORTER_PORT}}
        sidecar = {
            "args": [f"--redis.addr=redis://localhost:{cache.port}", f"--web.listen-address=:{exporter.port}"],
            "image": exporter.image,
            "imagePullPolicy": cache.pull_policy,
            "livenessProbe": pod.probe(alive, cache.probes.liveness),
            "name": naming.CACHE_EXPORTER,
            "ports": [{"containerPort": exporter.port, "name": naming.CACHE_EXPORTER_PORT, "protocol": "TCP"}],
            "readinessProbe": pod.probe(alive, cache.probes.readiness),
            "resources": pod.resources(exporter.resources),
            "securityContext": pod.container_security(),
            "startupProbe": pod.probe(alive, cache.probes.startup),
        }
        template_spec: dict[str, Any] = {
            **pod.placement(pool=cache.pool, selector=selector, apart=cache.one_per_node, spread=cache.spread),
            "automountServiceAccountToken": False,
            "containers": [container, sidecar],
            "enableServiceLinks": False,
            "securityContext": pod.pod_security(cache.run_as_user),
            "serviceAccountName": cache.name,
        }
        spec: dict[str, Any] = {
            "podManagementPolicy": "Parallel",
            "replicas": cache.replicas,
            "selector": {"matchLabels": selector},
            "serviceName": cache.name,
            "template": {
                "metadata": {
                    "annotations": {naming.EXCLUDE_INBOUND_PORTS: ",".join(map(str, cache.unmeshed_ports))},
                    "labels": pod_labels(
                        city,
                        name=cache.name,
                        version=cache.version,
                        service=cache.name,
                        track="stable",
                    ),
                },
                "spec": template_spec,
            },
        }
        if cache.persistence:
            spec["volumeClaimTemplates"] = [
                {
                    "metadata": {"name": DATA_VOLUME},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{cache.storage_gib}Gi"}},
                    },
                }
            ]
        else:
            template_spec["volumes"] = [{"emptyDir": {"sizeLimit": cache.resources.limits.memory}, "name": DATA_VOLUME}]
        super().__init__(
            scope,
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": {
                    "labels": workload_labels(city, name=cache.name, version=cache.version),
                    "name": cache.name,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "spec": spec,
            },
            plan=cache,
        )
