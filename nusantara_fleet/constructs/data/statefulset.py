"""StatefulSet of the data layer: Patroni members (one pod per database node) or the city's etcd member.

Volumes are kept when the set is deleted or scaled: a StatefulSet is replaceable, its data is not.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs import pod
from nusantara_fleet.constructs.data.meta import data_labels, data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import StatefulSetPlan


class StatefulSet(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, namespace: str, plan: StatefulSetPlan) -> None:
        template: dict[str, Any] = {"labels": naming.template_labels(data_labels(city, plan.identity))}
        if plan.config_checksum is not None:
            template["annotations"] = {naming.PATRONI_CONFIG_CHECKSUM: plan.config_checksum}
        super().__init__(
            scope,
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": data_metadata(city, plan.identity, kind="StatefulSet", namespace=namespace),
                "spec": {
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                    "podManagementPolicy": "Parallel",
                    "replicas": plan.replicas,
                    "selector": {"matchLabels": city.selector(plan.identity.app)},
                    "serviceName": plan.service,
                    "template": {"metadata": template, "spec": pod.pod_spec(plan.pod)},
                    "updateStrategy": {"type": "RollingUpdate"},
                    "volumeClaimTemplates": [pod.claim_template(plan.claim)],
                },
            },
            plan=plan,
        )
