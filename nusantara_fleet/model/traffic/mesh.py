"""The Istio mesh: multi-primary on one network per city, resolved once for the fleet.

Every city runs its own istiod, which watches the other cities' API servers (remote secrets) so it
knows every endpoint of a service; a sidecar reaches another city's endpoints only through that city's
east-west gateway, which relays the mTLS connection unopened (AUTO_PASSTHROUGH), so the caller's identity
reaches the remote sidecar. One offline root signs each city's intermediate CA (`cacerts`), so the
cities trust each other's workloads.

mTLS is STRICT mesh-wide; each service admits, by identity, exactly the callers its NetworkPolicy admits:
both are rendered from one flow table, `App.network.inbound` (model/workloads/resolve.py).

Pods join the mesh by namespace: the apps namespace is injection-labelled. Namespaces left out are a
reviewed list (`unmeshed`) with the reason each one is out.

Injected pods run under the `restricted` Pod Security profile only with the Istio CNI node agent: without
it every pod would need an init container with NET_ADMIN and NET_RAW. The agent itself mounts host
paths, so Istio's root namespace, where it runs, is the one namespace enforcing `privileged`
(https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/).

Argo CD installs the four charts as add-ons in stages (model/delivery.py): istio-base's CRDs and the CNI
node agent, then istiod, then the east-west gateway. Before any of them, the city's platform Application
makes what they read at start: the root namespace with its Pod Security and network labels, `cacerts`
and the remote secrets, and the namespace's NetworkPolicies (`platform_objects`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon, Stage
from nusantara_fleet.model.cities import City
from nusantara_fleet.model.mesh import CROSS_NETWORK_PORT, GATEWAY_STATUS_PORT, ISTIOD_WEBHOOK_PORT, ISTIOD_XDS_PORT
from nusantara_fleet.model.pod_security import Level
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.spec import FleetSpec
from nusantara_fleet.model.traffic.inputs import Inputs
from nusantara_fleet.model.workloads.plans import InboundFlow

MtlsMode = Literal["STRICT"]
# Every connection between meshed pods is mutual TLS; a plaintext caller is refused, whoever it is.
MTLS_MODE: MtlsMode = "STRICT"
# The CNI node agent needs host paths (see the module docstring); every other namespace stays `restricted`.
ROOT_NAMESPACE_LEVEL: Level = "privileged"
# The keys istiod reads from its plug-in CA Secret (https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/).
CA_KEYS = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")
# Exposes every service of the city (`*.local`) to the other cities' sidecars at the east-west gateway.
CROSS_NETWORK_HOSTS = ("*.local",)
# The east-west gateway's Service ports, as Istio's multi-network sample opens them.
EASTWEST_PORTS = (
    ("status-port", GATEWAY_STATUS_PORT),
    ("tls", CROSS_NETWORK_PORT),
    ("tls-istiod", ISTIOD_XDS_PORT),
    ("tls-webhook", ISTIOD_WEBHOOK_PORT),
)


def unmeshed(spec: FleetSpec) -> dict[str, str]:
    """The reviewed list of the fleet's namespaces without sidecars, each with the reason it stays out."""
    return {
        spec.namespaces.data: "Patroni replicates and fails over by pod IP across cities, outside any Service "
        "the mesh knows, and PostgreSQL clients verify the server certificate themselves (verify-ca); a sidecar "
        "would intercept both. The apps reach it through their sidecars as plain TCP under the apps' own TLS.",
    }


@dataclass(frozen=True)
class StoreSecret:
    """An ExternalSecret: `properties` of `store_key` become the Secret's keys (`secret_keys`, same order)."""

    name: str
    namespace: str
    store: str
    store_key: str
    properties: tuple[str, ...]
    secret_keys: tuple[str, ...]
    refresh: str
    labels: Mapping[str, str]  # on the Secret the store fills, for the software that watches for it
    annotations: Mapping[str, str]


@dataclass(frozen=True)
class AuthorizationRule:
    principals: tuple[str, ...]
    ports: tuple[int, ...]
    # Admits the callers without a mesh identity (plaintext, on a PERMISSIVE port) instead of `principals`;
    # a meshed caller never matches it.
    plaintext: bool = False


@dataclass(frozen=True)
class PermissivePort:
    """A PeerAuthentication of one pod set: STRICT, except `port`, which also takes plaintext callers."""

    name: str
    namespace: str
    selector: Mapping[str, str]
    port: int


@dataclass(frozen=True)
class AuthorizationPlan:
    """ALLOW policy of one pod set: any request not matching a rule is denied."""

    name: str
    namespace: str
    selector: Mapping[str, str]
    rules: tuple[AuthorizationRule, ...]


