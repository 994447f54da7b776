"""Writes a synthetic envs/ directory of any size, from the default fleet, for benchmarks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

DEFAULT_ENVS = Path(__file__).resolve().parent.parent / "envs"


def write_envs(target: Path, cities: int, services: int, base: Path = DEFAULT_ENVS) -> Path:
    """A fleet of `cities` cities x `services` services shaped like `base`; returns `target`."""
    fleet: dict[str, Any] = yaml.safe_load((base / "fleet.yaml").read_text())
    template_city: dict[str, Any] = yaml.safe_load((base / f"{fleet['primary']}.yaml").read_text())
    names = [f"city{i:02d}" for i in range(cities)]
    templates = fleet["services"]
    fleet["services"] = []
    for i in range(services):
        svc = copy.deepcopy(templates[i % len(templates)])
        if i >= len(templates):
            svc["name"] = f"{svc['name']}{i}"
            svc["routes"] = [{**route, "path": f"{route['path'].rstrip('/')}/{i}"} for route in svc["routes"]]
        fleet["services"].append(svc)
    # A request reaches one service behind the edge: their shares add up to at most 100 %.
    edge = fleet.get("edge_service", "gateway")
    behind = [svc for svc in fleet["services"] if svc["name"] != edge]
    for svc in behind:
        svc["traffic_pct"] = max(1, 100 // len(behind))
    fleet["primary"] = names[0]
    fleet["rollout"] = {**fleet["rollout"], "order": [*names[1:], names[0]]}
    fleet["rollout"].pop("gated_city", None)
    # A quorum needs one etcd member per city and an odd count; a fleet this size runs standby clusters.
    failover = fleet.get("database", {}).get("failover")
    if failover is not None:
        failover.update(mode="standby-clusters", preference=[names[0], *names[1:]])
    target.mkdir(parents=True, exist_ok=True)
    (target / "fleet.yaml").write_text(yaml.safe_dump(fleet, sort_keys=False))
    for i, name in enumerate(names):
        city = copy.deepcopy(template_city)
        city.pop("services", None)
        city["network"] = {
            "pod_cidr": f"10.{i}.0.0/16",
            "service_cidr": f"10.{100 + i}.0.0/16",
            "edge_address": f"198.18.0.{i + 1}",
            "eastwest_address": f"10.{200 + i}.0.10",
        }
        (target / f"{name}.yaml").write_text(yaml.safe_dump(city, sort_keys=False))
    return target
