"""The ApplicationSet (application-set strategy): one Application per city, synced by Progressive Syncs.

It makes the cities' apps Applications only; their platform and data Applications are the root's own, in
earlier waves (city_application.py). RollingSync steps follow the rollout order; each step waits until every
Application of the previous one is healthy. The gated city's step has `maxUpdate: 0`, so the controller
never syncs it: a release manager does, inside the AppProject's sync window.
"""

from __future__ import annotations

from typing import Any

import yaml

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import application_source, delivery_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import APPS_FIRST_WAVE, CITY_IGNORE_DIFFERENCES, REVISION_HISTORY, sync_policy

# Values the generator hands the template; RollingSync steps select Applications by the city label.
CITY = "{{.city}}"
OTHER_LAYERS = "{{.otherLayers}}"  # the city's files its platform and data Applications sync


def _template_patch() -> str:
    """Per-city differences the structured template cannot express: the gate, or automated sync."""
    gated = yaml.safe_dump({"metadata": {"annotations": {naming.GATE_ANNOTATION: "true"}}}, sort_keys=True)
    automated = yaml.safe_dump({"spec": {"syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}})
    return f'{{{{- if eq .gated "true" }}}}\n{gated}{{{{- else }}}}\n{automated}{{{{- end }}}}\n'


class CityApplicationSet(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        delivery = fleet.delivery
        steps: list[dict[str, Any]] = []
        for city in fleet.cities:
            step: dict[str, Any] = {
                "matchExpressions": [{"key": naming.CITY_LABEL, "operator": "In", "values": [city.name]}]
            }
            if city.gated:
                step["maxUpdate"] = 0
            steps.append(step)
        template_labels = {
            **delivery_labels(fleet=fleet, name=delivery.city_app(CITY), layer="apps"),
            naming.CITY_LABEL: CITY,
            naming.ROLE_LABEL: "{{.role}}",
            naming.ROLLOUT_STEP_LABEL: "{{.step}}",
        }
        super().__init__(
            scope,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "ApplicationSet",
                "metadata": {
                    "annotations": {naming.SYNC_WAVE: str(APPS_FIRST_WAVE)},
                    "labels": delivery_labels(fleet=fleet, name=delivery.project),
                    "name": delivery.project,
                    "namespace": delivery.namespace,
                },
                "spec": {
                    "generators": [
                        {
                            "list": {
                                "elements": [
                                    {
                                        "city": city.name,
                                        "otherLayers": delivery.apps_exclude(city.name),
                                        "gated": "true" if city.gated else "false",
                                        "role": city.role,
                                        "step": str(city.wave),
                                    }
                                    for city in fleet.cities
                                ]
                            }
                        }
                    ],
                    "goTemplate": True,
                    "goTemplateOptions": ["missingkey=error"],
                    "strategy": {
                        "deletionOrder": "Reverse",
                        "rollingSync": {"steps": steps},
                        "type": "RollingSync",
                    },
                    "syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
                    "template": {
                        "metadata": {
                            "annotations": {naming.MANIFEST_PATHS: "."},
                            "labels": template_labels,
                            "name": delivery.city_app(CITY),
                            "namespace": delivery.namespace,
                        },
                        "spec": {
                            "destination": {"name": CITY, "namespace": delivery.default_namespace},
                            "ignoreDifferences": list(CITY_IGNORE_DIFFERENCES),
                            "project": delivery.project,
                            "revisionHistoryLimit": REVISION_HISTORY,
                            "source": application_source(delivery, delivery.city_path(CITY), exclude=OTHER_LAYERS),
                            # automated sync comes per city from the template patch (never for the gate)
                            "syncPolicy": sync_policy(automated=False),
                        },
                    },
                    "templatePatch": _template_patch(),
                },
            },
            plan=(fleet.delivery, fleet.cities),
        )