@dataclass(frozen=True)
class RootIngress:
    """A NetworkPolicy of Istio's root namespace: what may reach one of its pod sets.

    `namespaces` () admits any source: the API server (webhooks) and the other cities' sidecars (through
    their load balancer, whose source address depends on the provider) have no selector to name them.
    """

    name: str
    selector: Mapping[str, str]  # {} = every pod of the namespace
    namespaces: tuple[str, ...]
    ports: tuple[int, ...]


@dataclass(frozen=True)
class CityMesh:
    city: str
    cluster: str  # the city's cluster name in the mesh, unique
    network: str  # the city's network, unique
    eastwest_address: str
    ca: StoreSecret
    remote_secrets: tuple[StoreSecret, ...]  # one per other city, in city order
    authorization: tuple[AuthorizationPlan, ...]


@dataclass(frozen=True)
class MeshPlan:
    mesh_id: str
    trust_domain: str
    namespace: str
    mtls_mode: MtlsMode
    root_namespace_level: Level
    unmeshed: Mapping[str, str]  # namespace -> why it has no sidecars
    namespace_labels: Mapping[str, Mapping[str, str]]  # labels the mesh adds to the fleet's namespaces
    cross_network_gateway: str
    cross_network_port: int
    cross_network_hosts: tuple[str, ...]
    eastwest_selector: Mapping[str, str]
    root_ingress: tuple[RootIngress, ...]  # after a default deny of all ingress to the root namespace
    cities: Mapping[str, CityMesh]
    addons: tuple[Addon, ...] = ()

    def city(self, city: City | str) -> CityMesh:
        return self.cities[city if isinstance(city, str) else city.name]

    def platform_objects(self, city: str) -> tuple[tuple[str, str], ...]:
        """(kind, name) of the root namespace's objects the charts need before they start: the namespace,
        the secrets istiod reads, and the NetworkPolicies, so the namespace is never open."""
        mesh = self.city(city)
        return (
            ("Namespace", self.namespace),
            *(("ExternalSecret", secret.name) for secret in (mesh.ca, *mesh.remote_secrets)),
            ("NetworkPolicy", naming.MESH_DEFAULT_DENY),
            *(("NetworkPolicy", rule.name) for rule in self.root_ingress),
        )


def _authorization(flows: tuple[InboundFlow, ...], *, name: str, namespace: str) -> AuthorizationPlan:
    return AuthorizationPlan(
        name=name,
        namespace=namespace,
        selector=naming.service_selector(name),
        rules=tuple(AuthorizationRule(flow.principals, flow.ports) for flow in flows if flow.meshed),
    )


@traced
def _secrets(inputs: Inputs, city: City) -> tuple[StoreSecret, ...]:
    """The city's intermediate CA, then one remote secret per other city (in city order)."""
    spec = inputs.spec
    mesh = spec.traffic.mesh
    secrets = spec.database.secrets
    ca = StoreSecret(
        name=naming.MESH_CA_SECRET,
        namespace=mesh.namespace,
        store=secrets.store,
        store_key=f"{mesh.ca_key}/{city.name}",
        properties=CA_KEYS,
        secret_keys=CA_KEYS,
        refresh=secrets.refresh,
        labels={},
        annotations={},
    )
    remote = tuple(
        StoreSecret(
            name=naming.remote_secret(other.name),
            namespace=mesh.namespace,
            store=secrets.store,
            store_key=f"{mesh.remote_key}/{other.name}",
            properties=(naming.REMOTE_KUBECONFIG_PROPERTY,),
            # istiod reads one kubeconfig per key, the key naming the cluster.
            secret_keys=(other.name,),
            refresh=secrets.refresh,
            labels={naming.MULTICLUSTER_SECRET_LABEL: "true"},
            annotations={naming.MESH_CLUSTER_ANNOTATION: other.name},
        )
        for other in inputs.cities
        if other.name != city.name
    )
    return (ca, *remote)


def _city(inputs: Inputs, city: City) -> CityMesh:
    plan = inputs.workloads.city(city)
    apps = inputs.spec.namespaces.apps
    policies = [_authorization(app.network.inbound, name=app.name, namespace=apps) for app in plan.apps]
    if plan.cache is not None:
        policies.append(_authorization(plan.cache.inbound, name=plan.cache.name, namespace=apps))
    ca, *remote = _secrets(inputs, city)
    return CityMesh(
        city=city.name,
        cluster=city.name,
        network=naming.mesh_network(city.name),
        eastwest_address=str(city.network.eastwest_address),
        ca=ca,
        remote_secrets=tuple(remote),
        authorization=tuple(policies),
    )


