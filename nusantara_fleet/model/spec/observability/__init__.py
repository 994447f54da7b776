"""What `envs/` may say about how the fleet is watched: SLOs, the SLA table, and the monitoring stack."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import BASE_URL, Spec
from nusantara_fleet.model.spec.observability.burn import BurnAlertsSpec
from nusantara_fleet.model.spec.observability.dashboards import DashboardsSpec
from nusantara_fleet.model.spec.observability.logs import LogsSpec
from nusantara_fleet.model.spec.observability.routing import RoutingSpec
from nusantara_fleet.model.spec.observability.scrape import ScrapeSpec
from nusantara_fleet.model.spec.observability.sla import SlaCondition, SlaRowSpec, Urgency
from nusantara_fleet.model.spec.observability.slo import SloSpec
from nusantara_fleet.model.spec.observability.stack import StackSpec
from nusantara_fleet.model.spec.observability.traces import TracesSpec

__all__ = [
    "BurnAlertsSpec",
    "DashboardsSpec",
    "LogsSpec",
    "ObservabilitySpec",
    "RoutingSpec",
    "ScrapeSpec",
    "SlaCondition",
    "SlaRowSpec",
    "SloSpec",
    "StackSpec",
    "TracesSpec",
    "Urgency",
]


class ObservabilitySpec(Spec):
    """How the fleet is watched: every figure here is the design's, every default has its reason."""

    sla: list[SlaRowSpec] = Field(min_length=1, description="The design's SLA table: each row is one alert.")
    runbook_base_url: str = Field(
        default="https://github.com/nusantaramart/nusantara-fleet/blob/main/runbooks",
        pattern=BASE_URL,
        description="Where the `runbooks/` folder is browsed; each alert's `runbook_url` is this plus "
        "`/<alert>.md`. Default: the repository's main branch, so a page always matches the rules it serves.",
    )
    burn: BurnAlertsSpec = Field(default=BurnAlertsSpec(), description="Multiwindow multi-burn-rate alerting.")
    scrape: ScrapeSpec = Field(default=ScrapeSpec(), description="What Prometheus scrapes and probes.")
    routing: RoutingSpec = Field(default=RoutingSpec(), description="Alertmanager routing of the alerts.")
    dashboards: DashboardsSpec = Field(default=DashboardsSpec(), description="The Grafana dashboards.")
    logs: LogsSpec = Field(default=LogsSpec(), description="The log pipeline: retention per class, PII masking.")
    traces: TracesSpec = Field(default=TracesSpec(), description="The trace pipeline.")
    stack: StackSpec = Field(default=StackSpec(), description="The monitoring stack's charts, pinned.")
