"""ConfigMap `argocd-cmd-params-cm` (application-set strategy): switches on Progressive Syncs and lets the
ApplicationSet's `create-update` policy stop it from deleting a city's Application.

The applicationset-controller reads these at start: restart it once after the first sync.
"""

from __future__ import annotations

from nusantara_fleet.constructs.delivery.argocd_cm import argocd_labels
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import FLEET_SETUP_WAVE, SYNC_WAVE

NAME = "argocd-cmd-params-cm"


class ArgoCdCmdParams(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "annotations": {SYNC_WAVE: str(FLEET_SETUP_WAVE)},
                    "labels": argocd_labels(fleet=fleet, name=NAME),
                    "name": NAME,
                    "namespace": fleet.delivery.namespace,
                },
                "data": {
                    "applicationsetcontroller.enable.policy.override": "true",
                    "applicationsetcontroller.enable.progressive.syncs": "true",
                },
            },
        )
