"""Istio's locality priorities, ported, and the DestinationRule invariants the failover tests check.

`priorities` is `applyLocalityFailover` with `util.LbPriority` from istio/istio 1.30.3
(pilot/pkg/networking/core/loadbalancer/loadbalancer.go, pilot/pkg/networking/util/util.go), for
endpoints grouped by locality as EDS sends them, and `failover_enabled` the condition
`ApplyLocalityLoadBalancer` runs it under (outlier detection set; `distribute` wins when present).
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming

Locality = tuple[str, str, str]  # region, zone, subzone


def lb_priority(proxy: Locality, endpoint: Locality) -> int:
    if proxy[0] == endpoint[0]:
        if proxy[1] == endpoint[1]:
            return 0 if proxy[2] == endpoint[2] else 1
        return 2
    return 3


def priorities(proxy: Locality, endpoints: list[Locality], failover: list[dict[str, str]]) -> list[int]:
    """The priority of each endpoint locality for one calling proxy, compacted to 0..N without gaps."""
    assigned = []
    for endpoint in endpoints:
        priority = lb_priority(proxy, endpoint)
        if priority == 3:
            for setting in failover:
                if setting["from"] == proxy[0]:
                    if endpoint[0] != setting["to"]:
                        priority = 4
                    break  # only the first entry for the proxy's region counts
        assigned.append(priority)
    ranks = {priority: rank for rank, priority in enumerate(sorted(set(assigned)))}
    return [ranks[priority] for priority in assigned]


def failover_enabled(dr: dict[str, Any]) -> bool:
    policy = dr["spec"].get("trafficPolicy", {})
    setting = policy.get("loadBalancer", {}).get("localityLbSetting", {})
    return bool("outlierDetection" in policy and setting.get("enabled", True) and not setting.get("distribute"))


def order(dr: dict[str, Any], city: str, cities: list[str]) -> list[set[str]]:
    """The cities a proxy in `city` uses under this DestinationRule, best first; a set holds a shared priority."""
    regions = [naming.node_region(name) for name in cities]
    if not failover_enabled(dr):
        return [set(cities)]
    failover = dr["spec"]["trafficPolicy"]["loadBalancer"]["localityLbSetting"].get("failover", [])
    ranks = priorities((naming.node_region(city), "", ""), [(region, "", "") for region in regions], failover)
    return [{name for name, rank in zip(cities, ranks, strict=True) if rank == level} for level in sorted(set(ranks))]


def problems(dr: dict[str, Any], cities: list[str]) -> list[str]:
    """What breaks the locality failover invariants (traffic.md §4): empty when the DestinationRule holds them."""
    found: list[str] = []
    policy = dr["spec"].get("trafficPolicy", {})
    setting = policy.get("loadBalancer", {}).get("localityLbSetting")
    if setting is None:
        return found
    outlier = policy.get("outlierDetection")
    if outlier is None:
        found.append("localityLbSetting without outlierDetection")
    else:
        if outlier.get("maxEjectionPercent") != 100:
            found.append(f"maxEjectionPercent {outlier.get('maxEjectionPercent')!r}, not an explicit 100")
        if "consecutive5xxErrors" not in outlier:
            found.append("consecutive5xxErrors left to Istio's default (5: every 5xx ejects)")
    if "distribute" in setting:
        found.append("distribute given: Istio rejects it beside failover, and it replaces the ranking")
    regions = {naming.node_region(city) for city in cities}
    steps = setting.get("failover", [])
    for step in steps:
        if step["from"] == step["to"]:
            found.append(f"failover from {step['from']!r} to itself")
        for end in (step["from"], step["to"]):
            if "/" in end or "*" in end:
                found.append(f"failover region {end!r} is not a plain region (Istio rejects '/' and '*')")
            elif end not in regions:
                found.append(f"failover region {end!r} is no city's region")
    sources = [step["from"] for step in steps]
    if len(sources) != len(set(sources)):
        found.append("several failover entries for one region: Istio reads only the first")
    return found
