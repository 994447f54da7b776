"""Placeholder of the traces area: the plan and its resolver, replaced by the area's implementation."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs


@dataclass(frozen=True)
class TracesPlan:
    addons: tuple[Addon, ...] = ()


def resolve_traces(inputs: Inputs) -> TracesPlan:
    return TracesPlan()
