"""PrometheusRule: rule groups one city's Prometheus evaluates (the Prometheus Operator selects every one)."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.constructs.manifest import Manifest, RenderChart

CITY_RULE_LABEL = "city"  # the static label every rule of a city carries (contract: rules are per city)


def with_city(rule: dict[str, Any], city: str) -> dict[str, Any]:
    """A rule with `city: <city>` among its labels, so series and alerts say which city's Prometheus made them."""
    labels = {**rule.get("labels", {}), CITY_RULE_LABEL: city}
    return {**rule, "labels": labels}


class PrometheusRule(Manifest):
    """`groups`: Prometheus rule groups as a rules file spells them (name, optional interval, rules)."""

    def __init__(
        self,
        scope: RenderChart,
        *,
        name: str,
        city: str,
        namespace: str,
        labels: dict[str, str],
        groups: list[dict[str, Any]],
        plan: object | None = None,
    ) -> None:
        stamped = [{**group, "rules": [with_city(rule, city) for rule in group["rules"]]} for group in groups]
        body: dict[str, Any] = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"groups": stamped},
        }
        super().__init__(scope, body, plan=plan)
