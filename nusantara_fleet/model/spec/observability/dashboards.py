"""The Grafana dashboards."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class DashboardsSpec(Spec):
    """The Grafana dashboards."""
