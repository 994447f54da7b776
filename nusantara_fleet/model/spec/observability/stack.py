"""The monitoring stack's charts."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import IMAGE_TAG, Spec


class StackSpec(Spec):
    """The monitoring stack's charts."""

    chart_version: str = Field(
        default="88.5.3",
        pattern=IMAGE_TAG,
        description="prometheus-community/kube-prometheus-stack chart version, exact (never a range or "
        "`latest`). Default: the release whose Prometheus Operator (v0.93) CRDs the gate validates against "
        "(nusantara_fleet/validate/crds/).",
    )
    retention_margin_days: int = Field(
        default=2,
        ge=0,
        le=30,
        description="Days Prometheus keeps beyond the SLO window. Default: 2, so the budget queries over the "
        "whole window (`[<window>d]`) stay complete across a day of Prometheus downtime or a late block cut.",
    )
