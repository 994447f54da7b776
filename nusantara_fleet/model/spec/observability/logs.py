"""The log pipeline."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class LogsSpec(Spec):
    """The log pipeline."""
