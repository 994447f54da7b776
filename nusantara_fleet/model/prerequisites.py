"""What each city's cluster needs before the fleet can run there: add-ons the fleet installs, and checks.

The add-ons are Argo CD Applications in the root's first add-on stage, before everything else: External Secrets
(the CRDs every ExternalSecret needs), TopoLVM (the `ssd-retain` StorageClass's provisioner) and external-dns
(it publishes the data Services' `<service>.<city>.<zone>` names, which the other cities dial). What the
fleet cannot render (Argo CD itself, the secret store's Vault auth, routes, DNS forwarding, node labels,
disks, the edge controller) is a list of checks a human runs before Argo CD starts: `fleet prerequisites`
prints them, and the README lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.cities import City, PoolName
from nusantara_fleet.model.data.plans import CityDataPlan
from nusantara_fleet.model.delivery import CLUSTER_CONFIG_KEY
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.traffic.failover import FailoverPlan

DATABASE_POOL: PoolName = "database"  # the pool PostgreSQL and etcd run on: TopoLVM's node plugin runs there only
DEVICE_CLASS = "ssd"  # TopoLVM's default device class, which `ssd-retain` (no device-class parameter) uses
SPARE_GB = 10  # left free in the volume group, so LVM metadata and snapshots never fill it
# TopoLVM's pod webhook skips namespaces carrying this label: its own (or its pods could never start) and
# kube-system (a cluster prerequisite).
TOPOLVM_WEBHOOK_LABEL = {"topolvm.io/webhook": "ignore"}
TSIG_SECRET = "external-dns-rfc2136"  # Secret in external-dns's namespace holding the TSIG key (`tsig-secret`)
TSIG_SECRET_KEY = "tsig-secret"
TSIG_ALGORITHM = "hmac-sha256"
DNS_INTERVAL = "30s"  # how often external-dns reconciles: a moved member's name follows within a TTL or two


@dataclass(frozen=True)
class Check:
    """One thing that must hold before Argo CD starts, and the commands that show it does."""

    what: str
    why: str
    commands: tuple[str, ...]


@dataclass(frozen=True)
class Prerequisites:
    addons: tuple[Addon, ...] = ()
    checks: tuple[Check, ...] = ()
    published: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # city -> names its external-dns publishes


def _external_secrets(spec: FleetSpec, city: City) -> Addon:
    return Addon(
        name=naming.EXTERNAL_SECRETS,
        stage="prerequisites",
        city=city.name,
        namespace=naming.EXTERNAL_SECRETS,
        repo_url=naming.EXTERNAL_SECRETS_CHARTS,
        chart=naming.EXTERNAL_SECRETS,
        version=spec.prerequisites.external_secrets_chart_version,
        values={"installCRDs": True},
    )


def _topolvm(spec: FleetSpec, city: City) -> Addon:
    pool = city.pools[DATABASE_POOL]
    placement = {"nodeSelector": pool.node_selector, "tolerations": pool.tolerations}
    device_class = {
        "default": True,
        "name": DEVICE_CLASS,
        "spare-gb": SPARE_GB,
        "volume-group": spec.prerequisites.topolvm_volume_group,
    }
    return Addon(
        name=naming.TOPOLVM,
        stage="prerequisites",
        city=city.name,
        namespace=naming.TOPOLVM_NAMESPACE,
        repo_url=naming.TOPOLVM_CHARTS,
        chart=naming.TOPOLVM,
        version=spec.prerequisites.topolvm_chart_version,
        # The fleet renders `ssd-retain` itself (data layer): the chart creates no StorageClass.
        values={"lvmd": {"deviceClasses": [device_class], **placement}, "node": placement, "storageClasses": []},
        namespace_labels=TOPOLVM_WEBHOOK_LABEL,
    )


def _external_dns(spec: FleetSpec, city: City) -> Addon:
    zone = spec.database.cross_city_domain
    dns = spec.prerequisites
    return Addon(
        name=naming.EXTERNAL_DNS,
        stage="prerequisites",
        city=city.name,
        namespace=naming.EXTERNAL_DNS,
        repo_url=naming.EXTERNAL_DNS_CHARTS,
        chart=naming.EXTERNAL_DNS,
        version=dns.external_dns_chart_version,
        values={
            "domainFilters": [zone],
            "env": [
                {
                    "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
                    "valueFrom": {"secretKeyRef": {"key": TSIG_SECRET_KEY, "name": TSIG_SECRET}},
                }
            ],
            "extraArgs": [
                f"--rfc2136-host={dns.dns_server}",
                "--rfc2136-port=53",
                f"--rfc2136-zone={zone}",
                f"--rfc2136-tsig-keyname={dns.dns_tsig_key}",
                f"--rfc2136-tsig-secret-alg={TSIG_ALGORITHM}",
                "--rfc2136-tsig-axfr",
            ],
            "interval": DNS_INTERVAL,
            # `sync` with one owner per city: each city deletes only the records it created.
            "policy": "sync",
            "provider": {"name": "rfc2136"},
            "registry": "txt",
            "sources": ["service"],
            "txtOwnerId": city.name,
        },
    )


def _checks(spec: FleetSpec, cities: tuple[City, ...], failover: FailoverPlan) -> tuple[Check, ...]:
    rollout = spec.rollout
    argocd = rollout.argocd_namespace
    store = spec.database.secrets.store
    zone = spec.database.cross_city_domain
    names = [city.name for city in cities]
    first, last = names[0], names[-1]
    pools = sorted({pool for city in cities for pool in city.pools})
    dedicated = sorted({pool.name for city in cities for pool in city.pools.values() if pool.dedicated})
    eso = spec.prerequisites.external_secrets_chart_version
    if spec.edge == "ingress-nginx":
        edge = Check(
            "the ingress-nginx controller and its IngressClass in every city",
            "the edge Ingress names the class; nothing else serves it",
            tuple(f"kubectl --context {c} get ingressclass {spec.ingress_nginx.class_name}" for c in names),
        )
    else:
        edge = Check(
            "the Gateway API CRDs and the edge's GatewayClass in every city",
            "the edge Gateway and HTTPRoutes need their CRDs and a controller accepting the class",
            tuple(
                f"kubectl --context {c} get crd gateways.gateway.networking.k8s.io httproutes.gateway.networking.k8s.io"
                f" && kubectl --context {c} get gatewayclass {spec.gateway_api.gateway_class}"
                for c in names
            ),
        )
    return (
        Check(
            f"Argo CD in namespace {argocd} of the management cluster, reaching every city's API server",
            "the root Application and everything below it run there",
            (
                f"kubectl -n {argocd} get deployment argocd-server argocd-repo-server argocd-applicationset-controller",
                f"kubectl -n {argocd} get statefulset argocd-application-controller",
            ),
        ),
        Check(
            "Vault holding every key the ExternalSecrets read, among them each city's cluster credentials",
            "Argo CD's cluster Secrets and every data-layer Secret come from it; nothing secret is in Git",
            tuple(f"vault kv get -field={CLUSTER_CONFIG_KEY} {rollout.cluster_credentials}/{c}" for c in names),
        ),
        Check(
            f"External Secrets (chart {eso}, release {naming.EXTERNAL_SECRETS}) and the ClusterSecretStore "
            f"{store} Ready in the management cluster and in every city",
            "the store's Vault auth (server, mount, role) is not in envs/, so it is created by hand; the chart "
            "comes first for its CRD, and the add-on Application then keeps it at the pinned version",
            tuple(
                command
                for c in (naming.IN_CLUSTER, *names)
                for command in (
                    f"helm --kube-context {c} install {naming.EXTERNAL_SECRETS} {naming.EXTERNAL_SECRETS} "
                    f"--repo {naming.EXTERNAL_SECRETS_CHARTS} -n {naming.EXTERNAL_SECRETS} --create-namespace "
                    f"--version {eso} --set installCRDs=true",
                    f"kubectl --context {c} get clustersecretstore {store} "
                    "-o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'  # True",
                )
            ),
        ),
        Check(
            "pod and Service networks routable between the cities (envs/<city>.yaml `network`)",
            "etcd peers, Patroni replication and the apps' database connections cross cities on them",
            (
                f"kubectl --context {first} get nodes -o custom-columns=NODE:.metadata.name,POD_CIDR:.spec.podCIDR",
                f"kubectl --context {first} -n default run netcheck --rm -i --restart=Never --image=busybox -- "
                f"nc -zv -w 3 etcd.{last}.{zone} {spec.database.etcd_peer_port}",
            ),
        ),
        Check(
            f"CoreDNS in every city forwarding {zone} to {spec.prerequisites.dns_server}",
            "every cross-city database name resolves there; external-dns writes the records",
            tuple(
                f"kubectl --context {c} -n default run dnscheck --rm -i --restart=Never --image=busybox -- "
                f"nslookup etcd.{c}.{zone}"
                for c in names
            ),
        ),
        Check(
            f"the TSIG key {spec.prerequisites.dns_tsig_key} of {spec.prerequisites.dns_server}, as Secret "
            f"{TSIG_SECRET} (key {TSIG_SECRET_KEY}) in namespace {naming.EXTERNAL_DNS} of every city",
            "external-dns signs its RFC 2136 updates of the zone with it",
            tuple(f"kubectl --context {c} -n {naming.EXTERNAL_DNS} get secret {TSIG_SECRET}" for c in names),
        ),
        Check(
            f"node pools labelled {naming.POOL_LABEL} ({', '.join(pools)}), dedicated ones tainted "
            f"{naming.POOL_LABEL}=<pool>:NoSchedule ({', '.join(dedicated) or 'none'})",
            "every pod selects its pool by the label; only pods tolerating a dedicated pool's taint land there",
            tuple(f"kubectl --context {c} get nodes -L {naming.POOL_LABEL} -o wide" for c in names)
            + tuple(
                f"kubectl --context {c} get nodes -l {naming.POOL_LABEL}={pool} "
                "-o jsonpath='{range .items[*]}{.metadata.name} {.spec.taints}{\"\\n\"}{end}'"
                for c in names
                for pool in dedicated
            ),
        ),
        Check(
            f"LVM volume group {spec.prerequisites.topolvm_volume_group} on every {DATABASE_POOL} node, "
            "cert-manager (TopoLVM's webhook certificates) in every city, and kube-system labelled "
            "topolvm.io/webhook=ignore",
            "TopoLVM carves the `ssd-retain` volumes from it",
            (
                f"kubectl --context {first} debug node/<node> -it --image=busybox -- chroot /host vgs "
                f"{spec.prerequisites.topolvm_volume_group}",
                *(f"kubectl --context {c} get crd certificates.cert-manager.io" for c in names),
                *(f"kubectl --context {c} get namespace kube-system -L topolvm.io/webhook" for c in names),
            ),
        ),
        Check(
            f"every node labelled {failover.region_label}=<its city>",
            "Istio reads an endpoint's locality from its node: without the label the DestinationRules' failover "
            "order matches nothing, and a city's callers spread over every city",
            tuple(failover.node_check(c) for c in names),
        ),
        edge,
    )


def resolve_prerequisites(
    spec: FleetSpec, cities: tuple[City, ...], data_plans: Mapping[str, CityDataPlan], failover: FailoverPlan
) -> Prerequisites:
    addons = tuple(make(spec, city) for city in cities for make in (_external_secrets, _topolvm, _external_dns))
    published = {
        city.name: tuple(sorted(s.dns_host for s in data_plans[city.name].services if s.dns_host)) for city in cities
    }
    return Prerequisites(addons=addons, checks=_checks(spec, cities, failover), published=published)
