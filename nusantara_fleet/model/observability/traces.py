"""The OpenTelemetry Collector and Tempo per city: classify and mask logs, tail-sample traces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.spec.observability.logs import LogsSpec

# RE2 (what OTTL's replace_pattern runs). The design's `Mich*** And*** Hus***` keeps four characters
# of the first word and three of each other word; a word shorter than that is kept whole. Both are
# idempotent, so a record masked twice reads the same. No backslashes: nothing to escape in OTTL strings.
FIRST_WORD = "^([^ ]{1,4})[^ ]*"
OTHER_WORDS = "( +)([^ ]{1,3})[^ ]*"
EMAIL_LOCAL = "^([^@ ]{1,3})[^@ ]*@"
# `$$` because the collector expands `${...}` in its config before OTTL sees it.
FIRST_WORD_REPLACEMENT = "$${1}***"
OTHER_WORDS_REPLACEMENT = "$${1}$${2}***"
EMAIL_REPLACEMENT = "$${1}***@"


@dataclass(frozen=True)
class TracesPlan:
    collector_host: str  # the collector's Service in the monitoring namespace
    addons: tuple[Addon, ...] = ()


def mask_statements(context: str, logs: LogsSpec) -> list[str]:
    attributes = f"{context}.attributes"
    statements = []
    for key in logs.full_name_attributes:
        statements.append(f'replace_pattern({attributes}["{key}"], "{FIRST_WORD}", "{FIRST_WORD_REPLACEMENT}")')
        statements.append(f'replace_pattern({attributes}["{key}"], "{OTHER_WORDS}", "{OTHER_WORDS_REPLACEMENT}")')
    for key in logs.email_attributes:
        statements.append(f'replace_pattern({attributes}["{key}"], "{EMAIL_LOCAL}", "{EMAIL_REPLACEMENT}")')
    return statements


def class_statements() -> list[str]:
    attribute = f'log.attributes["{naming.LOG_CLASS_ATTRIBUTE}"]'
    known = "|".join(naming.LOG_CLASSES)
    default = naming.LOG_CLASSES[0]
    return [
        f'set({attribute}, "{default}") where {attribute} == nil',
        f'set({attribute}, "{default}") where not IsMatch({attribute}, "^({known})$")',
    ]


def collector_values(inputs: Inputs) -> dict[str, Any]:
    spec = inputs.spec
    traces = spec.observability.traces
    monitoring = spec.network_policy.monitoring_namespace
    loki = naming.cluster_local_host(naming.LOKI, monitoring)
    tempo = naming.cluster_local_host(naming.TEMPO, monitoring)
    return {
        "fullnameOverride": naming.OTEL_COLLECTOR,
        "mode": "deployment",
        "image": {"repository": naming.OTEL_COLLECTOR_IMAGE},
        "config": {
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"0.0.0.0:{traces.otlp_grpc_port}"},
                        "http": {"endpoint": f"0.0.0.0:{traces.otlp_http_port}"},
                    }
                }
            },
            "processors": {
                "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 15},
                "transform": {
                    "error_mode": "ignore",
                    "log_statements": [
                        {
                            "context": "log",
                            "statements": class_statements() + mask_statements("log", spec.observability.logs),
                        }
                    ],
                    "trace_statements": [
                        {"context": "span", "statements": mask_statements("span", spec.observability.logs)}
                    ],
                },
                # Loki indexes resource attributes only: the class moves from the record to its resource.
                "groupbyattrs": {"keys": [naming.LOG_CLASS_ATTRIBUTE]},
                "tail_sampling": {
                    "decision_wait": f"{traces.decision_wait_s}s",
                    "policies": [
                        {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
                        {
                            "name": "slower-than-slo",
                            "type": "latency",
                            "latency": {"threshold_ms": spec.slo.latency_p95_ms},
                        },
                        {
                            "name": "rest",
                            "type": "probabilistic",
                            "probabilistic": {"sampling_percentage": traces.sample_rest_pct},
                        },
                    ],
                },
                "batch": {},
            },
            "exporters": {
                "otlphttp/loki": {"endpoint": f"http://{loki}:{naming.LOKI_PORT}/otlp"},
                "otlp/tempo": {"endpoint": f"{tempo}:{traces.otlp_grpc_port}", "tls": {"insecure": True}},
            },
            "service": {
                "pipelines": {
                    "logs": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "transform", "groupbyattrs", "batch"],
                        "exporters": ["otlphttp/loki"],
                    },
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "transform", "tail_sampling", "batch"],
                        "exporters": ["otlp/tempo"],
                    },
                }
            },
        },
    }


def tempo_values(inputs: Inputs) -> dict[str, Any]:
    traces = inputs.spec.observability.traces
    return {
        "fullnameOverride": naming.TEMPO,
        "tempo": {
            "retention": f"{traces.tempo_retention_days * 24}h",
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{traces.otlp_grpc_port}"}}}},
        },
    }


def resolve_traces(inputs: Inputs) -> TracesPlan:
    spec = inputs.spec
    traces = spec.observability.traces
    monitoring = spec.network_policy.monitoring_namespace
    collector, tempo = collector_values(inputs), tempo_values(inputs)
    addons: list[Addon] = []
    for city in inputs.cities:
        addons.append(
            Addon(
                name=naming.OTEL_COLLECTOR,
                stage="charts",
                city=city.name,
                namespace=monitoring,
                repo_url=naming.OPENTELEMETRY_CHARTS,
                chart=naming.OTEL_COLLECTOR_CHART,
                version=traces.collector_chart_version,
                values=collector,
            )
        )
        addons.append(
            Addon(
                name=naming.TEMPO,
                stage="charts",
                city=city.name,
                namespace=monitoring,
                repo_url=naming.GRAFANA_CHARTS,
                chart=naming.TEMPO,
                version=traces.tempo_chart_version,
                values=tempo,
            )
        )
    return TracesPlan(collector_host=naming.cluster_local_host(naming.OTEL_COLLECTOR, monitoring), addons=tuple(addons))
