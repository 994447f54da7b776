"""ConfigMap of the data layer: each kind of member's patroni.yml and the pods' scripts, reviewed in the diff."""

from __future__ import annotations

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import ConfigPlan


class ConfigMap(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: ConfigPlan) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": data_metadata(city, plan.identity, kind="ConfigMap", namespace=namespace),
                "data": plan.data,
            },
            plan=plan,
        )
