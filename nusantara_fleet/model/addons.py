"""A chart the fleet installs into a city through Argo CD: the plan of one add-on Application."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# When a chart installs, relative to the others (model/delivery.py gives each stage its sync wave):
# `prerequisites` serve what everything else reads (the secret store, volumes, DNS); `mesh-base` the mesh's
# CRDs and its CNI node agent; `mesh-control` istiod, whose webhook injects every meshed pod started after it;
# `charts` everything else, whose pods may be meshed.
Stage = Literal["prerequisites", "mesh-base", "mesh-control", "charts"]


@dataclass(frozen=True)
class Addon:
    """One pinned Helm chart in one city, its values derived from the model."""

    name: str  # the chart's role in the fleet, e.g. `kube-prometheus-stack`; also the Helm release name
    city: str
    namespace: str
    repo_url: str
    chart: str
    version: str  # an exact chart version: a range would let a chart release change dist/'s meaning
    values: Mapping[str, Any]
    stage: Stage
    # Labels of the namespace Argo CD creates for the chart, for charts whose webhooks select namespaces by label.
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
