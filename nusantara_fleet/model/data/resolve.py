"""Every data-layer object of a city as a plan: the decisions `constructs/data/` renders and never makes.

Per city (namespace `data`, Argo CD layer `data`): the retained StorageClass, the ExternalSecrets,
Patroni's, the backup's and the promotion's accounts, the `patroni` ConfigMap, the member and reporting
StatefulSets with their PDB and Services, the network policies (`network.py`), etcd in quorum mode, the
daily backup and, in the primary city only, the recap and the promotion Job.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Literal

from nusantara_fleet import naming
from nusantara_fleet.model.cities import DATABASE_POOL, WORKLOAD_POOL, City
from nusantara_fleet.model.data.layer import PGDATA_MOUNT, CityData, DataLayer
from nusantara_fleet.model.data.network import ETCD_METRICS_PORT, network_policies
from nusantara_fleet.model.data.patroni import (
    CONFIG_DIR,
    CONFIG_KEYS,
    FOLLOWER_LABEL_VALUE,
    LEADER_LABEL_VALUE,
    SOCKET_DIR,
    SUPERUSER,
    RestoreTarget,
    bootstrap_dcs,
    checksum,
    dump,
    expected_tags,
    has_callbacks,
    patroni_config,
    restart_part,
    scope_of,
    script,
)
from nusantara_fleet.model.data.plans import (
    AccountPlan,
    CertificateUse,
    CityDataPlan,
    ConfigPlan,
    CronJobPlan,
    DatabaseRole,
    DisruptionPlan,
    HookJobPlan,
    Identity,
    JobPlan,
    MemberKind,
    PolicyRule,
    SecretPlan,
    ServicePlan,
    ServicePort,
    StatefulSetPlan,
    StorageClassPlan,
)
from nusantara_fleet.model.data.roles import OWNER_PASSWORD_ENV, PASSWORD_KEY, roles_sql
from nusantara_fleet.model.data.tls import (
    BY_NAME_SSLMODE,
    CA,
    CERT,
    ETCD_CLIENT,
    ETCD_PEER,
    ETCD_SERVER,
    KEY,
    PATRONI_API,
    POSTGRES_SERVER,
    certificates,
)
from nusantara_fleet.model.pods import (
    Claim,
    ConfigMapKey,
    Container,
    EnvVar,
    Mount,
    PodPlan,
    Port,
    Probe,
    PullPolicy,
    SecretKey,
    Volume,
)
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec

POSTGRES_UID = 999  # the `postgres` user of the Debian PostgreSQL packages the image is built from
NONROOT_UID = 65532  # the distroless `nonroot` user the etcd and kubectl images run as
# Patroni's documented probe timings: /liveness fails only when the HA loop stalls for a whole ttl. The
# REST API speaks TLS only; its GETs need no client certificate, which the kubelet never presents.
PATRONI_PROBE = Probe(
    path="/liveness",
    port="patroni",
    period_seconds=10,
    timeout_seconds=5,
    failure_threshold=3,
    initial_delay_seconds=3,
    scheme="HTTPS",
)
ETCD_PROBE = Probe(path="/health", port=ETCD_METRICS_PORT, period_seconds=10, timeout_seconds=5, failure_threshold=3)
ETCD_LIVENESS_DELAY_SECONDS = 10  # a member joining the quorum answers /health only after its first election
ETCD_DATA_DIR = "/var/lib/etcd"
ETCD_COMPACTION_RETENTION = "1h"  # Patroni rewrites a handful of keys every loop: an hour of history is plenty
BACKUP_START_DEADLINE_SECONDS = 3600  # a base backup that cannot start within the hour waits for the next run
BACKUP_BACKOFF = 2  # a transient object-storage error is retried twice, then the next night's run tries again
RECAP_DEADLINE_SECONDS = 600  # the recap refreshes precomputed views; ten minutes means something is stuck
RECAP_BACKOFF = 1  # the next quarter-hour run is the real retry
PROMOTE_BACKOFF = 3  # a switchover refused while a candidate catches up succeeds on a later attempt
# The promotion is an Argo CD Sync hook, deleted and created anew before each run. A Job's pod template is
# immutable, so a plain Job fails the sync on the next `database.tag` bump; `Replace=true` would need
# `Force=true` to get past that, and would still run the Job only when it changed, while the dynamic
# configuration it applies changes without the Job changing. The script is idempotent, so every sync may run it.
PROMOTE_HOOK: Literal["Sync"] = "Sync"
PROMOTE_HOOK_DELETE_POLICY: Literal["BeforeHookCreation"] = "BeforeHookCreation"
JOB_HISTORY = 3  # finished Jobs kept per CronJob, enough to read the last failures
WALG_COMPRESSION = "zstd"  # WAL-G's best ratio per CPU; forced half-empty segments shrink to almost nothing
SOCKET_VOLUME_SIZE = "16Mi"  # a Unix socket and its lock file
TMP_VOLUME_SIZE = "1Gi"  # pgpass and the temp files of sorts that spill from work_mem
CONFIG_MODE = 0o555  # the role callback is executed straight from the mount
RECAP_DIR = "/etc/recap"
PROMOTE_DIR = "/etc/promote"
ROLES_DIR = "/etc/roles"
# The roles Job retries while the leader is not up yet (first rollout, failover): libpq fails fast and
# the Job's backoff (10 s doubling, 6 tries) waits about ten minutes in all before the sync reports it.
ROLES_BACKOFF = 6
# A name in the write list whose city is down must not hold up the next one for long.
ROLES_CONNECT_TIMEOUT_SECONDS = 10
# The REST API's basic-auth user, and the keys of the credentials Secret (the same in every city: a
# standby streams the primary's catalog, so its users are the primary's).
RESTAPI_USER_KEY, RESTAPI_PASSWORD_KEY = "restapi-username", "restapi-password"
CREDENTIAL_KEYS = ("app-password", "replication-password", "superuser-password", RESTAPI_USER_KEY, RESTAPI_PASSWORD_KEY)
# patronictl in the promotion Job reaches the members by pod IP: with a client certificate, `insecure`
# still checks the CA and skips only the name, which no certificate can give a pod IP.
CTL_SKIPS_NAME_CHECK = "true"
PATRONI_DYNAMIC_CONFIG_SUFFIX = "-config"  # Patroni's ConfigMap of the dynamic configuration: `<scope>-config`


class _City:
    """The inputs every plan of one city reads, gathered once."""

    def __init__(self, spec: FleetSpec, layer: DataLayer, city: City) -> None:
        self.spec = spec
        self.layer = layer
        self.city = city
        self.here = layer.city(city.name)
        self.namespace = spec.namespaces.data

    @property
    def pull_policy(self) -> PullPolicy:
        return self.spec.workloads.image_pull_policy

    def identity(self, name: str, *, app: str | None = None, version: str | None = None) -> Identity:
        return Identity(name=name, app=app or name, version=version or self.layer.spec.tag)

    def patroni_identity(self, name: str, app: str, role: DatabaseRole, cluster: str) -> Identity:
        return Identity(name=name, app=app, version=self.layer.spec.tag, role=role, cluster=cluster)


@traced
def _secrets(c: _City) -> tuple[SecretPlan, ...]:
    """The credentials and the city's object-storage key, then one Secret per certificate the city uses."""
    store = c.spec.database.secrets
    etcd_version = c.spec.database.etcd_tag

    def secret(
        name: str,
        key: str,
        properties: tuple[str, ...],
        certificate: CertificateUse | None = None,
        version: str | None = None,
    ) -> SecretPlan:
        return SecretPlan(
            identity=c.identity(name, version=version),
            store=store.store,
            store_key=f"{store.path}/{key}",
            properties=properties,
            refresh=store.refresh,
            certificate=certificate,
        )

    # The roles Job (primary city) sets every service's password from the same keys the services read.
    logins = c.layer.layout.logins if c.city.is_primary else ()
    return (
        secret(naming.CREDENTIALS_SECRET, "credentials", CREDENTIAL_KEYS),
        *(
            SecretPlan(
                identity=c.identity(login.job_secret, version=naming.GENERATOR_VERSION),
                store=store.store,
                store_key=login.store_key,
                properties=(PASSWORD_KEY,),
                refresh=store.refresh,
            )
            for login in logins
        ),
        secret(naming.OBJECT_STORAGE_SECRET, f"object-storage/{c.city.name}", ("access-key-id", "secret-access-key")),
        # Labelled with the version of what mounts them: etcd's own two with etcd's, the rest with Patroni's.
        *(
            secret(
                tls.secret,
                tls.store_key,
                (CA, CERT, KEY),
                certificate=use,
                version=etcd_version if tls in (ETCD_PEER, ETCD_SERVER) else None,
            )
            for tls, use in certificates(c.layer, c.namespace)
        ),
    )


