"""The notification budget of an alert: everything between an outage and its first notification.

The worst case from the outage to the notification is one probe (or scrape) interval, until the failed
sample arrives; one rule evaluation interval, until the rule sees it; the alert's `for:`; and
Alertmanager's `group_wait` before the first notification of a new group. The four together must fit
the row's response time:

    probe interval + rule interval + for + group_wait <= response

`group_wait` is a share of the response (`routing.group_wait_share_pct`); `for:` takes what is left.
The SLA rules (sla.py) and the Alertmanager routes (routing.py) both read this one budget, so the rule's
`for:` and the route's `group_wait` can never together overshoot the response time.
"""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.spec.observability import ObservabilitySpec

SECONDS_PER_MINUTE = 60


@dataclass(frozen=True)
class NotificationBudget:
    response_seconds: int
    probe_interval_seconds: int
    rule_interval_seconds: int
    group_wait_seconds: int
    for_seconds: int  # negative when the response time cannot hold the other three

    @property
    def chain_seconds(self) -> int:
        """The worst case from the outage to the first notification."""
        return self.probe_interval_seconds + self.rule_interval_seconds + self.for_seconds + self.group_wait_seconds

    @property
    def fits(self) -> bool:
        return self.for_seconds >= 0


def notification_budget(observability: ObservabilitySpec, response_minutes: int) -> NotificationBudget:
    """The budget of an alert whose response time is `response_minutes`."""
    scrape = observability.scrape
    response = response_minutes * SECONDS_PER_MINUTE
    group_wait = max(1, response * observability.routing.group_wait_share_pct // 100)
    return NotificationBudget(
        response_seconds=response,
        probe_interval_seconds=scrape.interval_seconds,
        rule_interval_seconds=scrape.rule_interval_seconds,
        group_wait_seconds=group_wait,
        for_seconds=response - scrape.interval_seconds - scrape.rule_interval_seconds - group_wait,
    )
