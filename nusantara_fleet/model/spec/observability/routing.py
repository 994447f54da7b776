"""How Alertmanager routes the alerts."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class RoutingSpec(Spec):
    """How Alertmanager routes the alerts."""