def patroni_rules(layer: DataLayer, here: CityData) -> tuple[PolicyRule, ...]:
    """What Patroni calls on the Kubernetes API, and no more.

    With etcd only the role callback does: it patches its own pod's label (get and patch). On the
    Kubernetes DCS Patroni also lists and watches its cluster's pods and keeps its leader lock and
    config in ConfigMaps: upstream's Role minus the `delete*` verbs only `patronictl remove` uses, minus
    Service creation (the Services are rendered here) and minus Endpoints, which ConfigMaps mode with
    `bypass_api_service` off never reads or writes (Patroni maps every `*_kind` call to ConfigMaps).
    Pods are patched by name, the city's members and reporting members (and, on the Kubernetes DCS, a
    restored member, which labels itself too), so no member can relabel another pod into a Service;
    Kubernetes cannot restrict list, watch or create by name.
    """
    own = (*here.member_pods, *here.reporting_pods)
    if layer.quorum:
        return (PolicyRule(api_groups=("",), resources=("pods",), verbs=("get", "patch"), resource_names=own),)
    return (
        PolicyRule(
            api_groups=("",), resources=("configmaps",), verbs=("create", "get", "list", "patch", "update", "watch")
        ),
        PolicyRule(api_groups=("",), resources=("pods",), verbs=("list", "watch")),
        PolicyRule(
            api_groups=("",), resources=("pods",), verbs=("get", "patch"), resource_names=(*own, here.restore_pod)
        ),
    )


