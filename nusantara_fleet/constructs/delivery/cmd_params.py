"""ConfigMap `argocd-cmd-params-cm` (application-set strategy): switches on Progressive Syncs and lets the
ApplicationSet's `create-update` policy stop it from deleting a city's Application.

The applicationset-controller reads these at start: restart it once after the first sync.
"""

from __future__ import annotations

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import argocd_labels, setup_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import APPLICATIONSET_PARAMS, ARGOCD_CONFIG_SYNC_OPTIONS


class ArgoCdCmdParams(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": setup_metadata(
                    fleet=fleet,
                    name=naming.ARGOCD_CMD_PARAMS,
                    labels=argocd_labels(fleet=fleet, name=naming.ARGOCD_CMD_PARAMS),
                    sync_options=ARGOCD_CONFIG_SYNC_OPTIONS,
                ),
                "data": APPLICATIONSET_PARAMS,
            },
        )
