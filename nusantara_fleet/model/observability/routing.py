"""Alertmanager routing from the SLA table: high urgency pages, medium opens a ticket.

Each SLA row gets its own route (matching its alert name and severity) with timings derived from the
row's targets:
- group_wait = response time x `routing.group_wait_share_pct`, from the row's notification budget
  (budget.py), the same budget the SLA rule's `for:` is cut from: probe, evaluation, `for:` and
  group_wait together fit the response time.
- group_interval = response time: an alert joining a group that already notified is sent within one
  response time too.
- repeat_interval = resolution time: an alert still firing when its resolution target passes notifies again.
The burn-rate alerts (one name, two severities) route by severity alone, with the timings of the
tightest SLA row of the same urgency (of any, with none): a budget burning fast is as urgent as the most urgent outage.
Warnings are inhibited while a critical of the same alert, city and service fires. Credentials are read
from files Alertmanager mounts from a Secret the secret store fills: none is ever rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.observability.budget import NotificationBudget, notification_budget
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec.observability import ObservabilitySpec
from nusantara_fleet.model.spec.observability.sla import SEVERITY, Urgency

RECEIVER_OF: dict[Urgency, str] = {"high": naming.PAGING_RECEIVER, "medium": naming.TICKET_RECEIVER}
# One notification per alert, city and service: an outage of two cities is two pages, one per city.
GROUP_BY = ("alertname", "city", "service")
SECRET_KEYS = (naming.PAGERDUTY_ROUTING_KEY, naming.TICKET_WEBHOOK_URL)


@dataclass(frozen=True)
class RoutePlan:
    """One child route of the tree: an SLA row (`alert` set) or a burn-rate severity (`alert` None)."""

    alert: str | None
    severity: str
    receiver: str
    group_wait_seconds: int
    group_interval_seconds: int
    repeat_interval_seconds: int
    budget: NotificationBudget  # probe, evaluation, `for:` and group_wait within the response time


@dataclass(frozen=True)
class ReceiversSecretPlan:
    """The ExternalSecret of the receivers' credentials, in each city's monitoring namespace."""

    name: str
    namespace: str
    store: str
    store_key: str
    properties: tuple[str, ...]
    refresh: str


@dataclass(frozen=True)
class RoutingPlan:
    routes: tuple[RoutePlan, ...]
    secret: ReceiversSecretPlan
    rule_interval_seconds: int

    def config(self) -> dict[str, Any]:
        """The Alertmanager configuration (its own file format), as kube-prometheus-stack's `alertmanager.config`."""
        # Nothing else should fire ("no other alerts"); if something does, it is a ticket, not silence. The
        # root's timings are written out: Helm merges this map into the chart's default config, whose own
        # root timings would otherwise stay.
        fallback = next(r for r in self.routes if r.alert is None and r.receiver == naming.TICKET_RECEIVER)
        return {
            "route": {
                **{key: value for key, value in _route(fallback).items() if key != "matchers"},
                "group_by": list(GROUP_BY),
                "routes": [_route(route) for route in self.routes],
            },
            "receivers": [
                {
                    "name": naming.PAGING_RECEIVER,
                    "pagerduty_configs": [
                        {"routing_key_file": naming.alertmanager_secret_file(self.secret.name, SECRET_KEYS[0])}
                    ],
                },
                {
                    "name": naming.TICKET_RECEIVER,
                    "slack_configs": [
                        {
                            "api_url_file": naming.alertmanager_secret_file(self.secret.name, SECRET_KEYS[1]),
                            "send_resolved": True,
                        }
                    ],
                },
            ],
            "inhibit_rules": [
                {
                    "source_matchers": [f'severity="{SEVERITY["high"]}"'],
                    "target_matchers": [f'severity="{SEVERITY["medium"]}"'],
                    "equal": list(GROUP_BY),
                }
            ],
        }


def duration(seconds: int) -> str:
    """Alertmanager's duration form in its largest whole unit: `Nh`, `Nm` or `Ns`."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _route(route: RoutePlan) -> dict[str, Any]:
    matchers = [f'severity="{route.severity}"']
    if route.alert is not None:
        matchers.insert(0, f'alertname="{route.alert}"')
    return {
        "matchers": matchers,
        "receiver": route.receiver,
        "group_wait": duration(route.group_wait_seconds),
        "group_interval": duration(route.group_interval_seconds),
        "repeat_interval": duration(route.repeat_interval_seconds),
    }


def _timed(
    observability: ObservabilitySpec, *, alert: str | None, urgency: Urgency, response: int, resolution: int
) -> RoutePlan:
    budget = notification_budget(observability, response)
    return RoutePlan(
        alert=alert,
        severity=SEVERITY[urgency],
        receiver=RECEIVER_OF[urgency],
        group_wait_seconds=budget.group_wait_seconds,
        group_interval_seconds=budget.response_seconds,
        # Alertmanager re-sends no sooner than the group interval, so a resolution shorter than the
        # response would not repeat any faster.
        repeat_interval_seconds=max(resolution, response) * 60,
        budget=budget,
    )


@traced
def resolve_routing(inputs: Inputs) -> RoutingPlan:
    spec = inputs.spec
    observability = spec.observability
    rule_interval = observability.scrape.rule_interval_seconds
    rows = observability.sla
    routes = [
        _timed(
            observability,
            alert=row.alert,
            urgency=row.urgency,
            response=row.response_minutes,
            resolution=row.resolution_minutes,
        )
        for row in rows
    ]
    for urgency in RECEIVER_OF:
        # With no SLA row of its urgency, the tightest row of the table still times the burn alerts.
        same = [row for row in rows if row.urgency == urgency] or rows
        routes.append(
            _timed(
                observability,
                alert=None,
                urgency=urgency,
                response=min(row.response_minutes for row in same),
                resolution=min(row.resolution_minutes for row in same),
            )
        )
    secrets = spec.database.secrets
    return RoutingPlan(
        routes=tuple(routes),
        secret=ReceiversSecretPlan(
            name=naming.RECEIVERS_SECRET,
            namespace=spec.network_policy.monitoring_namespace,
            store=secrets.store,
            store_key=observability.routing.credentials_key,
            properties=SECRET_KEYS,
            refresh=secrets.refresh,
        ),
        rule_interval_seconds=rule_interval,
    )
