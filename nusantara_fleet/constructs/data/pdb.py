"""PodDisruptionBudget of the members that may lead: drains take them one at a time."""

from __future__ import annotations

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import DisruptionPlan


class PodDisruptionBudget(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: DisruptionPlan) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": data_metadata(city, plan.identity, kind="PodDisruptionBudget", namespace=namespace),
                "spec": {
                    "maxUnavailable": plan.max_unavailable,
                    "selector": {"matchLabels": plan.selector},
                    "unhealthyPodEvictionPolicy": plan.unhealthy_eviction,
                },
            },
            plan=plan,
        )