def promote_rules(here: CityData) -> tuple[PolicyRule, ...]:
    """patronictl on the Kubernetes DCS: it loads the cluster (pods and ConfigMaps by label) and patches the
    dynamic configuration, Patroni's `<scope>-config`, only."""
    return (
        PolicyRule(api_groups=("",), resources=("configmaps", "pods"), verbs=("list", "watch")),
        PolicyRule(
            api_groups=("",),
            resources=("configmaps",),
            verbs=("patch",),
            resource_names=(f"{here.scope}{PATRONI_DYNAMIC_CONFIG_SUFFIX}",),
        ),
    )


@traced
def _accounts(c: _City) -> tuple[AccountPlan, ...]:
    # The backup execs into the reporting members, where WAL-G reads PGDATA: those pods and no others.
    pods = c.here.reporting_pods
    backup_rules = (
        PolicyRule(api_groups=("",), resources=("pods",), verbs=("get",), resource_names=pods),
        PolicyRule(api_groups=("",), resources=("pods/exec",), verbs=("create",), resource_names=pods),
    )
    accounts = [
        AccountPlan(identity=c.identity(naming.PATRONI_ACCOUNT), rules=patroni_rules(c.layer, c.here)),
        AccountPlan(identity=c.identity(naming.BACKUP_JOB, version=c.spec.database.backup.tag), rules=backup_rules),
    ]
    # In quorum mode patronictl talks to etcd and the REST API only: the Job gets no account, and no token.
    if c.city.is_primary and not c.layer.quorum:
        accounts.append(AccountPlan(identity=c.identity(naming.PROMOTE_JOB), rules=promote_rules(c.here)))
    return tuple(accounts)


@traced
def _patroni_config(c: _City) -> ConfigPlan:
    configs = {
        CONFIG_KEYS[kind]: patroni_config(c.layer, c.here, kind, project=c.spec.project, namespace=c.namespace)
        for kind in ("member", "reporting")
    }
    data = {key: dump(config) for key, config in configs.items()}
    # The members roll only for what they read at start; the callback runs from the mount, but a changed
    # one should not wait for the next restart to be used, so it rolls them too.
    at_start = {key: dump(restart_part(config, quorum=c.layer.quorum)) for key, config in configs.items()}
    if c.layer.quorum:
        data[naming.CALLBACK_SCRIPT] = at_start[naming.CALLBACK_SCRIPT] = script(naming.CALLBACK_SCRIPT)
    if c.city.is_primary:
        # Read by the promotion Job only, never by a member.
        data[naming.PROMOTE_SCRIPT] = script(naming.PROMOTE_SCRIPT)
        data[naming.DYNAMIC_CONFIG_KEY] = dump(bootstrap_dcs(c.layer, c.here, "member"))
    return ConfigPlan(identity=c.identity(naming.PATRONI_CONFIG), data=data, checksum=checksum(at_start))


