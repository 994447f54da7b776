"""The data layer of a city: Patroni-managed PostgreSQL, its DCS, endpoints, backups and recap."""

from __future__ import annotations

from nusantara_fleet.constructs.data.etcd import EtcdStatefulSet
from nusantara_fleet.constructs.data.external_secret import ExternalSecret, secret_keys
from nusantara_fleet.constructs.data.jobs import BackupCronJob, PromotionJob, RecapConfig, RecapCronJob
from nusantara_fleet.constructs.data.network_policy import DataDefaultDeny, EtcdIngress, PostgresIngress
from nusantara_fleet.constructs.data.patroni_config import NAME as CONFIG_NAME
from nusantara_fleet.constructs.data.patroni_config import PatroniConfig, config_checksum, config_data
from nusantara_fleet.constructs.data.patroni_statefulset import PatroniStatefulSet
from nusantara_fleet.constructs.data.pdb import MembersDisruptionBudget
from nusantara_fleet.constructs.data.rbac import (
    BACKUP_ACCOUNT,
    PATRONI_ACCOUNT,
    Role,
    RoleBinding,
    ServiceAccount,
    backup_rules,
    patroni_rules,
)
from nusantara_fleet.constructs.data.services import (
    EtcdService,
    MembersService,
    ReadService,
    ReportingService,
    WriteService,
)
from nusantara_fleet.constructs.data.storage_class import StorageClass
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import MEMBER_NAME, REPORTING_NAME


def render_city_data(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    data = fleet.data
    here = data.city(city.name)
    StorageClass(chart, fleet=fleet, city=city)
    for name in secret_keys(city):
        ExternalSecret(chart, fleet=fleet, city=city, name=name)
    for account, rules in ((PATRONI_ACCOUNT, patroni_rules(fleet)), (BACKUP_ACCOUNT, backup_rules(fleet, city))):
        ServiceAccount(chart, fleet=fleet, city=city, name=account)
        Role(chart, fleet=fleet, city=city, name=account, rules=rules)
        RoleBinding(chart, fleet=fleet, city=city, name=account)
    config = config_data(fleet, city)
    PatroniConfig(chart, fleet=fleet, city=city, data=config)
    checksum = config_checksum(config)
    PatroniStatefulSet(
        chart,
        fleet=fleet,
        city=city,
        name=here.member_set,
        app=MEMBER_NAME,
        kind="member",
        role=here.database_role,
        replicas=here.members,
        config_map=CONFIG_NAME,
        config_checksum=checksum,
        cluster=here.scope,
    )
    PatroniStatefulSet(
        chart,
        fleet=fleet,
        city=city,
        name=here.reporting_set,
        app=REPORTING_NAME,
        kind="reporting",
        role="reporting",
        replicas=here.reporting_members,
        config_map=CONFIG_NAME,
        config_checksum=checksum,
        cluster=here.scope,
    )
    MembersDisruptionBudget(chart, fleet=fleet, city=city)
    MembersService(chart, fleet=fleet, city=city)
    WriteService(chart, fleet=fleet, city=city)
    ReadService(chart, fleet=fleet, city=city)
    ReportingService(chart, fleet=fleet, city=city)
    DataDefaultDeny(chart, fleet=fleet, city=city)
    PostgresIngress(chart, fleet=fleet, city=city)
    if data.quorum:
        EtcdStatefulSet(chart, fleet=fleet, city=city)
        EtcdService(chart, fleet=fleet, city=city)
        EtcdIngress(chart, fleet=fleet, city=city)
    BackupCronJob(chart, fleet=fleet, city=city)
    if city.is_primary:
        RecapConfig(chart, fleet=fleet, city=city)
        RecapCronJob(chart, fleet=fleet, city=city)
        PromotionJob(chart, fleet=fleet, city=city, config_map=CONFIG_NAME)
