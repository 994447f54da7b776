"""ConfigMap `city-facts`: who this city is in the fleet, for the workloads and for fleet-wide policy."""

from __future__ import annotations

import json

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.model import City, Fleet


class CityFacts(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet, city: City) -> None:
        peers = {other.name: other.network.pod_cidr for other in fleet.cities if other.name != city.name}
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "labels": city.labels(
                        name=naming.CITY_FACTS, component="platform", version=naming.GENERATOR_VERSION
                    ),
                    "name": naming.CITY_FACTS,
                    "namespace": fleet.spec.namespaces.apps,
                },
                "data": {
                    "city": city.name,
                    "claim-sizes": json.dumps(fleet.data.claim_sizes(city.name), sort_keys=True),
                    "gated": json.dumps(city.gated),
                    "peer-pod-cidrs": json.dumps(peers, sort_keys=True),
                    "pod-cidr": city.network.pod_cidr,
                    "primary-city": fleet.primary.name,
                    "role": city.role,
                    "rollout-wave": str(city.wave),
                    "service-cidr": city.network.service_cidr,
                },
            },
            plan=city,
        )
