"""Traffic plan: failover."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.traffic.inputs import Inputs


@dataclass(frozen=True)
class FailoverPlan:
    addons: tuple[Addon, ...] = ()


def resolve_failover(inputs: Inputs) -> FailoverPlan:
    return FailoverPlan()
