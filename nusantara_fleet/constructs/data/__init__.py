"""The data layer of a city: one construct per Kubernetes concept, each rendering one plan of `model/data/`."""

from __future__ import annotations

from nusantara_fleet.constructs.data.config_map import ConfigMap
from nusantara_fleet.constructs.data.external_secret import ExternalSecret
from nusantara_fleet.constructs.data.jobs import CronJob, Job
from nusantara_fleet.constructs.data.network_policy import NetworkPolicy
from nusantara_fleet.constructs.data.pdb import PodDisruptionBudget
from nusantara_fleet.constructs.data.rbac import Role, RoleBinding, ServiceAccount
from nusantara_fleet.constructs.data.roles_job import HookJob
from nusantara_fleet.constructs.data.service import Service
from nusantara_fleet.constructs.data.statefulset import StatefulSet
from nusantara_fleet.constructs.data.storage_class import StorageClass
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City, Fleet


def render_city_data(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    plan = fleet.data_plans[city.name]
    ns = fleet.spec.namespaces.data
    StorageClass(chart, city=city, plan=plan.storage_class)
    for secret in plan.secrets:
        ExternalSecret(chart, city=city, namespace=ns, plan=secret)
    for account in plan.accounts:
        ServiceAccount(chart, city=city, namespace=ns, plan=account)
        Role(chart, city=city, namespace=ns, plan=account)
        RoleBinding(chart, city=city, namespace=ns, plan=account)
    for config in plan.configs:
        ConfigMap(chart, city=city, namespace=ns, plan=config)
    for member_set in plan.member_sets:
        StatefulSet(chart, city=city, namespace=ns, plan=member_set)
    PodDisruptionBudget(chart, city=city, namespace=ns, plan=plan.disruption)
    for service in plan.services:
        Service(chart, city=city, namespace=ns, plan=service)
    for policy in plan.network_policies:
        NetworkPolicy(chart, city=city, namespace=ns, plan=policy)
    if plan.etcd is not None:
        StatefulSet(chart, city=city, namespace=ns, plan=plan.etcd)
    for cron_job in plan.cron_jobs:
        CronJob(chart, city=city, namespace=ns, plan=cron_job)
    for job in plan.jobs:
        Job(chart, city=city, namespace=ns, plan=job)
    for hook in plan.hooks:
        HookJob(chart, city=city, namespace=ns, plan=hook)
