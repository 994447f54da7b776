"""Placeholder of the slo area: the plan and its resolver, replaced by the area's implementation."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs


@dataclass(frozen=True)
class SloRules:
    addons: tuple[Addon, ...] = ()


def resolve_slo(inputs: Inputs) -> SloRules:
    return SloRules()
