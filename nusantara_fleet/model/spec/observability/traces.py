"""The trace pipeline."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class TracesSpec(Spec):
    """The trace pipeline."""
