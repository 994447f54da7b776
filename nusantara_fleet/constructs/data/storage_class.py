"""StorageClass `ssd-retain`: local SSD/NVMe volumes that outlive their claims and can grow in place."""

from __future__ import annotations

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.plans import StorageClassPlan


class StorageClass(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, plan: StorageClassPlan) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": data_metadata(city, plan.identity, kind="StorageClass", namespace=None),
                "allowVolumeExpansion": plan.expandable,
                "parameters": plan.parameters,
                "provisioner": plan.provisioner,
                "reclaimPolicy": plan.reclaim_policy,
                "volumeBindingMode": plan.binding_mode,
            },
            plan=plan,
        )
