"""ConfigMap `argocd-cm`: the Application health check that makes the root's sync waves wait.

Applied server-side, so only this key is owned here; the rest of argocd-cm stays with the Argo CD install,
and the ConfigMap is never pruned nor deleted with the root Application.
"""

from __future__ import annotations

from importlib.resources import files
from string import Template

from nusantara_fleet import naming
from nusantara_fleet.constructs.delivery.labels import argocd_labels, setup_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import Fleet
from nusantara_fleet.model.delivery import ARGOCD_CONFIG_SYNC_OPTIONS

HEALTH_KEY = "resource.customizations.health.argoproj.io_Application"


def application_health_lua() -> str:
    text = files(__package__).joinpath("application_health.lua").read_text(encoding="utf-8")
    return Template(text).substitute(gate_annotation=naming.GATE_ANNOTATION)


class ArgoCdConfig(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": setup_metadata(
                    fleet=fleet,
                    name=naming.ARGOCD_CM,
                    labels=argocd_labels(fleet=fleet, name=naming.ARGOCD_CM),
                    sync_options=ARGOCD_CONFIG_SYNC_OPTIONS,
                ),
                "data": {HEALTH_KEY: application_health_lua()},
            },
        )
