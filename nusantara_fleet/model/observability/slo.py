"""The SLO area: each service's three SLOs as Sloth-shaped recording and burn-rate alerting rules.

Windows, factors and PromQL all come from here; the construct only lays the rule groups out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.spec.observability.burn import BurnWindowSpec
from nusantara_fleet.model.spec.observability.sla import SEVERITY, Urgency

# Share of requests that must finish within the latency bound: the design's bound is a p95, so 95%.
# A 95% objective leaves a 5% budget, so its burn can never exceed 20x (all requests slow).
LATENCY_OBJECTIVE_PCT = 95.0
ALERT_NAMES = {
    "success": "SloSuccessBudgetBurn",
    "latency": "SloLatencyBudgetBurn",
    "availability": "SloAvailabilityBudgetBurn",
}
DASHBOARD_QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
_UNIT_HOURS = {"m": 1 / 60, "h": 1.0, "d": 24.0}


def window_hours(window: str) -> float:
    return float(window[:-1]) * _UNIT_HOURS[window[-1]]


def budget_text(ratio: float) -> str:
    """A ratio as PromQL prints it: rounded, so 1 - 0.996 reads 0.004, not 0.0040000000000000036."""
    return repr(round(ratio, 10))


@dataclass(frozen=True)
class BurnWindow:
    severity: str  # the alert's `severity` label (contracts: critical = page, warning = ticket)
    urgency: str
    sloth_severity: str  # page | ticket
    short_window: str
    long_window: str
    factor: float  # budget share * period / long window

    @classmethod
    def of(cls, spec: BurnWindowSpec, *, page: bool, period_days: int) -> BurnWindow:
        urgency: Urgency = "high" if page else "medium"
        factor = round(spec.budget_pct / 100 * period_days * 24 / window_hours(spec.long_window), 10)
        return cls(
            SEVERITY[urgency], urgency, "page" if page else "ticket", spec.short_window, spec.long_window, factor
        )


@dataclass(frozen=True)
class Rule:
    """One rule of a rules file: a recording (`record`) or an alert (`alert`)."""

    expr: str
    record: str | None = None
    alert: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Slo:
    service: str
    slo: str  # the `sloth_slo` id
    objective_pct: float
    error_query: str  # PromQL with `{window}` for the range
    alert: str
    page: tuple[BurnWindow, BurnWindow]  # quick, slow
    ticket: tuple[BurnWindow, BurnWindow]

    @property
    def sloth_id(self) -> str:
        return f"{self.service}-{self.slo}"

    @property
    def budget(self) -> float:
        return round(1 - self.objective_pct / 100, 10)


@dataclass(frozen=True)
class ServiceSlos:
    service: str
    name: str  # the PrometheusRule
    slos: tuple[Slo, ...]
    groups: tuple[RuleGroup, ...]


@dataclass(frozen=True)
class SloRules:
    period_days: int
    services: tuple[ServiceSlos, ...]
    addons: tuple[Addon, ...] = field(default=())


def _windows(slo_windows: tuple[BurnWindow, ...], period_days: int) -> tuple[str, ...]:
    every = {w for b in slo_windows for w in (b.short_window, b.long_window)}
    return (*sorted(every, key=window_hours), f"{period_days}d")


def _sli_group(slo: Slo, period_days: int, runbook: str) -> tuple[RuleGroup, RuleGroup, RuleGroup]:
    base = (("sloth_id", slo.sloth_id), ("sloth_service", slo.service), ("sloth_slo", slo.slo))
    selector = f'{{sloth_id="{slo.sloth_id}", sloth_service="{slo.service}", sloth_slo="{slo.slo}"}}'
    windows = _windows((*slo.page, *slo.ticket), period_days)
    period = f"{period_days}d"
    sli = []
    for window in windows[:-1]:
        sli.append(
            Rule(
                record=f"slo:sli_error:ratio_rate{window}",
                expr=slo.error_query.replace("{window}", window),
                labels=(*base, ("sloth_window", window), ("service", slo.service)),
            )
        )
    # Sloth's period ratio: an average of the 5m ratios, which needs no 30-day range over raw series.
    sli.append(
        Rule(
            record=f"slo:sli_error:ratio_rate{period}",
            expr=f"sum_over_time(slo:sli_error:ratio_rate{windows[0]}{selector}[{period}])\n"
            f"/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate{windows[0]}{selector}[{period}])",
            labels=(*base, ("sloth_window", period), ("service", slo.service)),
        )
    )
    on = "on(sloth_id, sloth_slo, sloth_service) group_left"
    meta = (
        Rule(record="slo:objective:ratio", expr=f"vector({budget_text(slo.objective_pct / 100)})", labels=base),
        Rule(record="slo:error_budget:ratio", expr=f"vector({budget_text(slo.budget)})", labels=base),
        Rule(record="slo:time_period:days", expr=f"vector({period_days})", labels=base),
        Rule(
            record="slo:current_burn_rate:ratio",
            expr=f"slo:sli_error:ratio_rate{windows[0]}{selector}\n/ {on}\nslo:error_budget:ratio{selector}",
            labels=base,
        ),
        Rule(
            record="slo:period_burn_rate:ratio",
            expr=f"slo:sli_error:ratio_rate{period}{selector}\n/ {on}\nslo:error_budget:ratio{selector}",
            labels=base,
        ),
        Rule(
            record="slo:period_error_budget_remaining:ratio",
            expr=f"1 - slo:period_burn_rate:ratio{selector}",
            labels=(*base, ("service", slo.service)),
        ),
    )
    budget = budget_text(slo.budget)

    def condition(pair: tuple[BurnWindow, BurnWindow]) -> str:
        parts = []
        for b in pair:
            legs = [
                f"max(slo:sli_error:ratio_rate{w}{selector} > ({budget_text(b.factor)} * {budget}))"
                " without (sloth_window)"
                for w in (b.short_window, b.long_window)
            ]
            parts.append("(\n    " + "\n    and\n    ".join(legs) + "\n)")
        return "\nor\n".join(parts)

    alerts = tuple(
        Rule(
            alert=slo.alert,
            expr=condition(pair),
            labels=(
                ("service", slo.service),
                ("severity", pair[0].severity),
                ("sloth_severity", pair[0].sloth_severity),
                ("urgency", pair[0].urgency),
            ),
            annotations=(
                ("runbook_url", runbook),
                (
                    "summary",
                    f"{slo.service} in {{{{ $labels.city }}}} is spending its {slo.slo} error budget too fast "
                    f"({pair[0].sloth_severity}: objective {slo.objective_pct}% over {period_days} days).",
                ),
            ),
        )
        for pair in (slo.page, slo.ticket)
    )
    return (
        RuleGroup(f"sloth-slo-sli-recordings-{slo.sloth_id}", tuple(sli)),
        RuleGroup(f"sloth-slo-meta-recordings-{slo.sloth_id}", meta),
        RuleGroup(f"sloth-slo-alerts-{slo.sloth_id}", alerts),
    )


def _dashboard_group(service: str) -> RuleGroup:
    sel = f'{{service="{service}"}}'
    labels = (("service", service),)
    rules = [
        Rule(record="service:http_requests:rate5m", expr=f"sum(rate(http_requests_total{sel}[5m]))", labels=labels),
        Rule(
            record="service:http_errors:ratio_rate5m",
            expr=f'sum(rate(http_requests_total{{service="{service}", status=~"5.."}}[5m]))\n'
            f"/\nsum(rate(http_requests_total{sel}[5m]))",
            labels=labels,
        ),
    ]
    for name, quantile in DASHBOARD_QUANTILES.items():
        rules.append(
            Rule(
                record=f"service:http_request_duration_seconds:{name}_5m",
                expr=f"histogram_quantile({quantile}, "
                f"sum by (le) (rate(http_request_duration_seconds_bucket{sel}[5m])))",
                labels=labels,
            )
        )
    return RuleGroup(f"service-dashboard-recordings-{service}", tuple(rules))


def resolve_slo(inputs: Inputs) -> SloRules:
    spec = inputs.spec
    burn = spec.observability.burn
    period = spec.slo.window_days
    page = (
        BurnWindow.of(burn.page_quick, page=True, period_days=period),
        BurnWindow.of(burn.page_slow, page=True, period_days=period),
    )
    ticket = (
        BurnWindow.of(burn.ticket_quick, page=False, period_days=period),
        BurnWindow.of(burn.ticket_slow, page=False, period_days=period),
    )
    latency_s = repr(round(spec.slo.latency_p95_ms / 1000, 6))
    services = []
    for service in inputs.services:
        name = service.name
        sel = f'service="{name}"'
        queries = {
            "success": (
                spec.slo.success_pct,
                f'(sum(rate(http_requests_total{{{sel}, status=~"5.."}}[{{window}}])))\n/\n'
                f"(sum(rate(http_requests_total{{{sel}}}[{{window}}])))",
            ),
            "latency": (
                LATENCY_OBJECTIVE_PCT,
                f"(sum(rate(http_request_duration_seconds_count{{{sel}}}[{{window}}]))\n-\n"
                f'sum(rate(http_request_duration_seconds_bucket{{{sel}, le="{latency_s}"}}[{{window}}])))\n/\n'
                f"(sum(rate(http_request_duration_seconds_count{{{sel}}}[{{window}}])))",
            ),
            "availability": (
                spec.slo.availability_pct,
                f'1 - avg(avg_over_time(probe_success{{probe_kind="service", {sel}}}[{{window}}]))',
            ),
        }
        slos = tuple(
            Slo(name, slo_id, objective, query, ALERT_NAMES[slo_id], page, ticket)
            for slo_id, (objective, query) in queries.items()
        )
        groups: list[RuleGroup] = []
        for slo in slos:
            groups.extend(_sli_group(slo, period, f"{spec.observability.runbook_base_url}/{slo.alert}.md"))
        groups.append(_dashboard_group(name))
        services.append(ServiceSlos(name, naming.slo_rule(name), slos, tuple(groups)))
    return SloRules(period_days=period, services=tuple(services))
