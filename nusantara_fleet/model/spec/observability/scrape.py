"""What Prometheus scrapes and probes in every city."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import Spec


class ScrapeSpec(Spec):
    """What Prometheus scrapes and probes in every city."""

    interval_seconds: int = Field(
        default=15,
        ge=5,
        le=60,
        description="How often every probe and scrape runs, seconds. Default: a quarter of the tightest SLA "
        "response (1 minute), so an outage is seen, confirmed and evaluated within it.",
    )
    rule_interval_seconds: int = Field(
        default=15,
        ge=5,
        le=60,
        description="How often the SLA rules are evaluated, seconds. Default: the probe interval; evaluating "
        "faster than samples arrive adds nothing.",
    )
    blackbox_chart_version: str = Field(
        default="11.21.3",
        min_length=1,
        description="prometheus-community/prometheus-blackbox-exporter chart version, exact. Default: the "
        "release current when the probes were written.",
    )
