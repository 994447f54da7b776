"""StorageClass `ssd-retain`: local SSD/NVMe volumes that outlive their claims and can grow in place."""

from __future__ import annotations

from typing import Any

from nusantara_fleet.constructs.data.meta import data_metadata
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet


class StorageClass(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City) -> None:
        storage = fleet.spec.database.storage
        super().__init__(
            scope,
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": data_metadata(
                    fleet=fleet, city=city, kind="StorageClass", name=storage.class_name, namespaced=False
                ),
                "allowVolumeExpansion": True,
                "parameters": storage.parameters,
                "provisioner": storage.provisioner,
                # A deleted claim must never take a database's data with it.
                "reclaimPolicy": "Retain",
                # Bind where the pod lands: a local volume on another node is of no use to it.
                "volumeBindingMode": "WaitForFirstConsumer",
            },
        )


def claim_template(name: str, size: str, storage_class: str) -> dict[str, Any]:
    """A StatefulSet's volumeClaimTemplate on the retained storage class."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
        },
    }
