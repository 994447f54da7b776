"""Loki per city: each log class kept for its own period, the class promoted to an index label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs

HOURS_PER_DAY = 24
# Higher wins when selectors overlap; audit outranks security so a record never loses its longest duty.
PRIORITY = {"audit": 2, "security": 1}


@dataclass(frozen=True)
class LogsPlan:
    retention_days: dict[str, int]  # per log class
    addons: tuple[Addon, ...] = ()


def hours(days: int) -> str:
    """Loki's docs give periods in hours; each must be a whole number of days (24h index period)."""
    return f"{days * HOURS_PER_DAY}h"


def loki_values(retention_days: dict[str, int]) -> dict[str, Any]:
    default = naming.LOG_CLASSES[0]
    streams = [
        {
            "selector": f'{{{naming.LOG_CLASS_LABEL}="{klass}"}}',
            "priority": PRIORITY[klass],
            "period": hours(retention_days[klass]),
        }
        for klass in naming.LOG_CLASSES
        if klass != default
    ]
    return {
        "fullnameOverride": naming.LOKI,
        "deploymentMode": "SingleBinary",
        "singleBinary": {"replicas": 1},
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            # Retention needs TSDB with a 24h index period.
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-01-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {
                "retention_period": hours(retention_days[default]),
                "retention_stream": streams,
                "otlp_config": {
                    "resource_attributes": {
                        "attributes_config": [
                            {"action": "index_label", "attributes": [naming.LOG_CLASS_ATTRIBUTE]},
                        ]
                    }
                },
            },
            "compactor": {
                "retention_enabled": True,
                "delete_request_store": "filesystem",
                "working_directory": "/var/loki/compactor",
            },
        },
        # The simple-scalable defaults would start components SingleBinary already runs.
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
    }


def resolve_logs(inputs: Inputs) -> LogsPlan:
    spec = inputs.spec.observability.logs
    retention = {
        "application": spec.application_retention_days,
        "audit": spec.audit_retention_days,
        "security": spec.security_retention_days,
    }
    values = loki_values(retention)
    addons = tuple(
        Addon(
            name=naming.LOKI,
            stage="charts",
            city=city.name,
            namespace=inputs.spec.network_policy.monitoring_namespace,
            repo_url=naming.GRAFANA_CHARTS,
            chart=naming.LOKI,
            version=spec.loki_chart_version,
            values=values,
        )
        for city in inputs.cities
    )
    return LogsPlan(retention_days=retention, addons=addons)
