"""What Prometheus scrapes and probes in every city."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class ScrapeSpec(Spec):
    """What Prometheus scrapes and probes in every city."""
