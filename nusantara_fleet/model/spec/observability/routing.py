"""How Alertmanager routes the alerts."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import Spec


class RoutingSpec(Spec):
    """How Alertmanager routes the alerts."""

    group_wait_share_pct: int = Field(
        default=10,
        ge=1,
        le=50,
        description="Share of an SLA row's response time Alertmanager waits to group its first notification, %. "
        "Default: 10, which leaves nine tenths of the response time to rule evaluation and the alert's `for`.",
    )
    credentials_key: str = Field(
        default="nusantaramart/alerting",
        min_length=1,
        description="Key in the secret store holding the receivers' credentials (the pager's routing key, the "
        "ticket channel's webhook URL). Default: one subtree per concern, as the database's secrets have.",
    )
