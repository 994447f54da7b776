"""The data namespace's network policies: deny both ways, then admit exactly the data layer's traffic.

Ingress, one policy per port set and pod set, since each has its own clients:
- PostgreSQL (5432) on the members: the Patroni pods (replication), the recap, the roles Job, the services that read
  the replicas or write, and the other cities' pod networks (their apps' writes, their members'
  replication); on the reporting members: the Patroni pods and the services that read from them;
- Patroni's REST API (8008): the Patroni pods, the promotion Job and the other cities' pod networks
  (their members and promotion Job); never the apps, which need PostgreSQL only;
- etcd (quorum): its client port (2379) from the Patroni pods, the promotion Job and the other cities;
  its peer port (2380) from the other cities' members only;
- the monitoring namespace: Patroni's REST API (its /metrics), etcd's metrics port (2381), and the
  reporting members' PostgreSQL (the reporting probe, a TCP connect), which the other cities' pod
  networks reach too, as every city probes every city's reporting database.

Egress, one policy per workload, after DNS for every pod:
- Patroni pods: each other and the other cities on 5432 and 8008, etcd on 2379, the city's object
  storage (WAL-G) and the Kubernetes API (the DCS in standby-clusters mode, the role callback in quorum);
- etcd: the other cities' members on 2380;
- the backup: the Kubernetes API (`kubectl exec`); the recap: the city's members on 5432; the roles Job:
  the members on 5432, here and in the other cities (wherever the leader is);
- the promotion Job: the REST API (and etcd in quorum mode, the Kubernetes API otherwise).

The object storage is reached on its endpoint's port: at the networks `object_storage.cidrs` lists, else
anywhere outside the fleet's own networks. A NetworkPolicy cannot name the endpoint's host, and the
vendor's addresses behind it are not the fleet's to pin: a stale network would stop WAL archiving and
with it the RPO. The endpoint's certificate and the city's access key bind the traffic to the storage.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from nusantara_fleet import naming
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.data.layer import DataLayer
from nusantara_fleet.model.data.plans import Identity, NetworkPolicyPlan, Peer, PodSelector, Protocol, TrafficRule
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec

ANYWHERE = "0.0.0.0/0"
# etcd's plain-HTTP listener (/health for the kubelet, /metrics for Prometheus); the client port demands a
# client certificate. Here because its policy admits the monitoring namespace to it; the pod opens it.
ETCD_METRICS_PORT = 2381
HTTPS_PORT = 443  # an https:// endpoint without a port
DNS_PROTOCOLS: tuple[Protocol, ...] = ("TCP", "UDP")  # DNS answers over UDP, and over TCP when large
# Every Patroni pod carries its Patroni scope label (members, reporting members and a restored
# cluster's member alike), and no other pod does; unlike the database role, a failover never moves it.
PATRONI_PODS = PodSelector(present=(naming.DATABASE_CLUSTER_LABEL,))
ALL_PODS = PodSelector()


@traced
def network_policies(spec: FleetSpec, layer: DataLayer, city: City) -> tuple[NetworkPolicyPlan, ...]:
    """Every NetworkPolicy of one city's data namespace."""
    database = spec.database
    here = layer.city(city.name)
    net = spec.network_policy
    others = tuple(Peer(cidr=other.pod_cidr) for other in layer.cities if other.name != city.name)
    members = PodSelector(labels={naming.DATABASE_CLUSTER_LABEL: here.scope})
    leaders = PodSelector(labels=city.selector(naming.MEMBER_SET))  # the members that may lead
    reporting = PodSelector(labels=city.selector(naming.REPORTING_SET))
    etcd = PodSelector(labels=city.selector(naming.ETCD))
    promote = PodSelector(labels=city.selector(naming.PROMOTE_JOB))
    recap = PodSelector(labels=city.selector(naming.RECAP_JOB))
    roles = PodSelector(labels=city.selector(naming.ROLES_JOB))
    backup = PodSelector(labels=city.selector(naming.BACKUP_JOB))
    api_server = TrafficRule(
        peers=tuple(Peer(cidr=cidr) for cidr in net.api_server_cidrs), ports=(net.api_server_port,)
    )
    pg, rest = database.postgres_port, database.patroni_api_port
    # The city's Prometheus and blackbox exporter: Patroni's /metrics, etcd's metrics, the reporting probes.
    monitoring = Peer(namespace=net.monitoring_namespace)
    member_readers, reporting_readers = _database_clients(spec, city)

    to_etcd = TrafficRule(peers=(Peer(pods=etcd), *others), ports=(database.etcd_client_port,))

    def policy(
        name: str,
        selector: PodSelector,
        *,
        ingress: tuple[TrafficRule, ...] | None = None,
        egress: tuple[TrafficRule, ...] | None = None,
        version: str = database.tag,
    ) -> NetworkPolicyPlan:
        identity = Identity(name=name, app=name, version=version)
        return NetworkPolicyPlan(identity=identity, pod_selector=selector, ingress=ingress, egress=egress)

    generator = naming.GENERATOR_VERSION
    dns = Peer(namespace=net.dns_namespace, pods=PodSelector(labels=net.dns_pod_labels))
    policies = [
        policy(naming.DATA_DEFAULT_DENY, ALL_PODS, ingress=(), egress=(), version=generator),
        policy(
            naming.DATA_ALLOW_DNS,
            ALL_PODS,
            egress=(TrafficRule(peers=(dns,), ports=(net.dns_port,), protocols=DNS_PROTOCOLS),),
            version=generator,
        ),
        policy(
            naming.POSTGRES_POLICY,
            leaders,
            ingress=(
                TrafficRule(
                    peers=(Peer(pods=PATRONI_PODS), Peer(pods=recap), Peer(pods=roles), *member_readers, *others),
                    ports=(pg,),
                ),
            ),
        ),
        policy(
            naming.REPORTING_POLICY,
            reporting,
            ingress=(
                TrafficRule(peers=(Peer(pods=PATRONI_PODS), *reporting_readers), ports=(pg,)),
                # every city's reporting probe; another cluster's namespace cannot be named, its pod network can
                TrafficRule(peers=(monitoring, *others), ports=(pg,)),
            ),
        ),
        policy(
            naming.PATRONI_API_POLICY,
            members,
            ingress=(
                TrafficRule(peers=(Peer(pods=PATRONI_PODS), Peer(pods=promote), *others), ports=(rest,)),
                TrafficRule(peers=(monitoring,), ports=(rest,)),
            ),
        ),
    ]
    patroni_egress = [
        TrafficRule(peers=(Peer(pods=PATRONI_PODS), *others), ports=(pg, rest)),
        _object_storage(layer, city),
        api_server,
    ]
    if layer.quorum:
        etcd_version = database.etcd_tag
        patroni_egress.insert(1, to_etcd)
        policies += [
            policy(
                naming.ETCD,
                etcd,
                ingress=(
                    TrafficRule(
                        peers=(Peer(pods=PATRONI_PODS), Peer(pods=promote), *others), ports=(database.etcd_client_port,)
                    ),
                    TrafficRule(peers=(monitoring,), ports=(ETCD_METRICS_PORT,)),
                ),
                version=etcd_version,
            ),
            policy(
                naming.ETCD_PEER_POLICY,
                etcd,
                ingress=(TrafficRule(peers=others, ports=(database.etcd_peer_port,)),),
                version=etcd_version,
            ),
            policy(
                naming.egress_policy(naming.ETCD),
                etcd,
                egress=(TrafficRule(peers=others, ports=(database.etcd_peer_port,)),),
                version=etcd_version,
            ),
        ]
    policies += [
        policy(naming.egress_policy(naming.MEMBER_SET), PATRONI_PODS, egress=tuple(patroni_egress)),
        policy(naming.egress_policy(naming.BACKUP_JOB), backup, egress=(api_server,), version=database.backup.tag),
    ]
    if city.is_primary:
        # Quorum: every member's REST API, wherever it is, found in etcd (the switchover at the leader, the
        # reload at each member). Standby clusters: the other cities' REST API (is any still primary?), then
        # the dynamic configuration on the Kubernetes API.
        to_api = TrafficRule(peers=(Peer(pods=PATRONI_PODS), *others), ports=(rest,))
        promotion = (to_api, to_etcd) if layer.quorum else (TrafficRule(peers=others, ports=(rest,)), api_server)
        policies += [
            policy(
                naming.egress_policy(naming.RECAP_JOB),
                recap,
                egress=(TrafficRule(peers=(Peer(pods=leaders),), ports=(pg,)),),
            ),
            policy(naming.egress_policy(naming.PROMOTE_JOB), promote, egress=promotion),
            # The roles Job finds the leader through the write Services, which may be in another city.
            policy(
                naming.egress_policy(naming.ROLES_JOB),
                roles,
                egress=(TrafficRule(peers=(Peer(pods=leaders), *others), ports=(pg,)),),
            ),
        ]
    return tuple(policies)


