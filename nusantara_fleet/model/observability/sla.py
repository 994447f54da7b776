"""The SLA table's alerts: one rule per `observability.sla` row, evaluated by every city's Prometheus.

Each city probes every city (model/observability/scrape.py), so each city's Prometheus judges the whole
fleet on its own: "two of three cities down" is seen from the surviving one. A city counts as down when
none of its edge probes succeeds; its reporting database when none of its reporting probes does.

Timing: an alert must notify within the row's response time. `for:` is what the notification budget
(budget.py) leaves after one probe interval, one evaluation interval and the route's `group_wait`. With
the defaults (15 s, 15 s, a tenth of the response) that is 24 s for a 1-minute response, 132 s for 3
minutes, 240 s for 5, 510 s for 10 and 780 s for 15.
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.budget import notification_budget
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec.observability.sla import SEVERITY, SlaRowSpec

RATE_WINDOW = "5m"  # the window the app-metric conditions average over (the SLO area's short window)
MS_PER_SECOND = 1000


@dataclass(frozen=True)
class SlaAlert:
    name: str
    expr: str
    for_seconds: int
    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass(frozen=True)
class SlaRules:
    name: str
    namespace: str
    interval: str  # the rule group's evaluation interval
    alerts: tuple[SlaAlert, ...]
    addons: tuple[Addon, ...] = ()


def _down(kind: str, extra: str = "") -> str:
    """One series per target city that no probe of `kind` reaches."""
    return f'max by ({naming.TARGET_CITY_LABEL}) (probe_success{{{naming.PROBE_KIND_LABEL}="{kind}"{extra}}}) == 0'


def _expr(row: SlaRowSpec, inputs: Inputs) -> str:
    cities = len(inputs.cities)
    primary = next(city.name for city in inputs.cities if city.is_primary)
    edge = inputs.spec.edge_service
    apps = inputs.spec.namespaces.apps
    match row.condition:
        case "all_cities_down":
            return f"count({_down('edge')}) == {cities}"
        case "cities_down":
            # at least `cities` but not every city: every city down is AllCitiesDown's row
            return f"count({_down('edge')}) >= {row.cities} < {cities}"
        case "non_primary_city_down":
            exactly_one = f"count({_down('edge')}) == 1"
            branch = _down("edge", f', {naming.TARGET_CITY_LABEL}!="{primary}"')
            return f"({branch}) and on () ({exactly_one})"
        case "reporting_down_everywhere":
            return f"count({_down('reporting')}) == {cities}"
        case "reporting_down_one_city":
            return f"({_down('reporting')}) and on () (count({_down('reporting')}) < {cities})"
        case "service_main_down":
            names = "|".join(service.name for service in inputs.services)
            sel = f'namespace="{apps}", deployment=~"{names}"'
            available = f"kube_deployment_status_replicas_available{{{sel}}}"
            desired = f"kube_deployment_spec_replicas{{{sel}}}"
            return f"({available} < on (namespace, deployment) {desired}) and ({available} > 0)"
        case "traffic_surge":
            share = inputs.demand.band[1] // cities  # a city's share of the design capacity, every city up
            return f'sum(rate(http_requests_total{{service="{edge}"}}[{RATE_WINDOW}])) > {share}'
        case "slow_server":
            bound = inputs.spec.slo.latency_p95_ms / MS_PER_SECOND
            buckets = f'rate(http_request_duration_seconds_bucket{{service="{edge}"}}[{RATE_WINDOW}])'
            return f"histogram_quantile(0.95, sum by (le) ({buckets})) > {bound:g}"


@traced
def resolve_sla(inputs: Inputs) -> SlaRules:
    spec = inputs.spec
    scrape = spec.observability.scrape
    alerts = tuple(
        SlaAlert(
            name=row.alert,
            expr=_expr(row, inputs),
            # never below zero: model/checks.py refuses a row whose budget does not fit
            for_seconds=max(0, notification_budget(spec.observability, row.response_minutes).for_seconds),
            labels={"severity": SEVERITY[row.urgency], "urgency": row.urgency},
            annotations={
                "summary": row.summary,
                "runbook_url": f"{spec.observability.runbook_base_url}/{row.alert}.md",
                "response_minutes": str(row.response_minutes),
                "resolution_minutes": str(row.resolution_minutes),
            },
        )
        for row in spec.observability.sla
    )
    return SlaRules(
        name=naming.SLA_RULE,
        namespace=spec.network_policy.monitoring_namespace,
        interval=f"{scrape.rule_interval_seconds}s",
        alerts=alerts,
    )