def patroni_pod(c: _City, kind: MemberKind, *, config_map: str, cluster: str) -> PodPlan:
    """A Patroni member's pod: one per database node across the city's whole cluster."""
    database = c.spec.database
    storage = c.city.spec.database.object_storage
    credentials, object_storage = naming.CREDENTIALS_SECRET, naming.OBJECT_STORAGE_SECRET
    env = (
        EnvVar("PATRONI_NAME", field_path="metadata.name"),
        EnvVar("POD_IP", field_path="status.podIP"),
        EnvVar("PATRONI_RESTAPI_CONNECT_ADDRESS", value=f"$(POD_IP):{database.patroni_api_port}"),
        EnvVar("PATRONI_POSTGRESQL_CONNECT_ADDRESS", value=f"$(POD_IP):{database.postgres_port}"),
        EnvVar("PATRONI_SUPERUSER_PASSWORD", secret=SecretKey(credentials, "superuser-password")),
        EnvVar("PATRONI_REPLICATION_PASSWORD", secret=SecretKey(credentials, "replication-password")),
        EnvVar("PATRONI_RESTAPI_USERNAME", secret=SecretKey(credentials, RESTAPI_USER_KEY)),
        EnvVar("PATRONI_RESTAPI_PASSWORD", secret=SecretKey(credentials, RESTAPI_PASSWORD_KEY)),
        EnvVar("POD_ROLE_LABEL", value=naming.PATRONI_ROLE_LABEL),
        EnvVar("PGHOST", value=SOCKET_DIR),
        EnvVar("PGUSER", value=SUPERUSER),
        EnvVar("WALG_S3_PREFIX", value=f"s3://{storage.bucket}/{c.here.scope}"),
        EnvVar("WALG_COMPRESSION_METHOD", value=WALG_COMPRESSION),
        EnvVar("AWS_ENDPOINT", value=storage.endpoint),
        EnvVar("AWS_REGION", value=storage.region),
        EnvVar("AWS_S3_FORCE_PATH_STYLE", value="true"),
        EnvVar("AWS_ACCESS_KEY_ID", secret=SecretKey(object_storage, "access-key-id")),
        EnvVar("AWS_SECRET_ACCESS_KEY", secret=SecretKey(object_storage, "secret-access-key")),
    )
    key = CONFIG_KEYS[kind]
    items = (key, naming.CALLBACK_SCRIPT) if has_callbacks(c.layer, kind) else (key,)
    # PostgreSQL's server certificate (and CA, for replication), the REST API's, etcd's client one.
    certs = (POSTGRES_SERVER, PATRONI_API, ETCD_CLIENT) if c.layer.quorum else (POSTGRES_SERVER, PATRONI_API)

    def probe(path: str) -> Probe:
        return replace(PATRONI_PROBE, path=path)

    container = Container(
        name="patroni",
        image=c.layer.image,
        pull_policy=c.pull_policy,
        command=("patroni", f"{CONFIG_DIR}/{key}"),
        resources=c.spec.resource_classes.heavy,
        env=env,
        mounts=(
            Mount(naming.PGDATA_CLAIM, PGDATA_MOUNT),
            Mount("config", CONFIG_DIR, read_only=True),
            *(cert.mount() for cert in certs),
            Mount("socket", SOCKET_DIR),
            Mount("tmp", "/tmp"),
        ),
        ports=(Port("postgresql", database.postgres_port), Port("patroni", database.patroni_api_port)),
        liveness=probe("/liveness"),
        readiness=probe("/readiness"),
    )
    return PodPlan(
        containers=(container,),
        volumes=(
            Volume("config", config_map=config_map, items=items, mode=CONFIG_MODE),
            *(cert.volume() for cert in certs),
            Volume("socket", size_limit=SOCKET_VOLUME_SIZE, memory=True),
            Volume("tmp", size_limit=TMP_VOLUME_SIZE),
        ),
        pool=c.city.pools[DATABASE_POOL],
        uid=POSTGRES_UID,
        fs_group=True,
        account=naming.PATRONI_ACCOUNT,
        one_per_node={naming.DATABASE_CLUSTER_LABEL: cluster},
        # A stopping leader shuts PostgreSQL down cleanly and releases the lock within one lease, so a
        # replica takes over without waiting for it to expire.
        termination_grace_seconds=c.layer.timing.ttl,
    )


@traced
def member_set(
    c: _City,
    kind: MemberKind,
    *,
    name: str,
    app: str,
    role: DatabaseRole,
    replicas: int,
    config: ConfigPlan,
    cluster: str,
) -> StatefulSetPlan:
    storage = c.spec.database.storage
    return StatefulSetPlan(
        identity=c.patroni_identity(name, app, role, cluster),
        replicas=replicas,
        service=naming.MEMBERS_SERVICE,
        config_checksum=config.checksum,
        pod=patroni_pod(c, kind, config_map=config.identity.name, cluster=cluster),
        claim=Claim(naming.PGDATA_CLAIM, storage.size, storage.class_name),
    )


@traced
def _services(c: _City) -> tuple[ServicePlan, ...]:
    database = c.spec.database
    pg = ServicePort("postgresql", database.postgres_port)
    api = ServicePort("patroni", database.patroni_api_port)
    members = c.city.selector(naming.MEMBER_SET)
    ttl = database.failover.dns_ttl_seconds
    services = [
        # Governing Service of both StatefulSets: stable pod DNS, ready or not.
        ServicePlan(
            identity=c.identity(naming.MEMBERS_SERVICE),
            selector={naming.DATABASE_CLUSTER_LABEL: c.here.scope},
            ports=(pg, api),
            headless=True,
            publish_not_ready=True,
            dns_host=None,
            dns_ttl=None,
            runtime_labels=(),
        ),
        # The leader, if it is in this city; other cities reach it by its cross-city name.
        ServicePlan(
            identity=c.identity(naming.WRITE_SERVICE),
            selector={**members, naming.PATRONI_ROLE_LABEL: LEADER_LABEL_VALUE},
            ports=(pg, api),
            headless=True,
            publish_not_ready=False,
            dns_host=c.layer.host(c.city.name, naming.WRITE_SERVICE),
            dns_ttl=ttl,
            runtime_labels=(naming.PATRONI_ROLE_LABEL,),
        ),
        # The city's replicas that may lead (reporting members serve only the report service).
        ServicePlan(
            identity=c.identity(naming.READ_SERVICE),
            selector={**members, naming.PATRONI_ROLE_LABEL: FOLLOWER_LABEL_VALUE},
            ports=(pg,),
            headless=False,
            publish_not_ready=False,
            dns_host=None,
            dns_ttl=None,
            runtime_labels=(naming.PATRONI_ROLE_LABEL,),
        ),
        # Every ready member that may lead, by its cross-city name too: the reads' fallback when the city
        # has no replica (its only member leads, or is lost), here and in the other cities.
        ServicePlan(
            identity=c.identity(naming.ANY_MEMBER_SERVICE),
            selector=members,
            ports=(pg,),
            headless=True,
            publish_not_ready=False,
            dns_host=c.layer.host(c.city.name, naming.ANY_MEMBER_SERVICE),
            dns_ttl=ttl,
            runtime_labels=(),
        ),
        # The reporting members; every city's reporting probe reaches them by their cross-city name, so
        # the Service is headless, like the leader's: external-dns publishes the pods' routable addresses.
        ServicePlan(
            identity=c.identity(naming.REPORTING_SERVICE),
            selector=c.city.selector(naming.REPORTING_SET),
            ports=(pg,),
            headless=True,
            publish_not_ready=False,
            dns_host=c.layer.host(c.city.name, naming.REPORTING_SERVICE),
            dns_ttl=ttl,
            runtime_labels=(),
        ),
    ]
    if c.layer.quorum:
        # Published before it is ready: peers must find each other to form quorum.
        services.append(
            ServicePlan(
                identity=c.identity(naming.ETCD, version=database.etcd_tag),
                selector=c.city.selector(naming.ETCD),
                ports=(ServicePort("client", database.etcd_client_port), ServicePort("peer", database.etcd_peer_port)),
                headless=True,
                publish_not_ready=True,
                dns_host=c.layer.host(c.city.name, naming.ETCD),
                dns_ttl=ttl,
                runtime_labels=(),
            )
        )
    return tuple(services)


