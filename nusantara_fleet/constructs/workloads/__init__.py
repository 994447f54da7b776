"""The application workloads of a city: every service with its canary, the edge, and the report cache."""

from __future__ import annotations

from constructs import Construct

from nusantara_fleet.constructs.workloads.app_config import AppConfig
from nusantara_fleet.constructs.workloads.deployment import Deployment
from nusantara_fleet.constructs.workloads.external_secret import AppExternalSecret
from nusantara_fleet.constructs.workloads.gateway import Gateway
from nusantara_fleet.constructs.workloads.hpa import HorizontalPodAutoscaler
from nusantara_fleet.constructs.workloads.httproute import HTTPRoute, HTTPSRedirect
from nusantara_fleet.constructs.workloads.ingress import Ingress
from nusantara_fleet.constructs.workloads.pdb import PodDisruptionBudget
from nusantara_fleet.constructs.workloads.redis import RedisStatefulSet
from nusantara_fleet.constructs.workloads.service import Service
from nusantara_fleet.constructs.workloads.service_account import ServiceAccount
from nusantara_fleet.model import City, Fleet


def render_city_workloads(scope: Construct, *, fleet: Fleet, city: City) -> None:
    plan = fleet.workloads.city(city)
    for secret in plan.secrets:
        AppExternalSecret(scope, fleet=fleet, city=city, plan=secret)
    for app in plan.apps:
        version = app.stable.version
        ServiceAccount(scope, fleet=fleet, city=city, name=app.name, version=version, plan=app)
        AppConfig(scope, fleet=fleet, city=city, app=app)
        HorizontalPodAutoscaler(scope, fleet=fleet, city=city, app=app)
        for variant in app.variants:
            Deployment(scope, fleet=fleet, city=city, app=app, variant=variant)
            Service(
                scope,
                fleet=fleet,
                city=city,
                name=variant.name,
                plan=app,
                version=variant.version,
                ports={"http": app.port, "metrics": app.metrics_port},
            )
            if variant.disruption_budget:
                PodDisruptionBudget(
                    scope,
                    fleet=fleet,
                    city=city,
                    name=variant.name,
                    plan=app,
                    version=variant.version,
                    min_available=app.pdb_min_available,
                    unhealthy_eviction=app.pdb_unhealthy_eviction,
                )
    edge = plan.edge
    if edge.mode == "gateway-api":
        Gateway(scope, fleet=fleet, city=city, edge=edge)
        for route in edge.routes:
            HTTPRoute(scope, fleet=fleet, city=city, edge=edge, route=route)
        HTTPSRedirect(scope, fleet=fleet, city=city, edge=edge)
    else:
        for route in edge.routes:
            for variant in edge.backends:
                Ingress(scope, fleet=fleet, city=city, edge=edge, route=route, variant=variant)
    cache = plan.cache
    if cache is not None:
        name, version = cache.name, cache.version
        ServiceAccount(scope, fleet=fleet, city=city, name=name, version=version, plan=cache)
        RedisStatefulSet(scope, fleet=fleet, city=city, cache=cache)
        Service(
            scope,
            fleet=fleet,
            city=city,
            name=name,
            plan=cache,
            version=version,
            ports={"redis": cache.port},
        )
        PodDisruptionBudget(
            scope,
            fleet=fleet,
            city=city,
            name=name,
            plan=cache,
            version=version,
            min_available=cache.pdb_min_available,
            unhealthy_eviction=cache.pdb_unhealthy_eviction,
        )
