"""Namespace of one concern (apps, data…) in one city, enforcing the Pod Security profile the model sets."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest
from nusantara_fleet.model import City
from nusantara_fleet.model.delivery import object_annotations
from nusantara_fleet.model.pod_security import LEVEL, Level, namespace_labels


class Namespace(Manifest):
    def __init__(
        self,
        scope: Construct,
        *,
        city: City,
        name: str,
        labels: Mapping[str, str] | None = None,
        level: Level = LEVEL,
        plan: object = None,
    ) -> None:
        super().__init__(
            scope,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "annotations": object_annotations(kind="Namespace", layer="namespaces"),
                    "labels": {
                        **city.labels(name=name, component="platform", version=naming.GENERATOR_VERSION),
                        **namespace_labels(level),
                        **(labels or {}),
                    },
                    "name": name,
                },
            },
            plan=city if plan is None else plan,
        )