def _others(c: _City) -> list[CityData]:
    return [other for other in c.layer.cities if other.name != c.city.name]


def etcd_flags(layer: DataLayer, city: str) -> tuple[str, ...]:
    """The member's flags: TLS for peers and clients, timings from the inter-city round trip.

    The first-start membership is not among them but in the `etcd-cluster` ConfigMap (`etcd_cluster`): etcd
    reads it only while its data directory is empty, and as a flag it would restart every member when a
    city is added.
    """
    database = layer.spec
    me = layer.host(city, naming.ETCD)
    timing = layer.etcd_timing
    return (
        f"--name={city}",
        f"--data-dir={ETCD_DATA_DIR}/data",
        f"--listen-peer-urls=https://0.0.0.0:{database.etcd_peer_port}",
        f"--listen-client-urls=https://0.0.0.0:{database.etcd_client_port}",
        f"--listen-metrics-urls=http://0.0.0.0:{ETCD_METRICS_PORT}",
        f"--advertise-client-urls=https://{me}:{database.etcd_client_port}",
        f"--initial-advertise-peer-urls=https://{me}:{database.etcd_peer_port}",
        f"--initial-cluster-token={layer.city(city).scope}",
        f"--heartbeat-interval={timing.heartbeat_ms}",
        f"--election-timeout={timing.election_ms}",
        "--auto-compaction-mode=periodic",
        f"--auto-compaction-retention={ETCD_COMPACTION_RETENTION}",
        "--client-cert-auth",
        f"--trusted-ca-file={ETCD_SERVER.ca}",
        f"--cert-file={ETCD_SERVER.cert}",
        f"--key-file={ETCD_SERVER.key}",
        "--peer-client-cert-auth",
        f"--peer-trusted-ca-file={ETCD_PEER.ca}",
        f"--peer-cert-file={ETCD_PEER.cert}",
        f"--peer-key-file={ETCD_PEER.key}",
    )


ETCD_CLUSTER_KEYS = ("ETCD_INITIAL_CLUSTER", "ETCD_INITIAL_CLUSTER_STATE")  # etcd's own variables


@traced
def etcd_cluster(c: _City) -> ConfigPlan:
    """Whom the member forms or joins the cluster with, read by etcd from its environment at first start.

    Every member, old and new, names every city's member: a joining city's is `existing` (after `etcdctl
    member add`, README), the others' `new`, which they ignore once they hold data. Not checksummed: a
    change must never restart a running member.
    """
    cluster = ",".join(f"{name}={url}" for name, url in c.layer.etcd_members)
    state = "existing" if c.here.joining else "new"
    data = dict(zip(ETCD_CLUSTER_KEYS, (cluster, state), strict=True))
    return ConfigPlan(
        identity=c.identity(naming.ETCD_CLUSTER_CONFIG, version=c.spec.database.etcd_tag),
        data=data,
        checksum=checksum(data),
    )


@traced
def _etcd(c: _City) -> StatefulSetPlan:
    """This city's member of the three-city etcd: one per city, so losing any one city keeps quorum."""
    database = c.spec.database

    def probe(delay: int | None) -> Probe:
        return replace(ETCD_PROBE, initial_delay_seconds=delay)

    container = Container(
        name="etcd",
        image=c.layer.etcd_image,
        pull_policy=c.pull_policy,
        command=("etcd", *etcd_flags(c.layer, c.city.name)),
        resources=c.spec.resource_classes.light,
        env=tuple(EnvVar(key, config_map=ConfigMapKey(naming.ETCD_CLUSTER_CONFIG, key)) for key in ETCD_CLUSTER_KEYS),
        mounts=(Mount(naming.ETCD_CLAIM, ETCD_DATA_DIR), ETCD_PEER.mount(), ETCD_SERVER.mount()),
        ports=(
            Port("client", database.etcd_client_port),
            Port("peer", database.etcd_peer_port),
            Port("metrics", ETCD_METRICS_PORT),
        ),
        liveness=probe(ETCD_LIVENESS_DELAY_SECONDS),
        readiness=probe(None),
    )
    return StatefulSetPlan(
        identity=c.identity(naming.ETCD, version=database.etcd_tag),
        replicas=1,
        service=naming.ETCD,
        config_checksum=None,
        pod=PodPlan(
            containers=(container,),
            volumes=(ETCD_PEER.volume(), ETCD_SERVER.volume()),
            pool=c.city.pools[DATABASE_POOL],
            uid=NONROOT_UID,
            fs_group=True,
            account=None,
        ),
        claim=Claim(naming.ETCD_CLAIM, database.storage.etcd_size, database.storage.class_name),
    )


