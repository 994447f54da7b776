"""The Grafana dashboards."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import DNS_LABEL, Spec


class DashboardsSpec(Spec):
    """The Grafana dashboards: one per city and one fleet-wide, every threshold from the SLOs."""

    warning_pct: int = Field(
        default=80,
        ge=1,
        le=99,
        description="A signal turns a traffic light orange at this % of its SLO bound (red at the bound), and the "
        "error budget panel turns orange when less than 100 - this % is left. Default: 80, so a service is "
        "flagged while a fifth of the margin is still there to act in.",
    )
    datasource_uid: str = Field(
        default="prometheus",
        pattern=DNS_LABEL,
        description="Uid of the city's own Prometheus datasource in its Grafana, which the city dashboard reads. "
        "Default: the uid kube-prometheus-stack's Grafana provisions for its Prometheus.",
    )
