"""ConfigMap `argocd-cmd-params-cm` (application-set strategy): switches on Progressive Syncs and lets the
ApplicationSet's `create-update` policy stop it from deleting a city's Application.

The applicationset-controller reads these at start: restart it once after the first sync.
"""

from __future__ import annotations

from nusantara_fleet.constructs.delivery.argocd_cm import argocd_labels
from nusantara_fleet.constructs.delivery.labels import setup_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet

NAME = "argocd-cmd-params-cm"


class ArgoCdCmdParams(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": setup_metadata(fleet=fleet, name=NAME, labels=argocd_labels(fleet=fleet, name=NAME)),
                "data": {
                    "applicationsetcontroller.enable.policy.override": "true",
                    "applicationsetcontroller.enable.progressive.syncs": "true",
                },
            },
        )