def _batch_pod(
    c: _City,
    *,
    name: str,
    image: str,
    command: tuple[str, ...],
    account: str | None,
    uid: int,
    env: tuple[EnvVar, ...] = (),
    mounts: tuple[Mount, ...] = (),
    volumes: tuple[Volume, ...] = (),
    fs_group: bool = False,
) -> PodPlan:
    """A batch pod on the general pool, small and run once; `fs_group` when it reads private keys, which
    are readable by the pod's group only."""
    container = Container(
        name=name,
        image=image,
        pull_policy=c.pull_policy,
        command=command,
        resources=c.spec.resource_classes.light,
        env=env,
        mounts=mounts,
    )
    return PodPlan(
        containers=(container,),
        volumes=volumes,
        pool=c.city.pools[WORKLOAD_POOL],
        uid=uid,
        fs_group=fs_group,
        account=account,
        restart_never=True,
    )


@traced
def _backup(c: _City) -> CronJobPlan:
    """Daily `wal-g backup-push` inside the city's reporting member, then prune to the retention."""
    backup = c.spec.database.backup
    target = c.here.reporting_pods[0]
    push = f"wal-g backup-push {c.layer.data_dir} && wal-g delete retain FULL {backup.retain_full} --confirm"
    command = ("kubectl", "exec", f"--namespace={c.namespace}", target, "--container=patroni", "--", "sh", "-c", push)
    return CronJobPlan(
        identity=c.identity(naming.BACKUP_JOB, version=backup.tag),
        schedule=backup.schedule,
        time_zone=backup.time_zone,
        starting_deadline_seconds=BACKUP_START_DEADLINE_SECONDS,
        active_deadline_seconds=None,
        backoff_limit=BACKUP_BACKOFF,
        history=JOB_HISTORY,
        pod=_batch_pod(
            c,
            name=naming.BACKUP_JOB,
            image=c.layer.backup_image,
            command=command,
            account=naming.BACKUP_JOB,
            uid=NONROOT_UID,
        ),
    )


@traced
def _recap(c: _City) -> tuple[ConfigPlan, CronJobPlan]:
    """Runs the recap SQL against the leader; replicas everywhere then serve the refreshed views."""
    database = c.spec.database
    layout = c.layer.layout
    data = {naming.RECAP_SCRIPT: script(naming.RECAP_SCRIPT)}
    config = ConfigPlan(identity=c.identity(naming.RECAP_JOB), data=data, checksum=checksum(data))
    env = (
        EnvVar("PGHOST", value=c.layer.host(c.city.name, naming.WRITE_SERVICE)),
        EnvVar("PGPORT", value=str(database.postgres_port)),
        EnvVar("PGDATABASE", value=layout.database),
        EnvVar("PGUSER", value=layout.owner),
        EnvVar("PGPASSWORD", secret=SecretKey(naming.CREDENTIALS_SECRET, "app-password")),
        EnvVar("PGSSLMODE", value=BY_NAME_SSLMODE),
        EnvVar("PGSSLROOTCERT", value=POSTGRES_SERVER.ca),
        EnvVar("PGTARGETSESSIONATTRS", value="read-write"),
    )
    job = CronJobPlan(
        identity=c.identity(naming.RECAP_JOB),
        schedule=database.recap.schedule,
        time_zone=database.backup.time_zone,
        starting_deadline_seconds=None,
        active_deadline_seconds=RECAP_DEADLINE_SECONDS,
        backoff_limit=RECAP_BACKOFF,
        history=JOB_HISTORY,
        pod=_batch_pod(
            c,
            name=naming.RECAP_JOB,
            image=c.layer.image,
            command=(
                "psql",
                "--no-psqlrc",
                "--set=ON_ERROR_STOP=1",
                f"--set=source_schema={layout.recap_source}",
                f"--set=report_schema={layout.report_schema}",
                f"--file={RECAP_DIR}/{naming.RECAP_SCRIPT}",
            ),
            account=None,
            uid=POSTGRES_UID,
            env=env,
            mounts=(Mount("recap", RECAP_DIR, read_only=True), POSTGRES_SERVER.mount()),
            volumes=(Volume("recap", config_map=naming.RECAP_JOB), POSTGRES_SERVER.volume(ca_only=True)),
        ),
    )
    return config, job


