"""Placeholder of the scrape area: the plan and its resolver, replaced by the area's implementation."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.observability.inputs import Inputs


@dataclass(frozen=True)
class ScrapePlan:
    addons: tuple[Addon, ...] = ()


def resolve_scrape(inputs: Inputs) -> ScrapePlan:
    return ScrapePlan()
