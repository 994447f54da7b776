"""The monitoring stack of every city: kube-prometheus-stack, its values derived from the model.

Prometheus keeps the SLO window plus a margin (the budget rules read the whole window), labels
everything it sends with its city (`externalLabels`), and selects every PrometheusRule, ServiceMonitor,
PodMonitor and Probe in every namespace, so no `release:` label ties the fleet's objects to the chart.
Its data lives on a volume claimed from the fleet's retained StorageClass (the data layer's), sized from
the scrape plan: the busiest city's targets x series per target / scrape interval samples a second,
x bytes per sample x the retention, plus the headroom compaction and the write-ahead log need.
`retentionSize` caps the blocks at the estimate itself: a fleet that outgrows it loses its oldest days,
not the volume's last free byte (a full volume stops every new sample).
Alertmanager gets the routing area's configuration and mounts the receivers' credentials Secret.
Grafana and Prometheus join the mesh, and the chart renders one Service per city's Prometheus, so every
city's Grafana reads every city's Prometheus (prometheus_mesh.py).
What the fleet does not use is off, each with its reason below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.observability.prometheus_mesh import PrometheusMesh, resolve_prometheus_mesh
from nusantara_fleet.model.observability.routing import RoutingPlan, resolve_routing
from nusantara_fleet.model.observability.scrape import resolve_scrape
from nusantara_fleet.model.provenance import traced

# The Prometheus Operator's selectors of each kind the fleet renders; `{}` with NilUsesHelmValues false
# selects every object, where the chart's default would select only those labelled with its release.
SELECTED_KINDS = ("rule", "serviceMonitor", "podMonitor", "probe")
# Parts of the chart the fleet does not use, each off for its reason.
DISABLED: dict[str, dict[str, Any]] = {
    # The fleet's alerts are its SLO and SLA alerts and no others; the chart's rules would page on
    # conditions no runbook covers.
    "defaultRules": {"create": False},
    # No rule or dashboard of the fleet reads node metrics, and the exporter needs host access
    # (hostNetwork, hostPID, hostPath), which a privileged namespace would have to allow.
    "nodeExporter": {"enabled": False},
    # Control-plane scrapes: on managed control planes these targets are unreachable and only fire
    # TargetDown; the fleet's own etcd is scraped by its PodMonitor, not by `kubeEtcd`.
    "kubeControllerManager": {"enabled": False},
    "kubeScheduler": {"enabled": False},
    "kubeProxy": {"enabled": False},
    "kubeEtcd": {"enabled": False},
}


SECONDS_PER_DAY = 86_400
GIB = 2**30
MB = 10**6  # retentionSize's unit (Prometheus's MB is decimal)


@dataclass(frozen=True)
class PrometheusStorage:
    """One city's Prometheus volume and the figures it is sized from."""

    targets: int
    samples_per_second: float
    retained_mb: int  # the samples of the whole retention, what `retentionSize` allows
    size_gib: int
    storage_class: str

    def claim(self) -> dict[str, Any]:
        return {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": self.storage_class,
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{self.size_gib}Gi"}},
                }
            }
        }


@dataclass(frozen=True)
class StackPlan:
    retention_days: int
    storage: dict[str, PrometheusStorage]  # by city
    addons: tuple[Addon, ...] = ()


def _storage(inputs: Inputs, *, targets: int, retention_days: int) -> PrometheusStorage:
    stack = inputs.spec.observability.stack
    samples = targets * stack.series_per_target / inputs.spec.observability.scrape.interval_seconds
    retained = samples * stack.bytes_per_sample * retention_days * SECONDS_PER_DAY
    size = math.ceil(retained * (100 + stack.storage_headroom_pct) / 100 / GIB)
    return PrometheusStorage(
        targets=targets,
        samples_per_second=samples,
        retained_mb=math.ceil(retained / MB),
        size_gib=size,
        storage_class=inputs.spec.database.storage.class_name,
    )


