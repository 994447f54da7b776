"""Locality failover of one city: a DestinationRule per Service, and a VirtualService bounding its requests.

The DestinationRule ranks the cities' endpoints for the city's callers and ejects failing ones (the plan:
`model/traffic/failover.py`); its body is the same in every city, since the mesh merges same-name
Services and each city's istiod reads only its own cluster's rules. The VirtualService sets the request
timeout that turns a hung pod into local-origin failures the outlier detection counts.
"""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.traffic.failover import Destination, FailoverPlan

COMPONENT: naming.Component = "network"
API_VERSION = "networking.istio.io/v1"


def _seconds(value: int) -> str:
    return f"{value}s"


def _metadata(fleet: Fleet, city: City, name: str) -> dict[str, Any]:
    return {
        "labels": city.labels(name=name, component=COMPONENT, version=naming.GENERATOR_VERSION),
        "name": name,
        "namespace": fleet.spec.namespaces.apps,
    }


class DestinationRule(Manifest):
    def __init__(
        self, scope: RenderChart, *, fleet: Fleet, city: City, plan: FailoverPlan, destination: Destination
    ) -> None:
        outlier = plan.outlier
        metadata = _metadata(fleet, city, destination.name)
        metadata["annotations"] = {
            naming.FAILOVER_SECONDS: str(plan.times.not_ready_seconds),
            naming.EJECTION_SECONDS: str(plan.times.ejection_seconds),
        }
        spec = {
            "host": destination.host,
            "trafficPolicy": {
                "loadBalancer": {
                    "localityLbSetting": {
                        "enabled": True,
                        "failover": [{"from": step.from_region, "to": step.to_region} for step in plan.steps],
                    },
                    "simple": plan.load_balancer,
                },
                "outlierDetection": {
                    "baseEjectionTime": _seconds(outlier.base_ejection_seconds),
                    "consecutive5xxErrors": outlier.consecutive_5xx_errors,
                    "consecutiveGatewayErrors": outlier.consecutive_gateway_errors,
                    "consecutiveLocalOriginFailures": outlier.consecutive_local_origin_failures,
                    "interval": _seconds(outlier.interval_seconds),
                    "maxEjectionPercent": outlier.max_ejection_pct,
                    "splitExternalLocalOriginErrors": outlier.split_local_origin_errors,
                },
            },
        }
        body = {"apiVersion": API_VERSION, "kind": "DestinationRule", "metadata": metadata, "spec": spec}
        super().__init__(scope, body, plan=plan)


class VirtualService(Manifest):
    def __init__(
        self, scope: RenderChart, *, fleet: Fleet, city: City, plan: FailoverPlan, destination: Destination
    ) -> None:
        spec = {
            "hosts": [destination.host],
            "http": [
                {
                    "route": [{"destination": {"host": destination.host}}],
                    "timeout": _seconds(plan.request_timeout_seconds),
                }
            ],
        }
        body = {
            "apiVersion": API_VERSION,
            "kind": "VirtualService",
            "metadata": _metadata(fleet, city, destination.name),
            "spec": spec,
        }
        super().__init__(scope, body, plan=plan)


def render_city_failover(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    plan = fleet.traffic.failover
    for destination in plan.destinations[city.name]:
        DestinationRule(chart, fleet=fleet, city=city, plan=plan, destination=destination)
        if destination.http:
            VirtualService(chart, fleet=fleet, city=city, plan=plan, destination=destination)
