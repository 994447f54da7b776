"""AppProjects: one for the cities (destinations, the release-manager role, the gate's sync window) and
one for the root Application, which alone may write Argo CD's own objects on the management cluster."""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import delivery_labels, setup_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import ADDON_CLUSTER_KINDS, CITY_CLUSTER_KINDS, FLEET_KINDS


class CitiesProject(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        delivery = fleet.delivery
        gated = fleet.gated_city
        gated_app = f"{delivery.project}/{delivery.city_app(gated.name)}"
        gated_data_app = f"{delivery.project}/{delivery.data_app(gated.name)}"
        role = f"proj:{delivery.project}:{naming.RELEASE_MANAGER}"
        window = delivery.gate_window
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": setup_metadata(
                    fleet=fleet, name=delivery.project, labels=delivery_labels(fleet=fleet, name=delivery.project)
                ),
                "spec": {
                    "clusterResourceWhitelist": list(CITY_CLUSTER_KINDS),
                    "description": f"The {len(fleet.cities)} cities of {fleet.spec.project}; "
                    f"{gated.name} syncs only by hand",
                    "destinations": [
                        {"name": city.name, "namespace": namespace}
                        for city in fleet.cities
                        for namespace in delivery.namespaces
                    ],
                    "orphanedResources": {"warn": True},
                    "roles": [
                        {
                            "description": f"Release managers: the only role that may sync {gated.name}",
                            "groups": list(delivery.release_managers),
                            "name": naming.RELEASE_MANAGER,
                            "policies": [
                                f"p, {role}, applications, get, {delivery.project}/*, allow",
                                f"p, {role}, applications, sync, {gated_app}, allow",
                                f"p, {role}, applications, sync, {gated_data_app}, allow",
                            ],
                        }
                    ],
                    "sourceRepos": [delivery.repo_url],
                    "syncWindows": [
                        {
                            "applications": [delivery.city_app(gated.name), delivery.data_app(gated.name)],
                            "clusters": [gated.name],
                            "description": f"{gated.name} waits for a release manager: no automatic sync, "
                            "manual sync allowed",
                            "duration": window.duration,
                            "kind": "deny",
                            "manualSync": True,
                            "schedule": window.schedule,
                            "timeZone": window.time_zone,
                        }
                    ],
                },
            },
            plan=fleet.delivery,
        )


class FleetProject(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        delivery = fleet.delivery
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": setup_metadata(
                    fleet=fleet, name=delivery.root_app, labels=delivery_labels(fleet=fleet, name=delivery.root_app)
                ),
                "spec": {
                    "clusterResourceWhitelist": [],
                    "description": f"Argo CD's own objects for {fleet.spec.project}: projects, Applications, "
                    "cluster registrations, health checks",
                    "destinations": [{"name": naming.IN_CLUSTER, "namespace": delivery.namespace}],
                    "namespaceResourceWhitelist": list(FLEET_KINDS),
                    "sourceRepos": [delivery.repo_url],
                },
            },
            plan=fleet.delivery,
        )


class AddonsProject(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        delivery = fleet.delivery
        addons = fleet.addons
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": setup_metadata(
                    fleet=fleet,
                    name=delivery.addons_project,
                    labels=delivery_labels(fleet=fleet, name=delivery.addons_project),
                ),
                "spec": {
                    "clusterResourceWhitelist": list(ADDON_CLUSTER_KINDS),
                    "description": f"The pinned charts every city of {fleet.spec.project} runs beside the shop",
                    "destinations": [
                        {"name": city, "namespace": namespace}
                        for city, namespace in sorted({(addon.city, addon.namespace) for addon in addons})
                    ],
                    # The charts, and the fleet's repository for each city's platform Application.
                    "sourceRepos": sorted({*(addon.repo_url for addon in addons), delivery.repo_url}),
                },
            },
            plan=addons,
        )
