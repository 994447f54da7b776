"""The log pipeline: retention per log class, and the attributes whose PII the collector masks."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import CHART_VERSION, Spec


class LogsSpec(Spec):
    """The log pipeline: Loki keeps each class for its own period; PII never reaches it unmasked."""

    application_retention_days: int = Field(
        default=60,
        ge=1,
        description="How long application logs are kept, days; also Loki's default for any stream. "
        "Default: the design's 60 days.",
    )
    audit_retention_days: int = Field(
        default=365, ge=1, description="How long audit logs are kept, days. Default: the design's 365 days."
    )
    security_retention_days: int = Field(
        default=180, ge=1, description="How long security logs are kept, days. Default: the design's 180 days."
    )
    full_name_attributes: list[str] = Field(
        default=["user.full_name"],
        min_length=1,
        description="Log and span attributes holding a person's full name, masked to the design's "
        "`Mich*** And*** Hus***`. Default: the attribute the services log the customer's name under.",
    )
    email_attributes: list[str] = Field(
        default=["user.email"],
        min_length=1,
        description="Log and span attributes holding an email address, masked to the design's "
        "`mye***@iniemailcontoh.com`. Default: the attribute the services log the customer's email under.",
    )
    loki_chart_version: str = Field(
        default="6.49.0",
        pattern=CHART_VERSION,
        description="grafana/loki chart version, exact. Default: 6.49.0, which runs Loki 3.6.3 (Loki 3.x "
        "reads OTLP natively and promotes resource attributes to index labels).",
    )
