"""Each service's SLO rules in one city: a PrometheusRule `<service>-slo` in the monitoring namespace."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.observability.prometheus_rule import PrometheusRule
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.observability.slo import Rule, RuleGroup


def _rule(rule: Rule) -> dict[str, Any]:
    body: dict[str, Any] = {"expr": rule.expr}
    if rule.record is not None:
        body["record"] = rule.record
    if rule.alert is not None:
        body["alert"] = rule.alert
    if rule.labels:
        body["labels"] = dict(rule.labels)
    if rule.annotations:
        body["annotations"] = dict(rule.annotations)
    return body


def _group(group: RuleGroup) -> dict[str, Any]:
    return {"name": group.name, "rules": [_rule(rule) for rule in group.rules]}


def render_city_slo(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    """Objects of this area in one city's chart."""
    for plan in fleet.observability.slo.services:
        labels = city.labels(name=plan.name, component="observability", version=naming.GENERATOR_VERSION)
        labels[naming.SERVICE_LABEL] = plan.service
        PrometheusRule(
            chart,
            name=plan.name,
            city=city.name,
            namespace=fleet.spec.network_policy.monitoring_namespace,
            labels=labels,
            groups=[_group(group) for group in plan.groups],
            plan=plan,
        )
