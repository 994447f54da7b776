"""ConfigMap `fleet-topology`: the whole fleet in one reviewed object (primary, rollout, networks)."""

from __future__ import annotations

import json

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.model import Fleet


class FleetTopology(Manifest):
    def __init__(self, scope: Construct, *, fleet: Fleet) -> None:
        cities = {
            city.name: {
                "gated": city.gated,
                "pod_cidr": city.network.pod_cidr,
                "role": city.role,
                "service_cidr": city.network.service_cidr,
                "wave": city.wave,
            }
            for city in fleet.cities
        }
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "labels": naming.fleet_labels(
                        project=fleet.spec.project,
                        name=naming.FLEET_TOPOLOGY,
                        component="platform",
                        version=naming.GENERATOR_VERSION,
                    ),
                    "name": naming.FLEET_TOPOLOGY,
                    "namespace": fleet.delivery.namespace,  # beside Argo CD on the management cluster
                },
                "data": {
                    "cities.json": json.dumps(cities, indent=2, sort_keys=True) + "\n",
                    "primary": fleet.primary.name,
                    "rollout-order": ",".join(city.name for city in fleet.cities),
                },
            },
            plan=fleet.cities,
        )
