"""Grafana dashboards: one per city (its services) and one fleet-wide (every city side by side).

Every threshold a panel draws is derived here from the SLOs, the capacity model and `observability.dashboards`;
the constructs only turn these plans into the dashboard model with grafana-foundation-sdk. Panels read the
recording rules of the SLO area (`service:*`, `slo:*`), never the raw histograms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.capacity.demand import NORMAL
from nusantara_fleet.model.cities import City, Service
from nusantara_fleet.model.observability.inputs import Inputs

MS_PER_SECOND = 1000
PCT = 100
# The rule evaluation interval of the recording rules the panels read: reloading faster repeats the same points.
REFRESH = "1m"
DIGITS = 9  # ratios are rounded so float noise (1 - 0.8 = 0.19999999999999996) never reaches a panel


@dataclass(frozen=True)
class Signal:
    """One input of a traffic light: orange from `warning`, red from `bound` (both in the expr's unit)."""

    name: str
    expr: str
    bound: float
    warning: float

    @property
    def state(self) -> str:
        """0 green, 1 orange, 2 red; labelled so `or` keeps the three series apart."""
        level = f"({self.expr} > bool {self.warning:g}) + ({self.expr} > bool {self.bound:g})"
        return f'label_replace({level}, "signal", "{self.name}", "", "")'


@dataclass(frozen=True)
class ServicePanels:
    """The four widgets of one service in one city."""

    service: str
    signals: tuple[Signal, ...]
    rps_expr: str
    share_rps: int  # the city's normal share of the design capacity that reaches this service
    peak_rps: int  # the most the city is sized to take (its share plus a lost city's)
    latency_exprs: tuple[tuple[str, str], ...]  # (legend, expr): p50, p95, p99
    latency_slo_seconds: float
    budget_expr: str
    budget_warning: float  # remaining budget ratio under which the panel turns orange

    @property
    def status_expr(self) -> str:
        return "max(" + " or ".join(signal.state for signal in self.signals) + ")"


@dataclass(frozen=True)
class CityRow:
    """One city on the fleet dashboard: its services' traffic lights, read from its own Prometheus."""

    city: str
    datasource_uid: str
    services: tuple[ServicePanels, ...]
    edge_rps_expr: str


@dataclass(frozen=True)
class DashboardPlan:
    name: str
    uid: str
    title: str
    tags: tuple[str, ...]
    refresh: str
    datasource_uid: str | None  # the city's own Prometheus; None: each panel names its city's
    services: tuple[ServicePanels, ...]  # city dashboard only
    cities: tuple[CityRow, ...]  # fleet dashboard only
    capacity_rps: int  # the design capacity at the fleet's edge
    edge_service: str


@dataclass(frozen=True)
class DashboardsPlan:
    city: dict[str, DashboardPlan]  # city -> its dashboard
    fleet: DashboardPlan
    addons: tuple[Addon, ...] = ()

    def rendered_in(self, city: str) -> tuple[DashboardPlan, ...]:
        """What a city's Grafana loads: its own dashboard and the fleet's."""
        return (self.city[city], self.fleet)


def dashboard_uid(name: str) -> str:
    """Stable across renders and Grafana instances, within Grafana's 40 characters whatever the name."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _whole(value: Fraction) -> int:
    """Rounded up, so a capacity line is never drawn under the load the city was sized for."""
    return int(value) if value.denominator == 1 else -(-value.numerator // value.denominator)


def _service_panels(inputs: Inputs, city: City, service: Service) -> ServicePanels:
    spec = inputs.spec
    slo, warning = spec.slo, spec.observability.dashboards.warning_pct / PCT
    sel = f'{{service="{service.name}"}}'
    error_bound = round((PCT - slo.success_pct) / PCT, DIGITS)
    latency_bound = round(slo.latency_p95_ms / MS_PER_SECOND, DIGITS)
    unavailable_bound = round((PCT - slo.availability_pct) / PCT, DIGITS)
    p95 = f"service:http_request_duration_seconds:p95_5m{sel}"
    demand, share = inputs.demand, Fraction(service.spec.traffic_pct, PCT)
    peak = max(demand.rps(city.name, scenario) for scenario in demand.scenarios if scenario != city.name)
    return ServicePanels(
        service=service.name,
        signals=(
            Signal(
                "errors", f"service:http_errors:ratio_rate5m{sel}", error_bound, round(error_bound * warning, DIGITS)
            ),
            Signal("latency", p95, latency_bound, round(latency_bound * warning, DIGITS)),
            Signal(
                "availability",
                f'slo:sli_error:ratio_rate5m{{service="{service.name}", sloth_slo="availability"}}',
                unavailable_bound,
                round(unavailable_bound * warning, DIGITS),
            ),
        ),
        rps_expr=f"service:http_requests:rate5m{sel}",
        share_rps=_whole(demand.rps(city.name, NORMAL) * share),
        peak_rps=_whole(peak * share),
        latency_exprs=tuple((q, f"service:http_request_duration_seconds:{q}_5m{sel}") for q in ("p50", "p95", "p99")),
        latency_slo_seconds=latency_bound,
        budget_expr=f"slo:period_error_budget_remaining:ratio{sel}",
        budget_warning=round(1 - warning, DIGITS),
    )


def resolve_dashboards(inputs: Inputs) -> DashboardsPlan:
    spec = inputs.spec
    settings = spec.observability.dashboards
    capacity = inputs.demand.band[1]
    edge = spec.edge_service

    def plan(
        name: str,
        title: str,
        *,
        datasource_uid: str | None,
        services: tuple[ServicePanels, ...],
        cities: tuple[CityRow, ...],
    ) -> DashboardPlan:
        return DashboardPlan(
            name=name,
            uid=dashboard_uid(name),
            title=title,
            tags=(spec.project, "observability"),
            refresh=REFRESH,
            datasource_uid=datasource_uid,
            services=services,
            cities=cities,
            capacity_rps=capacity,
            edge_service=edge,
        )

    panels = {
        city.name: tuple(_service_panels(inputs, city, service) for service in inputs.services)
        for city in inputs.cities
    }
    edge_rps = f'sum(service:http_requests:rate5m{{service="{edge}"}})'
    return DashboardsPlan(
        city={
            city.name: plan(
                naming.city_dashboard(city.name),
                f"{city.name}: services against their SLOs",
                datasource_uid=settings.datasource_uid,
                services=panels[city.name],
                cities=(),
            )
            for city in inputs.cities
        },
        fleet=plan(
            naming.DASHBOARD_FLEET,
            "Fleet: every city against the SLOs and the design capacity",
            datasource_uid=None,
            services=(),
            cities=tuple(
                # The edge service only: every user request passes it, so its row is the city as users see
                # it, and the overview grows with the cities, not cities x services (a ConfigMap holds 1 MiB).
                # Each service's own widgets are on its city's dashboard.
                CityRow(
                    city=city.name,
                    datasource_uid=naming.city_datasource(city.name),
                    services=tuple(row for row in panels[city.name] if row.service == edge),
                    edge_rps_expr=edge_rps,
                )
                for city in inputs.cities
            ),
        ),
    )
