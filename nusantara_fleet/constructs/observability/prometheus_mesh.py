"""The objects of the Prometheus path across cities that live in the city's tree: the AuthorizationPolicy and
the PeerAuthentication on the Prometheus pods. Their Services are kube-prometheus-stack's (`extraManifests`,
its values from model/observability/prometheus_mesh.py)."""

from __future__ import annotations

from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.constructs.traffic.mesh import AuthorizationPolicy, PermissivePortAuthentication
from nusantara_fleet.model import City, Fleet


def render_city_prometheus_mesh(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    mesh = fleet.observability.prometheus_mesh
    AuthorizationPolicy(chart, city=city, plan=mesh.authorization)
    PermissivePortAuthentication(chart, city=city, plan=mesh.permissive)
