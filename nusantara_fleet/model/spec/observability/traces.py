"""The trace pipeline: the collector every service sends to, its sampling, and the trace backend."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import CHART_VERSION, Spec


class TracesSpec(Spec):
    """The OpenTelemetry Collector of each city and Tempo behind it."""

    otlp_grpc_port: int = Field(
        default=4317, ge=1, le=65535, description="The collector's OTLP/gRPC port. Default: OTLP's standard."
    )
    otlp_http_port: int = Field(
        default=4318,
        ge=1,
        le=65535,
        description="The collector's OTLP/HTTP port, which the services export to. Default: OTLP's standard, "
        "and http/protobuf is the SDKs' default protocol.",
    )
    sample_rest_pct: float = Field(
        default=10,
        gt=0,
        le=100,
        description="Share of the traces neither failed nor slower than the latency SLO that is kept, %. "
        "Default: 10, enough healthy traces to compare a slow one against, at a tenth of the storage.",
    )
    decision_wait_s: int = Field(
        default=10,
        ge=1,
        description="How long the collector waits for a trace's last span before deciding on it, seconds. "
        "Default: 10, well above the 300 ms SLO, so a gateway -> service -> database trace is whole.",
    )
    tempo_retention_days: int = Field(
        default=14,
        ge=1,
        description="How long Tempo keeps traces, days. Default: 14, the design's window for checking a "
        "medium-urgency alert, so its traces are still there when it is looked at.",
    )
    collector_chart_version: str = Field(
        default="0.127.2",
        pattern=CHART_VERSION,
        description="open-telemetry/opentelemetry-collector chart version, exact. Default: 0.127.2, whose "
        "contrib image carries the transform, groupbyattrs and tail_sampling processors.",
    )
    tempo_chart_version: str = Field(
        default="1.23.3",
        pattern=CHART_VERSION,
        description="grafana/tempo chart version, exact. Default: 1.23.3, the single-binary chart.",
    )
