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
    series_per_target: int = Field(
        default=1500,
        ge=1,
        le=1_000_000,
        description="Series each scraped target (a pod or a probe) exposes, for sizing Prometheus's volume. "
        "Default: a service's runtime metrics (a few hundred) plus its request counter and 15-bucket latency "
        "histogram by route, method and status; probes expose far fewer, which leaves room for the chart's "
        "own targets (kube-state-metrics, the kubelet).",
    )
    bytes_per_sample: float = Field(
        default=2.0,
        gt=0,
        le=16,
        description="Bytes a sample takes on disk after compression. Default: the top of the 1-2 bytes the "
        "Prometheus storage documentation gives.",
    )
    storage_headroom_pct: int = Field(
        default=50,
        ge=0,
        le=400,
        description="Room on Prometheus's volume beyond the retained samples, %. Default: compaction writes a "
        "merged block before it deletes its sources, and the write-ahead log holds the last hours uncompressed.",
    )
