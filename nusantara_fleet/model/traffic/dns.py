"""Traffic plan: dns."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.traffic.inputs import Inputs


@dataclass(frozen=True)
class DnsPlan:
    addons: tuple[Addon, ...] = ()


def resolve_dns(inputs: Inputs) -> DnsPlan:
    return DnsPlan()
