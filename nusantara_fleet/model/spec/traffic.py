"""What `envs/` may say about traffic between cities: the mesh, locality failover and global DNS."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import CHART_VERSION, DNS_LABEL, HOSTNAME, HTTPS_URL, Spec


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


class LocalityFailoverSpec(Spec):
    """How a city's callers fail over to another city's endpoints when the local ones are gone."""


class GlobalDnsSpec(Spec):
    """k8gb: the public hosts' DNS, answered by every city and re-pointed when a city is down."""


class TrafficSpec(Spec):
    mesh: MeshSpec = Field(default=MeshSpec(), description="The service mesh across cities.")
    failover: LocalityFailoverSpec = Field(
        default=LocalityFailoverSpec(), description="Locality failover of every service's traffic."
    )
    dns: GlobalDnsSpec = Field(default=GlobalDnsSpec(), description="Global DNS for the public hosts.")
