"""Every object name, suffix, label and annotation key of the fleet, defined once.

The model names its plans with these; constructs and `fleet diff` read the same constants, so a
selector, a reference and the object it points at can never disagree. Nothing here imports the
model: this module is a leaf every layer may use.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Literal

MANAGED_BY = "nusantara-fleet"
# Objects that are not a versioned app (namespaces, fleet facts, policies) carry the generator's version.
GENERATOR_VERSION = version("nusantara-fleet")

# The concern package that rendered an object (`app.kubernetes.io/component`).
Component = Literal["platform", "data", "workloads", "network", "delivery", "observability", "traffic"]

# Standard labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
VERSION_LABEL = "app.kubernetes.io/version"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

# The fleet's own labels.
CITY_LABEL = "fleet.nusantaramart.co.id/city"
ROLE_LABEL = "fleet.nusantaramart.co.id/role"
ROLLOUT_STEP_LABEL = "fleet.nusantaramart.co.id/rollout-step"
# On Patroni StatefulSets and their pods: primary | replica | reporting, so a fleet-wide policy can
# require exactly one primary database across cities.
DATABASE_ROLE_LABEL = "fleet.nusantaramart.co.id/database-role"
# On every Patroni pod of a city (members and reporting): one node per pod (anti-affinity) and DNS.
DATABASE_CLUSTER_LABEL = "fleet.nusantaramart.co.id/database-cluster"
# Set by Patroni (or its role callback) on its own pod at runtime; the write and read Services select it.
PATRONI_ROLE_LABEL = "fleet.nusantaramart.co.id/patroni-role"
# Labels that no template sets because software sets them on running pods: checks over dist/ read them as "may be set".
RUNTIME_LABELS = frozenset({PATRONI_ROLE_LABEL})
# On every pod of a service, stable and canary alike: network policies select a service by it.
SERVICE_LABEL = "fleet.nusantaramart.co.id/service"
# stable | canary, so dashboards and `kubectl` can compare the two versions of one service.
TRACK_LABEL = "fleet.nusantaramart.co.id/track"
# On every node, naming its pool; pods choose a pool by it and dedicated pools taint by it.
POOL_LABEL = "node.nusantaramart.co.id/pool"

# Labels other software sets or reads.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace
HOSTNAME_LABEL = "kubernetes.io/hostname"  # set by the kubelet on every node
ARGOCD_SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"

# Annotations.
# On the gated city's Application: the Application health check lets the parent finish while it waits.
GATE_ANNOTATION = "fleet.nusantaramart.co.id/manual-gate"
APP_CONFIG_CHECKSUM = "fleet.nusantaramart.co.id/config-sha256"
PATRONI_CONFIG_CHECKSUM = "fleet.nusantaramart.co.id/patroni-config-sha256"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
MANIFEST_PATHS = "argocd.argoproj.io/manifest-generate-paths"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
EXTERNAL_DNS_TTL = "external-dns.alpha.kubernetes.io/ttl"
NGINX_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io"
# On a certificate's ExternalSecret: what its issuer must put in it (comma-separated).
TLS_DNS_NAMES = "fleet.nusantaramart.co.id/tls-dns-names"
TLS_USAGES = "fleet.nusantaramart.co.id/tls-usages"
# Pod Security Admission (https://kubernetes.io/docs/concepts/security/pod-security-admission/): on a
# namespace, `<prefix>/<mode>` is the profile and `<prefix>/<mode>-version` the Kubernetes minor of its checks.
POD_SECURITY_PREFIX = "pod-security.kubernetes.io"

# Folders.
DIST_DIR = "dist"  # the folder `fleet synth` writes and Argo CD reads
FLEET_FOLDER = "fleet"  # dist/fleet holds the fleet-wide objects, so no city may take this name
FLEET_FILE = "fleet.yaml"  # envs/fleet.yaml; every other envs/<city>.yaml is a city
MANIFEST_SUFFIX = ".k8s.yaml"

# Platform objects.
CITY_FACTS = "city-facts"
FLEET_TOPOLOGY = "fleet-topology"

# Data-layer objects.
MEMBER_SET = "postgres"  # StatefulSet of the members that may lead (`-<city>` appended)
REPORTING_SET = "postgres-reporting"  # StatefulSet of the reporting members (never lead)
RESTORE_SET = "postgres-restore"  # `fleet restore`: a new cluster beside the live one, never over it
ETCD = "etcd"
WRITE_SERVICE = "postgres-write"
READ_SERVICE = "postgres-read"
REPORTING_SERVICE = "postgres-reporting"
MEMBERS_SERVICE = "postgres-members"
PATRONI_CONFIG = "patroni"
PATRONI_ACCOUNT = "postgres"
BACKUP_JOB = "postgres-backup"
RECAP_JOB = "postgres-recap"
PROMOTE_JOB = "postgres-promote"
CREDENTIALS_SECRET = "postgres-credentials"  # superuser, replication and app passwords
OBJECT_STORAGE_SECRET = "postgres-object-storage"  # this city's S3 access key
# One certificate per purpose, each in its own Secret, so a pod mounts only the keys it uses and a
# leaked key opens one trust domain. Each Secret's `ca.crt` is the CA of that domain.
POSTGRES_SERVER_TLS = "postgres-server-tls"  # PostgreSQL's server certificate
PATRONI_API_TLS = "patroni-api-tls"  # Patroni's REST API: server, and client of the other members
ETCD_PEER_TLS = "etcd-peer-tls"  # etcd members to each other
ETCD_SERVER_TLS = "etcd-server-tls"  # etcd's client port
ETCD_CLIENT_TLS = "etcd-client-tls"  # Patroni (and patronictl) as an etcd client
POSTGRES_POLICY = "postgres"  # the NetworkPolicy in front of the members' PostgreSQL (5432)
REPORTING_POLICY = "postgres-reporting"  # the NetworkPolicy in front of the reporting members' PostgreSQL
PATRONI_API_POLICY = "patroni-api"  # the NetworkPolicy in front of Patroni's REST API (8008)
ETCD_PEER_POLICY = "etcd-peer"  # the NetworkPolicy in front of etcd's peer port (`etcd` guards its client port)
DATA_DEFAULT_DENY = "data-default-deny"
DATA_ALLOW_DNS = "data-allow-dns"
EGRESS_SUFFIX = "-egress"  # the NetworkPolicy of what one data-layer workload may send
PGDATA_CLAIM = "pgdata"  # volumeClaimTemplate of the Patroni members
ETCD_CLAIM = "data"  # volumeClaimTemplate of the etcd member
CALLBACK_SCRIPT = "label_role.py"
PROMOTE_SCRIPT = "promote.py"
RECAP_SCRIPT = "recap.sql"

# Workload objects.
CANARY_SUFFIX = "-canary"
CONFIG_SUFFIX = "-config"
REDIRECT_SUFFIX = "-https-redirect"
EDGE_GATEWAY = "edge"  # the Gateway API Gateway of a city's public hosts
HTTP_LISTENER = "http"

# Network objects.
DEFAULT_DENY = "default-deny"
ALLOW_DNS = "allow-dns"

# Delivery objects.
IN_CLUSTER = "in-cluster"  # Argo CD's name for the cluster it runs in (the management cluster)
ARGOCD_CM = "argocd-cm"
ARGOCD_CMD_PARAMS = "argocd-cmd-params-cm"
RELEASE_MANAGER = "release-manager"
CLUSTER_SECRET_PREFIX = "cluster-"
FLEET_APP_SUFFIX = "-fleet"


def canary_name(service: str) -> str:
    return f"{service}{CANARY_SUFFIX}"


def config_name(service: str) -> str:
    return f"{service}{CONFIG_SUFFIX}"


def egress_policy(name: str) -> str:
    return f"{name}{EGRESS_SUFFIX}"


def city_object(base: str, city: str) -> str:
    """`<base>-<city>`: objects whose pods must have fleet-unique names (Patroni members span cities)."""
    return f"{base}-{city}"


def cross_city_host(service: str, city: str, zone: str) -> str:
    """`<service>.<city>.<zone>`: a city's Service as every city resolves it."""
    return f"{service}.{city}.{zone}"


