"""Traffic plan: mesh."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.traffic.inputs import Inputs


@dataclass(frozen=True)
class MeshPlan:
    addons: tuple[Addon, ...] = ()


def resolve_mesh(inputs: Inputs) -> MeshPlan:
    return MeshPlan()
