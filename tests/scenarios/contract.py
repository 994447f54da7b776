"""THE CONTRACT OBJECTS: a copy of a rendered tree with the traffic objects other branches render added, exactly
as agreed (DestinationRules, the edge Gateway and HTTPRoutes, Gslbs, k8gb add-on Applications) and the read
fallback of the data layer (DB_READ_HOSTS). Every scenario test takes its tree from `with_contract`; once the
real objects are in dist/, `with_contract` returns its input and this module goes.

Values come from the rendered tree (primary, cities, failover preference, probes) and from envs/ only for what
the tree does not hold yet (edge addresses, public hosts).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.scenarios.facts import read_facts
from nusantara_fleet.scenarios.run import traffic_order
from nusantara_fleet.validate.documents import load_documents

APPS = "shop"
EDGE = "edge"
BACKEND = "gateway"
TTL_SECONDS = 30
REQUEUE_SECONDS = 10
EDS_PUSH_SECONDS = 10  # istiod's debounce bound (PILOT_DEBOUNCE_MAX)
K8GB_HOSTS = {"api": "api.gslb.nusantaramart.co.id", "web": "ecommerce.gslb.knitto.co.id"}


def _write(folder: Path, body: dict[str, Any]) -> None:
    name = f"{body['kind']}.{body['metadata']['name']}.k8s.yaml"
    (folder / name).write_text(yaml.safe_dump(body, sort_keys=False))


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": APPS, **extra}


def _envs_facts(envs: Path) -> tuple[dict[str, str], dict[str, str]]:
    fleet = yaml.safe_load((envs / "fleet.yaml").read_text())
    addresses = {}
    for path in sorted(envs.glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        if isinstance(body, dict) and isinstance(body.get("network"), dict) and "edge_address" in body["network"]:
            addresses[path.stem] = str(body["network"]["edge_address"])
    return addresses, dict(fleet["hosts"])


def with_contract(dist: Path, envs: Path, out: Path, *, read_fallback: bool = True) -> Path:
    """`out`: a copy of `dist` with the contract objects added (and the read fallback unless told not to)."""
    shutil.copytree(dist, out)
    facts = read_facts(load_documents(dist), str(dist))
    addresses, hosts = _envs_facts(envs)
    primary = facts.primary
    failover = [{"from": city, "to": traffic_order(facts, city)[1]} for city in facts.cities]
    failover.sort(key=lambda item: item["from"] == primary)
    for city in facts.cities:
        folder = out / city
        for service, workload in sorted(facts.city[city].workloads.items()):
            seconds = (workload.readiness_seconds or 0) + EDS_PUSH_SECONDS
            _write(
                folder,
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "DestinationRule",
                    "metadata": _meta(
                        service, annotations={"fleet.nusantaramart.co.id/failover-seconds": str(seconds)}
                    ),
                    "spec": {
                        "host": f"{service}.{APPS}.svc.cluster.local",
                        "trafficPolicy": {
                            "loadBalancer": {"localityLbSetting": {"enabled": True, "failover": failover}},
                            "outlierDetection": {
                                "consecutive5xxErrors": 0,
                                "consecutiveGatewayErrors": 3,
                                "interval": "5s",
                                "baseEjectionTime": "30s",
                                "maxEjectionPercent": 100,
                            },
                        },
                    },
                },
            )
        _write(
            folder,
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": _meta(EDGE),
                "spec": {
                    "gatewayClassName": "istio",
                    "addresses": [{"type": "IPAddress", "value": addresses[city]}],
                    "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS"}],
                },
            },
        )
        for key, host in sorted(hosts.items()):
            _write(
                folder,
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": _meta(key),
                    "spec": {
                        "hostnames": [host, K8GB_HOSTS[key]],
                        "parentRefs": [{"name": EDGE}],
                        "rules": [{"backendRefs": [{"name": BACKEND, "port": 8080}]}],
                    },
                },
            )
            strategy: dict[str, Any] = (
                {"type": "failover", "primaryGeoTag": primary, "dnsTtlSeconds": TTL_SECONDS}
                if key == "api"
                else {"type": "roundRobin", "dnsTtlSeconds": TTL_SECONDS}
            )
            _write(
                folder,
                {
                    "apiVersion": "k8gb.io/v1beta1",
                    "kind": "Gslb",
                    "metadata": _meta(key),
                    "spec": {
                        "resourceRef": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "name": key},
                        "strategy": strategy,
                    },
                },
            )
        others = ",".join(c for c in facts.cities if c != city)
        _write(
            out / "fleet",
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": f"k8gb-{city}", "namespace": "argocd"},
                "spec": {
                    "destination": {"name": city, "namespace": "k8gb"},
                    "project": "nusantaramart-addons",
                    "source": {
                        "chart": "k8gb",
                        "repoURL": "https://www.k8gb.io",
                        "targetRevision": "v0.20.0",
                        "helm": {
                            "valuesObject": {
                                "k8gb": {
                                    "clusterGeoTag": city,
                                    "extGslbClustersGeoTags": others,
                                    "reconcileRequeueSeconds": REQUEUE_SECONDS,
                                }
                            }
                        },
                    },
                },
            },
        )
        if read_fallback:
            _add_read_fallback(folder, city, traffic_order(facts, city))
    return out


def _add_read_fallback(folder: Path, city: str, order: tuple[str, ...]) -> None:
    """The data layer's read order: the local replicas, the local leader, then the other cities' leaders
    (their published write names) nearest first, standbys preferred."""
    for path in sorted(folder.glob("ConfigMap.*-config.k8s.yaml")):
        body = yaml.safe_load(path.read_text())
        data = body.get("data") or {}
        read = data.get("DB_READ_HOST")
        if not read:
            continue
        hosts = [f"{read}:5432", f"postgres-write.{city}.db.nusantaramart.internal:5432"]
        hosts += [f"postgres-write.{other}.db.nusantaramart.internal:5432" for other in order[1:]]
        data["DB_READ_HOSTS"] = ",".join(hosts)
        data["DB_READ_TARGET_SESSION_ATTRS"] = "prefer-standby"
        path.write_text(yaml.safe_dump(body, sort_keys=False))
