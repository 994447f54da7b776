"""The monitoring stack's charts."""

from __future__ import annotations

from nusantara_fleet.model.spec.common import Spec


class StackSpec(Spec):
    """The monitoring stack's charts."""