def cluster_local_host(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.cluster.local"


def city_app(project: str, city: str) -> str:
    return f"{project}-{city}"


def root_app(project: str) -> str:
    return f"{project}{FLEET_APP_SUFFIX}"


def cluster_secret(city: str) -> str:
    return f"{CLUSTER_SECRET_PREFIX}{city}"


def manifest_file(kind: str, name: str) -> str:
    """The file cdk8s writes an object to inside its chart's folder."""
    return f"{kind}.{name}{MANIFEST_SUFFIX}"


def selector_labels(*, name: str, city: str) -> dict[str, str]:
    """Labels a selector may use: never the version, since selectors are immutable."""
    return {INSTANCE_LABEL: f"{name}-{city}", NAME_LABEL: name}


def labels(*, project: str, city: str, role: str, name: str, component: Component, version: str) -> dict[str, str]:
    """The standard labels every object of a city carries, plus the city and its database role."""
    return {
        **selector_labels(name=name, city=city),
        COMPONENT_LABEL: component,
        MANAGED_BY_LABEL: MANAGED_BY,
        PART_OF_LABEL: project,
        VERSION_LABEL: version,
        CITY_LABEL: city,
        ROLE_LABEL: role,
    }


def fleet_labels(*, project: str, name: str, component: Component, version: str) -> dict[str, str]:
    """Labels of fleet-wide objects, which belong to no single city."""
    return {
        COMPONENT_LABEL: component,
        INSTANCE_LABEL: f"{name}{FLEET_APP_SUFFIX}",
        MANAGED_BY_LABEL: MANAGED_BY,
        NAME_LABEL: name,
        PART_OF_LABEL: project,
        VERSION_LABEL: version,
    }


# What a failover changes about a city, which pod templates must not carry: a change of `primary` would
# otherwise restart every pod of the old and the new primary city (etcd members included) in one commit.
FAILOVER_LABELS = (ROLE_LABEL, DATABASE_ROLE_LABEL)


def template_labels(labels: dict[str, str]) -> dict[str, str]:
    """An object's labels as its pod template carries them: without the ones a failover flips."""
    return {key: value for key, value in labels.items() if key not in FAILOVER_LABELS}


def service_selector(service: str) -> dict[str, str]:
    """Selects every pod of a service, whichever version or track (NetworkPolicy peers and targets)."""
    return {SERVICE_LABEL: service}


# Observability (model/observability/): one block per area.
ADDONS_PROJECT_SUFFIX = "-addons"  # the AppProject of the charts the fleet installs into every city


def addon_app(addon: str, city: str) -> str:
    """The Argo CD Application installing one chart into one city."""
    return f"{addon}-{city}"


# Observability: dashboards
GRAFANA_DASHBOARD_LABEL = "grafana_dashboard"  # what the Grafana sidecar of kube-prometheus-stack watches for
GRAFANA_DASHBOARD_LABEL_VALUE = "1"
DASHBOARD_FLEET = "fleet-overview"  # the fleet-wide dashboard, rendered in every city
DASHBOARD_CONFIGMAP_PREFIX = "grafana-dashboard-"


def city_dashboard(city: str) -> str:
    """The dashboard of one city's services."""
    return f"city-{city}"


def dashboard_configmap(dashboard: str) -> str:
    return f"{DASHBOARD_CONFIGMAP_PREFIX}{dashboard}"


def dashboard_file(dashboard: str) -> str:
    """The ConfigMap key the sidecar writes out as the dashboard's file."""
    return f"{dashboard}.json"


def city_datasource(city: str) -> str:
    """Uid of the Grafana datasource of one city's Prometheus, which the fleet dashboard's panels read."""
    return f"prometheus-{city}"


# Observability: scrape
BLACKBOX_EXPORTER = "blackbox-exporter"  # the chart's fullnameOverride, so the Probes' prober address is fixed
BLACKBOX_CHART = "prometheus-blackbox-exporter"
BLACKBOX_PORT = 9115  # the exporter's HTTP port (the chart's default)
PROMETHEUS_COMMUNITY_CHARTS = "https://prometheus-community.github.io/helm-charts"
PROBE_KIND_LABEL = "probe_kind"  # on probe_success: edge, service or reporting
TARGET_CITY_LABEL = "target_city"  # on probe_success: the city probed
PROBE_SERVICE_LABEL = "service"  # on a service's probe_success, as the app metrics spell it
PATRONI_MONITOR = "patroni"
ETCD_MONITOR = "etcd"


def probe_name(kind: str, target: str) -> str:
    """`<kind>-<target>`: one Probe per probed thing, so each carries its own labels."""
    return f"{kind}-{target}"


# Observability: sla
SLA_RULE = "sla"  # the PrometheusRule of the SLA table's alerts, one per city


# Observability: stack and routing
KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"  # the add-on's name and Helm release, and the chart's name
PAGING_RECEIVER = "paging"  # high urgency: pages someone now
TICKET_RECEIVER = "ticket"  # medium urgency: opens a ticket handled within the response time
RECEIVERS_SECRET = "alertmanager-receivers"  # the receivers' credentials, from the secret store
PAGERDUTY_ROUTING_KEY = "pagerduty-routing-key"
TICKET_WEBHOOK_URL = "ticket-webhook-url"
# Where the Prometheus Operator mounts each Secret listed in `alertmanagerSpec.secrets`.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"


def alertmanager_secret_file(secret: str, key: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/{secret}/{key}"


# Observability: logs and traces
GRAFANA_CHARTS = "https://grafana.github.io/helm-charts"
OPENTELEMETRY_CHARTS = "https://open-telemetry.github.io/opentelemetry-helm-charts"
LOKI = "loki"  # the add-on, its chart, and its fullnameOverride (so the collector's exporter address is fixed)
LOKI_PORT = 3100  # Loki's HTTP port (the chart's default)
TEMPO = "tempo"
OTEL_COLLECTOR = "otel-collector"  # the add-on and the chart's fullnameOverride: the Service the apps export to
OTEL_COLLECTOR_CHART = "opentelemetry-collector"
OTEL_COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"  # contrib: transform, groupbyattrs, tail_sampling
LOG_CLASS_ATTRIBUTE = "log.class"  # what services set on each record: application, audit or security
LOG_CLASS_LABEL = "log_class"  # Loki's index label for it (Loki turns the attribute's dots into underscores)
LOG_CLASSES = ("application", "audit", "security")


# Observability: slo
def slo_rule(service: str) -> str:
    """The PrometheusRule of one service's SLOs (and its dashboard recordings)."""
    return f"{service}-slo"


# --- traffic -----------------------------------------------------------------------------------------------


def edge_proxy_account(mode: str, gateway: str, gateway_class: str) -> str:
    """The edge proxies' ServiceAccount: Istio names a Gateway's deployment `<gateway>-<class>`; ingress-nginx's
    upstream install names its controller's account after itself."""
    return f"{gateway}-{gateway_class}" if mode == "gateway-api" else "ingress-nginx"


# Traffic: locality failover
# The node label Istio reads a proxy's and an endpoint's locality from; each city's nodes carry the city's name.
REGION_LABEL = "topology.kubernetes.io/region"
# On every DestinationRule: the derived seconds until a city's callers leave its endpoints, for `fleet scenarios`.
FAILOVER_SECONDS = "fleet.nusantaramart.co.id/failover-seconds"  # all local pods NotReady
EJECTION_SECONDS = "fleet.nusantaramart.co.id/ejection-seconds"  # local pods hang while still Ready


def node_region(city: str) -> str:
    """The `REGION_LABEL` value of a city's nodes: the city's name, so Istio's regions are the fleet's cities."""
    return city


# --- scenarios ---------------------------------------------------------------------------------------------
# What `fleet scenarios` reads in dist/ besides the names above; the traffic objects' names are the traffic
# constructs' (edge Gateway, one HTTPRoute and one Gslb per public host, named after its `hosts` key).
SCENARIO_POSTGRES_CONFIG = "postgres.yml"  # the patroni ConfigMap's key for members that may lead
SCENARIO_REPORTING_CONFIG = "postgres-reporting.yml"
SCENARIO_FAILOVER_MODE_ENV = "FAILOVER_MODE"  # on the promotion Job: quorum or standby-clusters


# --- traffic: edge and global DNS ----------------------------------------------------------------------------
# Istio labels the pods of a Gateway API Gateway's deployment with the Gateway's name.
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
EDGE_PROXY_POLICY = "edge-proxies"  # the NetworkPolicy of the Gateway's proxies in the apps namespace
# ingress-nginx in the mesh: send to the Service (not pod IPs) under its cluster-local name, so the
# controller's sidecar routes, encrypts and fails over like any other caller.
NGINX_SERVICE_UPSTREAM = f"{NGINX_ANNOTATION_PREFIX}/service-upstream"
NGINX_UPSTREAM_VHOST = f"{NGINX_ANNOTATION_PREFIX}/upstream-vhost"
# One HTTPRoute (and one Gslb) per public host, named after the host's role in `hosts`.
EDGE_ROUTE_API = "api"
EDGE_ROUTE_WEB = "web"
K8GB = "k8gb"  # the add-on, its Helm release and its chart
K8GB_CHARTS = "https://www.k8gb.io"
DNS_RECORDS = "dns-records"  # dist/fleet: the static parent-zone records the operator applies


def k8gb_dns_owner(city: str) -> str:
    """external-dns's TXT owner of one city's delegation records, so no city removes another's."""
    return f"k8gb-{city}"


# --- traffic: mesh (Istio multi-primary, multi-network) -----------------------------------------------------
# Istio's own label and annotation keys (https://istio.io/latest/docs/reference/config/labels/).
MESH_NETWORK_LABEL = "topology.istio.io/network"  # on the root namespace and the east-west gateway
INJECTION_LABEL = "istio-injection"  # `enabled` on a namespace: every pod there gets a sidecar
INJECTION_ENABLED = "enabled"
MULTICLUSTER_SECRET_LABEL = "istio/multiCluster"  # istiod watches Secrets with it for remote clusters
MESH_CLUSTER_ANNOTATION = "networking.istio.io/cluster"  # the remote cluster a remote secret is for
EXCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/excludeInboundPorts"  # pod ports the sidecar leaves alone
ISTIO_LABEL = "istio"  # the gateway and istiod pods' role label
ISTIOD_LABEL_VALUE = "pilot"  # istiod's pods carry `istio: pilot`
EASTWEST_LABEL_VALUE = "eastwestgateway"  # the east-west gateway pods carry `istio: eastwestgateway`
EASTWEST_GATEWAY = "istio-eastwestgateway"  # the gateway chart's release and Deployment name
CROSS_NETWORK_GATEWAY = "cross-network-gateway"  # the Gateway exposing every service on 15443
MESH_CA_SECRET = "cacerts"  # istiod's plug-in CA Secret, a name istiod reads
MESH_PEER_AUTHENTICATION = "default"  # in the root namespace: the mesh-wide mTLS mode
REMOTE_SECRET_PREFIX = "istio-remote-secret-"
ISTIO_READER_ACCOUNT = "istio-reader-service-account"  # what istio-base creates for the other istiods
REMOTE_KUBECONFIG_PROPERTY = "kubeconfig"
# The Istio charts, each its own Argo CD add-on and Helm release.
ISTIO_BASE = "istio-base"
ISTIO_BASE_CHART = "base"
ISTIOD = "istiod"
ISTIO_CNI = "istio-cni"
ISTIO_CNI_CHART = "cni"
ISTIO_GATEWAY_CHART = "gateway"


def mesh_network(city: str) -> str:
    """The Istio network of one city: one per city, since pods of different cities are not routable directly."""
    return f"network-{city}"


def remote_secret(city: str) -> str:
    """The Secret holding the kubeconfig istiod uses to watch `city`'s API server."""
    return f"{REMOTE_SECRET_PREFIX}{city}"


def mesh_principal(trust_domain: str, namespace: str, account: str) -> str:
    """A workload's mesh identity as AuthorizationPolicy `principals` spell it (SPIFFE without `spiffe://`)."""
    return f"{trust_domain}/ns/{namespace}/sa/{account}"


def mesh_policy(name: str) -> str:
    """A NetworkPolicy of Istio's root namespace; `mesh-default-deny` closes the namespace first."""
    return f"mesh-{name}"


MESH_DEFAULT_DENY = mesh_policy("default-deny")
MESH_WEBHOOK_POLICY = mesh_policy("webhook")  # the API server to istiod's webhooks

# --- transitions -------------------------------------------------------------------------------------------
ARGOCD_HOOK = "argocd.argoproj.io/hook"
ARGOCD_HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
# The `patroni` ConfigMap's key holding the DCS section the promotion Job applies to the running cluster.
DYNAMIC_CONFIG_KEY = "dynamic-config.yaml"
ETCD_CLUSTER_CONFIG = "etcd-cluster"  # the ConfigMap of etcd's first-start membership (ETCD_INITIAL_CLUSTER*)

# --- observability: edge probes, Grafana datasources, report cache exporter -----------------------------


def edge_probe_module(host: str) -> str:
    """The blackbox exporter module that probes a city's edge address as the public `host`."""
    return f"https_edge_{host.replace('.', '_').replace('-', '_')}"


PROMETHEUS_PORT = 9090  # the Prometheus Service's port in kube-prometheus-stack (`prometheus.service.port`)


CACHE_EXPORTER = "redis-exporter"  # the report cache's exporter container
CACHE_EXPORTER_PORT = "metrics"  # its port's name, which the PodMonitor scrapes
CACHE_MONITOR = "report-cache"  # the PodMonitor of the report cache's exporters

# --- bootstrap (delivery: the first rollout, Argo CD's own config, prerequisites) -----------------------------
DATA_APP_SUFFIX = "-data"  # a city's data-layer Application: `<project>-<city>-data`
PLATFORM_APP_SUFFIX = "-platform"  # what a city's charts read at start: `<project>-<city>-platform`
LAYER_LABEL = "fleet.nusantaramart.co.id/layer"  # on the city Applications: `platform`, `data` or `apps`


def city_data_app(project: str, city: str) -> str:
    return f"{city_app(project, city)}{DATA_APP_SUFFIX}"


def city_platform_app(project: str, city: str) -> str:
    return f"{city_app(project, city)}{PLATFORM_APP_SUFFIX}"


EXTERNAL_SECRETS = "external-secrets"  # the add-on, its chart and its namespace
EXTERNAL_SECRETS_CHARTS = "https://charts.external-secrets.io"
TOPOLVM = "topolvm"
TOPOLVM_CHARTS = "https://topolvm.github.io/topolvm"
TOPOLVM_NAMESPACE = "topolvm-system"  # the namespace the chart's webhooks and docs assume
EXTERNAL_DNS = "external-dns"
EXTERNAL_DNS_CHARTS = "https://kubernetes-sigs.github.io/external-dns"

# --- database roles and credentials ------------------------------------------------------------------------
ANY_MEMBER_SERVICE = "postgres-any"  # every ready member that may lead: a city's reads when it has no replica
ROLES_JOB = "postgres-roles"  # the hook Job (and its ConfigMap) that keeps the roles and grants in sync
ROLES_SCRIPT = "roles.sql"
POSTGRES_CA_SECRET = "postgres-ca"  # PostgreSQL's server CA in the apps namespace (the clients' verify-full)
DATABASE_SECRET_SUFFIX = "-database"  # a service's database password Secret: `<service>-database`
DATABASE_OWNER = "shop"  # owns the database and the read-only schemas, runs the recap
ARGOCD_HOOK = "argocd.argoproj.io/hook"
ARGOCD_HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"


def database_secret(service: str) -> str:
    return f"{service}{DATABASE_SECRET_SUFFIX}"


def roles_secret(service: str) -> str:
    """The copy of a service's password the roles Job reads in the data namespace."""
    return f"{ROLES_JOB}-{service}"


def database_login(service: str) -> str:
    """A service's PostgreSQL role: `app_<service>`, never a bare service name (`order` is a keyword)."""
    return f"app_{service.replace('-', '_')}"


# --- observability in the mesh -----------------------------------------------------------------------------
# The pod label that asks Istio for a sidecar in a namespace without injection (the blackbox exporter's).
SIDECAR_INJECT_LABEL = "sidecar.istio.io/inject"

# --- observability: every city's Prometheus, through the mesh -----------------------------------------------
# Istio's pod annotations that narrow what the sidecar intercepts (comma-separated; "" intercepts nothing).
INCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/includeInboundPorts"
INCLUDE_OUTBOUND_IP_RANGES = "traffic.sidecar.istio.io/includeOutboundIPRanges"
# kube-prometheus-stack's Prometheus resource (`<fullname>-prometheus`); the operator labels its pods with it.
STACK_PROMETHEUS = f"{KUBE_PROMETHEUS_STACK}-prometheus"
PROMETHEUS_OPERATOR_NAME_LABEL = "operator.prometheus.io/name"
PROMETHEUS_APP_NAME = "prometheus"  # the operator's `app.kubernetes.io/name` on every Prometheus pod
PROMETHEUS_PORT_NAME = "http-web"  # the chart's `prometheusSpec.portName`; `http-` tells Istio the protocol
STACK_GRAFANA = f"{KUBE_PROMETHEUS_STACK}-grafana"  # the Grafana subchart's fullname: its ServiceAccount
PROMETHEUS_AUTHORIZATION = "prometheus"  # the AuthorizationPolicy and PeerAuthentication on the Prometheus pods


def city_prometheus(city: str) -> str:
    """The Service reaching one city's Prometheus, rendered in every city (the mesh merges them by name)."""
    return f"prometheus-{city}"


def prometheus_url(city: str, namespace: str) -> str:
    """One city's Prometheus as every city's Grafana reaches it: its own Service, never the chart's, whose name
    every city shares (the mesh would spread its callers over all of them)."""
    return f"http://{city_prometheus(city)}.{namespace}:{PROMETHEUS_PORT}/"
