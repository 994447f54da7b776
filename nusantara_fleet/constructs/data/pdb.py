"""PodDisruptionBudget of the members that may lead: drains take them one at a time.

Patroni's /readiness keeps a member unready until it replicates, so the next one is not evicted
before the previous one has caught up.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import MEMBER_NAME


class MembersDisruptionBudget(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        name = fleet.data.city(city.name).member_set
        super().__init__(
            scope,
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": data_metadata(
                    fleet=fleet, city=city, kind="PodDisruptionBudget", name=name, app=MEMBER_NAME
                ),
                "spec": {
                    "maxUnavailable": 1,
                    "selector": {"matchLabels": naming.selector_labels(name=MEMBER_NAME, city=city)},
                    "unhealthyPodEvictionPolicy": "AlwaysAllow",
                },
            },
        )