def _database_clients(spec: FleetSpec, city: City) -> tuple[tuple[Peer, ...], tuple[Peer, ...]]:
    """The apps' pods that may connect to the members (every database service: the replicas' readers and
    the writers, and the reporting readers' fallback when the reporting members are down) and to the
    reporting members (those reading them), by the service label every pod of a service carries."""
    apps = spec.namespaces.apps
    members: list[Peer] = []
    reporting: list[Peer] = []
    for city_service in city.services:
        service = city_service.service
        if not service.spec.database:
            continue
        peer = Peer(namespace=apps, pods=PodSelector(labels=naming.service_selector(service.name)))
        members.append(peer)
        if service.spec.reads == "reporting":
            reporting.append(peer)
    return tuple(members), tuple(reporting)


def _object_storage(layer: DataLayer, city: City) -> TrafficRule:
    """WAL-G to the city's object storage: its listed networks, else anywhere but the fleet itself."""
    storage = city.spec.database.object_storage
    port = urlsplit(storage.endpoint).port or HTTPS_PORT
    if storage.cidrs:
        return TrafficRule(peers=tuple(Peer(cidr=cidr) for cidr in storage.cidrs), ports=(port,))
    return TrafficRule(peers=(Peer(cidr=ANYWHERE, excluded=layer.fleet_networks),), ports=(port,))
