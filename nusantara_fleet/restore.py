"""`fleet restore`: a point-in-time recovery of one city's database, rendered for review (never applied).

The plans come from `model/data/resolve.py` (`restore_plans`); this renders them with the data
layer's own ConfigMap and StatefulSet constructs into a folder of YAML files.
"""

from __future__ import annotations

from pathlib import Path

from cdk8s import App, YamlOutputType

from nusantara_fleet.constructs.data.config_map import ConfigMap
from nusantara_fleet.constructs.data.statefulset import StatefulSet
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data.patroni import RestoreTarget
from nusantara_fleet.model.data.resolve import restore_plans
from nusantara_fleet.model.data.restore import SOURCE


def restore_city(fleet: Fleet, name: str) -> City:
    names = [c.name for c in fleet.cities]
    if name not in names:
        raise ConfigError([Problem(SOURCE, None, "--city", f"unknown city {name!r}; cities: {', '.join(names)}")])
    return fleet.city(name)


def synth_restore(fleet: Fleet, city: City, target: RestoreTarget, outdir: Path) -> list[Path]:
    app = App(outdir=str(outdir), yaml_output_type=YamlOutputType.FILE_PER_RESOURCE)
    chart = RenderChart(app, f"restore-{city.name}")
    config, members = restore_plans(fleet.spec, fleet.data, city, target)
    namespace = fleet.spec.namespaces.data
    ConfigMap(chart, city=city, namespace=namespace, plan=config)
    StatefulSet(chart, city=city, namespace=namespace, plan=members)
    app.synth()
    return sorted(outdir.glob("*.yaml"))