@traced
def _addons(spec: FleetSpec, city: CityMesh) -> tuple[Addon, ...]:
    mesh = spec.traffic.mesh

    def chart(name: str, chart_name: str, values: Mapping[str, Any], stage: Stage) -> Addon:
        return Addon(
            name=name,
            stage=stage,
            city=city.city,
            namespace=mesh.namespace,
            repo_url=mesh.chart_repo,
            chart=chart_name,
            version=mesh.version,
            values=values,
        )

    istiod = {
        "global": {
            "istioNamespace": mesh.namespace,
            "meshID": mesh.mesh_id,
            "multiCluster": {"clusterName": city.cluster},
            "network": city.network,
        },
        "meshConfig": {
            "trustDomain": mesh.trust_domain,
            "defaultConfig": {
                # The apps connect to PostgreSQL at start: their sidecar must be up before they run.
                "holdApplicationUntilProxyStarts": True,
            },
            # The apps call PostgreSQL, the other cities' write endpoints and the payment providers, none a
            # mesh service: the sidecar passes them through (the NetworkPolicies still bound them).
            "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
        },
        # Injected pods get no NET_ADMIN init container: the CNI node agent redirects their traffic.
        "pilot": {"cni": {"enabled": True}},
    }
    gateway = {
        "labels": {naming.ISTIO_LABEL: naming.EASTWEST_LABEL_VALUE, naming.MESH_NETWORK_LABEL: city.network},
        "networkGateway": city.network,
        "service": {
            "type": "LoadBalancer",
            "loadBalancerIP": city.eastwest_address,
            "ports": [
                {"name": name, "port": port, "protocol": "TCP", "targetPort": port} for name, port in EASTWEST_PORTS
            ],
        },
    }
    return (
        # The CRDs, and the CNI node agent that every injected pod's traffic redirection needs from its start.
        chart(naming.ISTIO_BASE, naming.ISTIO_BASE_CHART, {"defaultRevision": "default"}, "mesh-base"),
        # The chart's defaults fit a cluster whose CNI keeps its binaries and config in the standard paths.
        chart(naming.ISTIO_CNI, naming.ISTIO_CNI_CHART, {}, "mesh-base"),
        # After the CRDs and after the city's platform Application has made `cacerts`, which istiod reads
        # once at start: started before it, istiod would sign with a CA of its own until restarted.
        chart(naming.ISTIOD, naming.ISTIOD, istiod, "mesh-control"),
        # Its pods are injected (the gateway template): istiod's webhook must exist when they start.
        chart(naming.EASTWEST_GATEWAY, naming.ISTIO_GATEWAY_CHART, gateway, "charts"),
    )


def _root_ingress(spec: FleetSpec, clients: tuple[str, ...]) -> tuple[RootIngress, ...]:
    """istiod serves its clients' proxies and the east-west gateway; the gateway serves the other cities."""
    istiod = {naming.ISTIO_LABEL: naming.ISTIOD_LABEL_VALUE}
    eastwest = {naming.ISTIO_LABEL: naming.EASTWEST_LABEL_VALUE}
    return (
        RootIngress(
            name=naming.mesh_policy(naming.ISTIOD),
            selector=istiod,
            namespaces=tuple(sorted({*clients, spec.traffic.mesh.namespace})),
            ports=(ISTIOD_XDS_PORT,),
        ),
        RootIngress(name=naming.MESH_WEBHOOK_POLICY, selector=istiod, namespaces=(), ports=(ISTIOD_WEBHOOK_PORT,)),
        RootIngress(
            name=naming.mesh_policy(naming.EASTWEST_GATEWAY),
            selector=eastwest,
            namespaces=(),
            ports=(GATEWAY_STATUS_PORT, CROSS_NETWORK_PORT),
        ),
    )


@traced
def resolve_mesh(inputs: Inputs) -> MeshPlan:
    spec = inputs.spec
    mesh = spec.traffic.mesh
    cities = {city.name: _city(inputs, city) for city in inputs.cities}
    out = unmeshed(spec)
    injected = {
        name: {naming.INJECTION_LABEL: naming.INJECTION_ENABLED} for _, name in spec.namespaces if name not in out
    }
    return MeshPlan(
        mesh_id=mesh.mesh_id,
        trust_domain=mesh.trust_domain,
        namespace=mesh.namespace,
        mtls_mode=MTLS_MODE,
        root_namespace_level=ROOT_NAMESPACE_LEVEL,
        unmeshed=out,
        namespace_labels=injected,
        cross_network_gateway=naming.CROSS_NETWORK_GATEWAY,
        cross_network_port=CROSS_NETWORK_PORT,
        cross_network_hosts=CROSS_NETWORK_HOSTS,
        eastwest_selector={naming.ISTIO_LABEL: naming.EASTWEST_LABEL_VALUE},
        # istiod's clients: the injected namespaces, the edge proxies (Istio's Gateway API proxies, or
        # ingress-nginx with a sidecar) and the blackbox exporter, whose probes need a mesh identity.
        root_ingress=_root_ingress(
            spec,
            (
                *injected,
                *{plan.edge.proxy_namespace for plan in inputs.workloads.cities.values()},
                spec.network_policy.monitoring_namespace,
            ),
        ),
        cities=cities,
        addons=tuple(addon for city in cities.values() for addon in _addons(spec, city)),
    )
