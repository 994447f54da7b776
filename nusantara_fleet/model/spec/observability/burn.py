"""Multiwindow multi-burn-rate alerting of every SLO."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class BurnAlertsSpec(Spec):
    """Multiwindow multi-burn-rate alerting of every SLO."""
