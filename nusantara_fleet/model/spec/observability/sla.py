"""The design's SLA table: each row one alert with its urgency, response and resolution times."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nusantara_fleet.model.spec.common import ALERT_NAME, Spec

# high pages someone now; medium opens a ticket handled within the response time.
Urgency = Literal["high", "medium"]
# The `severity` label of an alert of each urgency: what Alertmanager routes on, in the names the
# Prometheus Operator's own rules use.
SEVERITY: dict[Urgency, str] = {"high": "critical", "medium": "warning"}
# What each row detects; the model turns each into PromQL (model/observability/sla.py).
SlaCondition = Literal[
    "all_cities_down",  # every city's edge fails its probes
    "cities_down",  # at least `cities` cities' edges fail, but not all of them
    "non_primary_city_down",  # exactly one city other than the primary fails
    "reporting_down_everywhere",  # no city's reporting database answers
    "reporting_down_one_city",  # one city's reporting database does not answer
    "service_main_down",  # a service lost replicas but still serves from the others
    "traffic_surge",  # a city's request rate is over its share of the design capacity
    "slow_server",  # a city's p95 latency is over the latency SLO
]


class SlaRowSpec(Spec):
    alert: str = Field(pattern=ALERT_NAME, description="Alert name (PascalCase); also the runbook page's name.")
    summary: str = Field(min_length=1, max_length=200, description="The row as the design words it.")
    condition: SlaCondition = Field(description="What the alert detects.")
    cities: int | None = Field(
        default=None, ge=1, description="With `condition: cities_down`: how many cities down fire it."
    )
    urgency: Urgency = Field(description="high pages, medium opens a ticket.")
    response_minutes: int = Field(ge=1, le=1440, description="Time to first response, minutes.")
    resolution_minutes: int = Field(ge=1, le=10080, description="Time to resolution, minutes.")