@traced
def _promotion(c: _City) -> JobPlan:
    """Makes the `primary` city's database writable; idempotent, so it is harmless when it already is.

    Quorum: a switchover through the leader's REST API (patronictl, with the REST API's password and
    client certificate, finding the leader in etcd with etcd's client certificate). Standby clusters: it
    asks the other cities' REST API whether any still answers as primary (checking the certificate's
    name), then patronictl edits the dynamic configuration on the Kubernetes API (its own account).
    """
    database = c.spec.database
    credentials = naming.CREDENTIALS_SECRET
    others = [f"{c.layer.host(other.name, naming.WRITE_SERVICE)}:{database.patroni_api_port}" for other in _others(c)]
    env = [
        EnvVar("PATRONI_CONFIG", value=f"{CONFIG_DIR}/{CONFIG_KEYS['member']}"),
        EnvVar("FAILOVER_MODE", value=c.layer.mode),
        EnvVar("CANDIDATE", value=c.here.member_pods[0]),
        EnvVar("OTHER_PRIMARIES", value=",".join(others)),
        EnvVar("PATRONI_CTL_CACERT", value=PATRONI_API.ca),
        EnvVar("DYNAMIC_CONFIG", value=f"{CONFIG_DIR}/{naming.DYNAMIC_CONFIG_KEY}"),
        EnvVar("CLUSTER", value=c.here.scope),  # patronictl reload's argument (PATRONI_* would override config)
    ]
    mounts = [Mount("config", CONFIG_DIR, read_only=True), Mount("promote", PROMOTE_DIR, read_only=True)]
    volumes = [
        Volume("config", config_map=naming.PATRONI_CONFIG),
        Volume("promote", config_map=naming.PATRONI_CONFIG, items=(naming.PROMOTE_SCRIPT,)),
    ]
    if c.layer.quorum:
        env += [
            EnvVar("PATRONI_CTL_USERNAME", secret=SecretKey(credentials, RESTAPI_USER_KEY)),
            EnvVar("PATRONI_CTL_PASSWORD", secret=SecretKey(credentials, RESTAPI_PASSWORD_KEY)),
            EnvVar("PATRONI_CTL_CERTFILE", value=PATRONI_API.cert),
            EnvVar("PATRONI_CTL_KEYFILE", value=PATRONI_API.key),
            EnvVar("PATRONI_CTL_INSECURE", value=CTL_SKIPS_NAME_CHECK),
        ]
        mounts += [PATRONI_API.mount(), ETCD_CLIENT.mount()]
        volumes += [PATRONI_API.volume(), ETCD_CLIENT.volume()]
        # One cluster across the cities: the tags (failover priority, config hash) each member's
        # patroni.yml now holds, reported once it has reloaded it.
        expected = {}
        for city in c.layer.cities:
            kinds: tuple[tuple[MemberKind, tuple[str, ...]], ...] = (
                ("member", city.member_pods),
                ("reporting", city.reporting_pods),
            )
            for kind, pods in kinds:
                config = patroni_config(c.layer, city, kind, project=c.spec.project, namespace=c.namespace)
                expected.update({pod: expected_tags(c.layer, city, kind, config) for pod in pods})
        env.append(EnvVar("EXPECTED_TAGS", value=json.dumps(expected, sort_keys=True)))
    else:
        mounts.append(PATRONI_API.mount())
        volumes.append(PATRONI_API.volume(ca_only=True))
    return JobPlan(
        identity=c.identity(naming.city_object(naming.PROMOTE_JOB, c.city.name), app=naming.PROMOTE_JOB),
        backoff_limit=PROMOTE_BACKOFF,
        hook=PROMOTE_HOOK,
        hook_delete_policy=PROMOTE_HOOK_DELETE_POLICY,
        pod=_batch_pod(
            c,
            name=naming.PROMOTE_JOB,
            image=c.layer.image,
            command=("python3", f"{PROMOTE_DIR}/{naming.PROMOTE_SCRIPT}"),
            account=None if c.layer.quorum else naming.PROMOTE_JOB,
            uid=POSTGRES_UID,
            env=tuple(env),
            mounts=tuple(mounts),
            volumes=tuple(volumes),
            fs_group=c.layer.quorum,
        ),
    )


@traced
def _storage_class(c: _City) -> StorageClassPlan:
    storage = c.spec.database.storage
    return StorageClassPlan(
        identity=Identity(name=storage.class_name, app=storage.class_name, version=naming.GENERATOR_VERSION),
        provisioner=storage.provisioner,
        parameters=storage.parameters,
        # A deleted claim must never take a database's data with it.
        reclaim_policy="Retain",
        # Bind where the pod lands: a local volume on another node is of no use to it.
        binding_mode="WaitForFirstConsumer",
        expandable=True,
    )


@traced
def _disruption(c: _City) -> DisruptionPlan:
    """Members that may lead leave one at a time; Patroni's /readiness keeps a member unready until it
    replicates, so the next one is not evicted before the previous one has caught up."""
    return DisruptionPlan(
        identity=c.identity(c.here.member_set, app=naming.MEMBER_SET),
        selector=c.city.selector(naming.MEMBER_SET),
        max_unavailable=1,
        unhealthy_eviction="AlwaysAllow",
    )


