"""What `envs/` may say about traffic between cities: the mesh, locality failover and global DNS."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Literal

from pydantic import Field

from nusantara_fleet.model.spec.common import CHART_VERSION, DNS_LABEL, HELM_V_VERSION, HOSTNAME, HTTPS_URL, Spec


class MeshSpec(Spec):
    """The Istio multi-primary, multi-network mesh that joins the cities' clusters.

    Every city runs its own istiod (multi-primary) on its own network; a city's sidecars reach another
    city's pods through that city's east-west gateway (`network.eastwest_address`).
    """

    mesh_id: str = Field(
        default="nusantara",
        pattern=DNS_LABEL,
        description="Istio mesh ID, the same in every city. Default: the fleet's name; one mesh joins the cities.",
    )
    trust_domain: str = Field(
        default="cluster.local",
        pattern=HOSTNAME,
        description="SPIFFE trust domain of every workload identity (`<domain>/ns/<ns>/sa/<sa>`), the same in "
        "every city so a service has one identity fleet-wide. Default: Istio's own, which every principal "
        "and CA certificate then matches without re-issuing.",
    )
    namespace: str = Field(
        default="istio-system",
        pattern=DNS_LABEL,
        description="Namespace of istiod, the CNI node agent, the east-west gateway and the mesh-wide policies "
        "(Istio's root namespace). Default: Istio's own.",
    )
    chart_repo: str = Field(
        default="https://istio-release.storage.googleapis.com/charts",
        pattern=HTTPS_URL,
        description="Helm repository of Istio's charts (base, istiod, cni, gateway). Default: Istio's release "
        "repository.",
    )
    version: str = Field(
        default="1.30.3",
        pattern=CHART_VERSION,
        description="Istio chart version, the same for every chart. Default: the release whose CRDs the gate "
        "validates against (validate/crds/istio).",
    )
    ca_key: str = Field(
        default="nusantaramart/mesh/ca",
        min_length=1,
        description="Key prefix in the secret store of each city's intermediate CA (`<prefix>/<city>`: "
        "ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem), all signed by one offline root. Default: "
        "one subtree per concern, as the database's secrets have.",
    )
    remote_key: str = Field(
        default="nusantaramart/mesh/remote",
        min_length=1,
        description="Key prefix in the secret store of each city's kubeconfig for the other istiods "
        "(`<prefix>/<city>`, property `kubeconfig`: the token of that city's istio-reader-service-account). "
        "Default: next to the CAs.",
    )


LoadBalancer = Literal["LEAST_REQUEST", "ROUND_ROBIN", "RANDOM"]


class LocalityFailoverSpec(Spec):
    """How a city's callers fail over to another city's endpoints when the local ones are gone.

    The order of the cities is derived (`model/traffic/failover.py`), never written here: the city itself,
    then the primary city, then the others in `database.failover.preference` order. These fields tune the
    outlier detection that Istio needs before it assigns locality priorities at all, and say how fast a
    city's callers leave endpoints that still look Ready but fail.
    """

    load_balancer: LoadBalancer = Field(
        default="LEAST_REQUEST",
        description="How a caller picks among the endpoints of the best locality. Default: Istio's own, which "
        "sends fewer requests to a pod that answers slowly.",
    )
    consecutive_gateway_errors: int = Field(
        default=3,
        ge=1,
        description="502, 503 and 504 answers in a row that eject an endpoint. Default: three, so one dropped "
        "connection never ejects a pod but a dead one is left within a few requests.",
    )
    consecutive_local_origin_failures: int = Field(
        default=3,
        ge=1,
        description="Failures the caller's proxy sees itself (connect failures, resets, timeouts) in a row that "
        "eject an endpoint, counted apart from the answers. Default: as many as the gateway errors.",
    )
    consecutive_5xx_errors: int = Field(
        default=0,
        ge=0,
        description="Any 5xx answers in a row that eject an endpoint; 0 turns it off. Default: off, so a 5xx "
        "caused by the database (read-only during a failover) never ejects healthy readers.",
    )
    interval_seconds: int = Field(
        default=5,
        ge=1,
        description="Seconds between outlier sweeps, which also return ejected endpoints. Default: half of "
        "Istio's 10 s, so an ejected pod's return is noticed within a few seconds.",
    )
    base_ejection_seconds: int = Field(
        default=30,
        ge=1,
        description="Seconds an endpoint stays ejected, times the number of its ejections. Default: Istio's "
        "own, twice the readiness window, so a dead pod leaves the Service before it would be tried again.",
    )
    request_timeout_seconds: int = Field(
        default=5,
        ge=1,
        description="Seconds a caller's proxy waits for a service's answer before it gives up and counts a "
        "local-origin failure (Istio sets no timeout of its own, so a hung pod would never be ejected). "
        "Default: far above the 300 ms p95 latency target, so only a hung request reaches it.",
    )


class Rfc2136Spec(Spec):
    """The parent zones' authoritative server, which takes k8gb's delegation records as RFC 2136 updates."""

    host: IPv4Address = Field(description="Address of the primary server of the parent zones (dynamic updates).")
    port: int = Field(default=53, ge=1, le=65535, description="Its DNS port. Default: the standard port 53.")
    tsig_key_name: str = Field(
        default="k8gb",
        pattern=DNS_LABEL,
        description="Name of the TSIG key the server accepts updates of the delegation records with. Default: "
        "named after its one user.",
    )
    tsig_secret_alg: Literal["hmac-sha256", "hmac-sha512"] = Field(
        default="hmac-sha256",
        description="TSIG algorithm of the key. Default: HMAC-SHA256, what BIND's `tsig-keygen` generates.",
    )
    tsig_secret: str = Field(
        default="k8gb-rfc2136-tsig",
        pattern=DNS_LABEL,
        description="Secret in k8gb's namespace holding the TSIG key (put there from the secret store; never in "
        "envs/ or dist/). Default: named after what it signs.",
    )
    tsig_secret_key: str = Field(
        default="secret",
        pattern=DNS_LABEL,
        description="Key of that Secret holding the base64 TSIG secret. Default: the key k8gb's own RFC 2136 "
        "examples use.",
    )


class GlobalDnsSpec(Spec):
    """k8gb: the public hosts' DNS, answered by every city and re-pointed when a city is down."""

    chart_version: str = Field(
        default="v0.20.0",
        pattern=HELM_V_VERSION,
        description="k8gb chart version, exact, as its Chart.yaml spells it (with `v`). Default: v0.20.0, the "
        "release whose CRDs the gate validates Gslb objects against (nusantara_fleet/validate/crds/k8gb/).",
    )
    namespace: str = Field(
        default="k8gb", pattern=DNS_LABEL, description="Namespace of k8gb in every city. Default: its upstream name."
    )
    zone_label: str = Field(
        default="gslb",
        pattern=DNS_LABEL,
        description="Label of the sub-zone each public host's parent zone delegates to k8gb (`<label>.<parent>`). "
        "Default: `gslb`; a sub-zone leaves the parent zone static and k8gb's own names inside what it owns.",
    )
    dns_ttl_seconds: int = Field(
        default=30,
        ge=5,
        le=300,
        description="TTL of the answers k8gb gives for the hosts, seconds: how long clients may keep a dead "
        "city's address. Default: 30, k8gb's own default; failover takes about reconcile + TTL, well inside "
        "the RTO.",
    )
    reconcile_requeue_seconds: int = Field(
        default=10,
        ge=5,
        le=300,
        description="How often each city's k8gb asks the others for their healthy addresses, seconds. Default: "
        "10, k8gb's stable install; a dead city drops out of the answers within this plus the TTL.",
    )
    negative_ttl_seconds: int = Field(
        default=30,
        ge=5,
        le=3600,
        description="Negative-answer TTL (SOA) of the delegated zones, seconds: how long a resolver remembers "
        "that a name had no answer. Default: 30, as short as the TTL so a host that briefly had no healthy "
        "city comes back as fast as it left.",
    )
    cname_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        description="TTL of the static CNAMEs from the public hosts into the delegated zones, seconds. Default: "
        "an hour; the CNAME never changes on failover (only the answers behind it do).",
    )
    health_policy: Literal["Any", "All"] = Field(
        default="Any",
        description="`serviceHealthPolicy`: a city is healthy while any (or only while all) of the edge "
        "service's Services behind a route has a ready pod. Default: `Any`, so a canary with no ready pod "
        "does not take the whole city out of DNS.",
    )
    edge_dns_servers: list[IPv4Address] = Field(
        min_length=1,
        description="Resolvers that see the parent zones, which k8gb asks for the other cities' delegation records.",
    )
    rfc2136: Rfc2136Spec = Field(description="Where k8gb's external-dns writes the delegation records.")


class TrafficSpec(Spec):
    mesh: MeshSpec = Field(default=MeshSpec(), description="The service mesh across cities.")
    failover: LocalityFailoverSpec = Field(
        default=LocalityFailoverSpec(), description="Locality failover of every service's traffic."
    )
    dns: GlobalDnsSpec = Field(description="Global DNS for the public hosts.")
