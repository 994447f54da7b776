"""How the fleet is watched, resolved once per fleet: one plan per area, each from `Inputs`.

slo.py         SLI recording rules and burn-rate alerts per service and city
sla.py         the SLA table's alerts and the probes they read
scrape.py      ServiceMonitors, PodMonitors and the exporters they scrape
routing.py     Alertmanager routes and receivers from the SLA urgencies
budget.py      the notification budget both the SLA rules and the routes are cut from
stack.py       the monitoring stack's charts (Prometheus Operator, blackbox exporter)
dashboards.py  Grafana dashboards per city and fleet-wide
prometheus_mesh.py  every city's Prometheus, reached by every city's Grafana through the mesh
logs.py        Loki retention per log class and PII masking
traces.py      the OpenTelemetry Collector and trace backend
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.dashboards import DashboardsPlan, resolve_dashboards
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.observability.logs import LogsPlan, resolve_logs
from nusantara_fleet.model.observability.prometheus_mesh import PrometheusMesh, resolve_prometheus_mesh
from nusantara_fleet.model.observability.routing import RoutingPlan, resolve_routing
from nusantara_fleet.model.observability.scrape import ScrapePlan, resolve_scrape
from nusantara_fleet.model.observability.sla import SlaRules, resolve_sla
from nusantara_fleet.model.observability.slo import SloRules, resolve_slo
from nusantara_fleet.model.observability.stack import StackPlan, resolve_stack
from nusantara_fleet.model.observability.traces import TracesPlan, resolve_traces

__all__ = ["Inputs", "Observability", "resolve_observability"]


@dataclass(frozen=True)
class Observability:
    slo: SloRules
    sla: SlaRules
    scrape: ScrapePlan
    routing: RoutingPlan
    stack: StackPlan
    dashboards: DashboardsPlan
    prometheus_mesh: PrometheusMesh
    logs: LogsPlan
    traces: TracesPlan

    @property
    def addons(self) -> tuple[Addon, ...]:
        """Every chart the observability areas install, in a stable order (city, then name)."""
        every = (*self.stack.addons, *self.scrape.addons, *self.logs.addons, *self.traces.addons)
        return tuple(sorted(every, key=lambda addon: (addon.city, addon.name)))

    def platform_objects(self) -> tuple[tuple[str, str], ...]:
        """(kind, name) of what the charts mount at start: Alertmanager's pods wait for the receivers' Secret."""
        return (("ExternalSecret", self.routing.secret.name),)


def resolve_observability(inputs: Inputs) -> Observability:
    return Observability(
        slo=resolve_slo(inputs),
        sla=resolve_sla(inputs),
        scrape=resolve_scrape(inputs),
        routing=resolve_routing(inputs),
        stack=resolve_stack(inputs),
        dashboards=resolve_dashboards(inputs),
        prometheus_mesh=resolve_prometheus_mesh(inputs),
        logs=resolve_logs(inputs),
        traces=resolve_traces(inputs),
    )