def plan_city(spec: FleetSpec, layer: DataLayer, city: City) -> CityDataPlan:
    c = _City(spec, layer, city)
    here: CityData = c.here
    config = _patroni_config(c)
    sets = (
        member_set(
            c,
            "member",
            name=here.member_set,
            app=naming.MEMBER_SET,
            role=here.database_role,
            replicas=here.members,
            config=config,
            cluster=here.scope,
        ),
        member_set(
            c,
            "reporting",
            name=here.reporting_set,
            app=naming.REPORTING_SET,
            role="reporting",
            replicas=here.reporting_members,
            config=config,
            cluster=here.scope,
        ),
    )
    configs = [config, etcd_cluster(c)] if layer.quorum else [config]
    cron_jobs = [_backup(c)]
    jobs = []
    hooks = []
    if city.is_primary:
        recap_config, recap_job = _recap(c)
        configs.append(recap_config)
        cron_jobs.append(recap_job)
        jobs.append(_promotion(c))
        roles_config, roles_hook = _roles(c)
        configs.append(roles_config)
        hooks.append(roles_hook)
    return CityDataPlan(
        storage_class=_storage_class(c),
        secrets=_secrets(c),
        accounts=_accounts(c),
        configs=tuple(configs),
        member_sets=sets,
        disruption=_disruption(c),
        services=_services(c),
        network_policies=network_policies(spec, layer, city),
        etcd=_etcd(c) if layer.quorum else None,
        cron_jobs=tuple(cron_jobs),
        jobs=tuple(jobs),
        hooks=tuple(hooks),
    )


@traced
def restore_plans(
    spec: FleetSpec, layer: DataLayer, city: City, target: RestoreTarget
) -> tuple[ConfigPlan, StatefulSetPlan]:
    """A point-in-time recovery of one city: a new one-member cluster beside the live one, never over it."""
    c = _City(spec, layer, city)
    config = patroni_config(layer, c.here, "restore", project=spec.project, namespace=c.namespace, restore=target)
    data = {CONFIG_KEYS["restore"]: dump(config)}
    plan = ConfigPlan(identity=c.identity(naming.RESTORE_SET), data=data, checksum=checksum(data))
    members = member_set(
        c,
        "restore",
        name=naming.city_object(naming.RESTORE_SET, city.name),
        app=naming.RESTORE_SET,
        role="restore",
        replicas=1,
        config=plan,
        cluster=scope_of(c.here, target),
    )
    return plan, members


@traced
def _roles(c: _City) -> tuple[ConfigPlan, HookJobPlan]:
    """Keeps the database, schemas, roles, passwords and grants of `model/data/roles.py` in sync on the leader.

    A Sync hook in the data layer's wave: Argo CD starts the apps' wave only once it has succeeded, so no
    service starts before its role can log in; recreated on every sync, so a changed template or a rotated
    password is applied by the next sync. It finds the leader as the services' writes do.
    """
    database = c.spec.database
    layout = c.layer.layout
    data = {naming.ROLES_SCRIPT: roles_sql(layout)}
    config = ConfigPlan(identity=c.identity(naming.ROLES_JOB), data=data, checksum=checksum(data))
    hosts = c.layer.write_hosts if c.layer.quorum else (c.layer.host(c.layer.primary, naming.WRITE_SERVICE),)
    credentials = naming.CREDENTIALS_SECRET
    env = (
        EnvVar("PGHOST", value=",".join(hosts)),
        EnvVar("PGPORT", value=str(database.postgres_port)),
        EnvVar("PGDATABASE", value="postgres"),
        EnvVar("PGUSER", value=SUPERUSER),
        EnvVar("PGPASSWORD", secret=SecretKey(credentials, "superuser-password")),
        EnvVar("PGSSLMODE", value=BY_NAME_SSLMODE),
        EnvVar("PGSSLROOTCERT", value=POSTGRES_SERVER.ca),
        EnvVar("PGTARGETSESSIONATTRS", value="read-write"),
        EnvVar("PGCONNECT_TIMEOUT", value=str(ROLES_CONNECT_TIMEOUT_SECONDS)),
        EnvVar(OWNER_PASSWORD_ENV, secret=SecretKey(credentials, "app-password")),
        *(EnvVar(login.password_env, secret=SecretKey(login.job_secret, PASSWORD_KEY)) for login in layout.logins),
    )
    job = JobPlan(
        identity=c.identity(naming.ROLES_JOB),
        backoff_limit=ROLES_BACKOFF,
        pod=_batch_pod(
            c,
            name=naming.ROLES_JOB,
            image=c.layer.image,
            command=("psql", "--no-psqlrc", "--set=ON_ERROR_STOP=1", f"--file={ROLES_DIR}/{naming.ROLES_SCRIPT}"),
            account=None,
            uid=POSTGRES_UID,
            env=env,
            mounts=(Mount("roles", ROLES_DIR, read_only=True), POSTGRES_SERVER.mount()),
            volumes=(Volume("roles", config_map=naming.ROLES_JOB), POSTGRES_SERVER.volume(ca_only=True)),
        ),
    )
    return config, HookJobPlan(job=job, phase="Sync", delete_policy="BeforeHookCreation")