def _values(
    inputs: Inputs,
    *,
    city: str,
    retention_days: int,
    routing: RoutingPlan,
    storage: PrometheusStorage,
    mesh: PrometheusMesh,
) -> dict[str, Any]:
    scrape = inputs.spec.observability.scrape
    selectors: dict[str, Any] = {}
    for kind in SELECTED_KINDS:
        selectors[f"{kind}SelectorNilUsesHelmValues"] = False
        selectors[f"{kind}Selector"] = {}
        selectors[f"{kind}NamespaceSelector"] = {}
    return {
        **DISABLED,
        "prometheus": {
            "prometheusSpec": {
                **selectors,
                "retention": f"{retention_days}d",
                "retentionSize": f"{storage.retained_mb}MB",
                "storageSpec": storage.claim(),
                "externalLabels": {"city": city},
                "scrapeInterval": f"{scrape.interval_seconds}s",
                "evaluationInterval": f"{scrape.rule_interval_seconds}s",
                "podMetadata": {
                    "annotations": dict(mesh.prometheus_pod_annotations),
                    "labels": mesh.prometheus_pod_labels(city),
                },
            }
        },
        "extraManifests": [service.manifest() for service in mesh.services[city]],
        "alertmanager": {
            "config": routing.config(),
            "alertmanagerSpec": {"secrets": [routing.secret.name]},
        },
        "grafana": {
            # The chart's dashboards read node-exporter and the default rules' recordings, both off.
            "defaultDashboardsEnabled": False,
            # The chart's own Prometheus datasource carries no uid (Grafana invents one), and the dashboards
            # name theirs: every city's Prometheus is provisioned here under the uids they read.
            "additionalDataSources": _datasources(inputs, city, mesh),
            "podAnnotations": dict(mesh.grafana_pod_annotations),
            "podLabels": dict(mesh.grafana_pod_labels),
            # Named here, not left to the subchart's fullname: the Prometheus pods admit this identity.
            "serviceAccount": {"name": mesh.grafana_account},
            "sidecar": {
                "datasources": {"defaultDatasourceEnabled": False},
                "dashboards": {
                    "enabled": True,
                    "label": naming.GRAFANA_DASHBOARD_LABEL,
                    "labelValue": naming.GRAFANA_DASHBOARD_LABEL_VALUE,
                    "searchNamespace": "ALL",
                },
            },
        },
    }


def _datasources(inputs: Inputs, city: str, mesh: PrometheusMesh) -> list[dict[str, Any]]:
    """The city's own Prometheus as the city dashboard's default datasource, then every city's (its own
    included) under the uid the fleet dashboard's row of that city reads."""
    observability = inputs.spec.observability
    sources = [(observability.dashboards.datasource_uid, "Prometheus", mesh.url(city), True)]
    sources += [
        (naming.city_datasource(service.target), f"Prometheus {service.target}", mesh.url(service.target), False)
        for service in mesh.services[city]
    ]
    return [
        {
            "name": name,
            "uid": uid,
            "type": "prometheus",
            "access": "proxy",
            "url": url,
            "isDefault": default,
            "jsonData": {"timeInterval": f"{observability.scrape.interval_seconds}s"},
        }
        for uid, name, url, default in sources
    ]


@traced
def resolve_stack(inputs: Inputs) -> StackPlan:
    spec = inputs.spec
    stack = spec.observability.stack
    retention_days = spec.slo.window_days + stack.retention_margin_days
    routing = resolve_routing(inputs)
    scrape = resolve_scrape(inputs)
    mesh = resolve_prometheus_mesh(inputs)
    # Every city's volume is sized for the busiest city: a claim template cannot grow in place, and which
    # city runs the most targets moves with `primary` (its extra Patroni member, its N-1 replicas).
    targets = max(scrape.city(city.name).targets for city in inputs.cities)
    storage = {city.name: _storage(inputs, targets=targets, retention_days=retention_days) for city in inputs.cities}
    addons = tuple(
        Addon(
            name=naming.KUBE_PROMETHEUS_STACK,
            stage="charts",
            city=city.name,
            namespace=spec.network_policy.monitoring_namespace,
            repo_url=naming.PROMETHEUS_COMMUNITY_CHARTS,
            chart=naming.KUBE_PROMETHEUS_STACK,
            version=stack.chart_version,
            values=_values(
                inputs,
                city=city.name,
                retention_days=retention_days,
                routing=routing,
                storage=storage[city.name],
                mesh=mesh,
            ),
        )
        for city in inputs.cities
    )
    return StackPlan(retention_days=retention_days, storage=storage, addons=addons)
