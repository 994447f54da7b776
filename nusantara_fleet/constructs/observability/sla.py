"""The SLA table's PrometheusRule in one city: one alert per row (model/observability/sla.py)."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.observability.prometheus_rule import PrometheusRule
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.observability.sla import SlaRules


def sla_groups(rules: SlaRules) -> list[dict[str, Any]]:
    """The rule groups as a rules file spells them (also what promtool reads)."""
    alerts = [
        {
            "alert": alert.name,
            "expr": alert.expr,
            "for": f"{alert.for_seconds}s",
            "labels": alert.labels,
            "annotations": alert.annotations,
        }
        for alert in rules.alerts
    ]
    return [{"name": rules.name, "interval": rules.interval, "rules": alerts}]


def render_city_sla(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    rules = fleet.observability.sla
    PrometheusRule(
        chart,
        name=rules.name,
        city=city.name,
        namespace=rules.namespace,
        labels=city.labels(name=naming.SLA_RULE, component="observability", version=naming.GENERATOR_VERSION),
        groups=sla_groups(rules),
        plan=rules,
    )
