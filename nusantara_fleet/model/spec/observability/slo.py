"""The design's service level objectives."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import Spec


class SloSpec(Spec):
    """The design's service level objectives over a rolling window."""

    success_pct: float = Field(gt=0, lt=100, description="Non-5xx share of requests, % (the design: 99.6).")
    latency_p95_ms: int = Field(ge=1, description="95th percentile latency bound, ms (the design: 300).")
    availability_pct: float = Field(gt=0, lt=100, description="Availability, % (the design: 99.95).")
    window_days: int = Field(ge=1, le=90, description="SLO window, days (the design: 30).")
