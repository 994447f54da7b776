"""What `envs/` may say about network policy: cluster facts the policies need, and the peers outside the fleet."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, field_validator

from nusantara_fleet.model.spec.common import DNS_LABEL, IPV4_CIDR, Spec, check_cidr


class NetworkPolicySpec(Spec):
    """Cluster facts the network policies need beyond the fleet's own namespaces."""

    monitoring_namespace: str = Field(
        default="monitoring",
        pattern=DNS_LABEL,
        description="Namespace Prometheus scrapes from. Default: kube-prometheus's namespace.",
    )
    dns_namespace: str = Field(
        default="kube-system", pattern=DNS_LABEL, description="Namespace of cluster DNS. Default: Kubernetes' own."
    )
    dns_pod_labels: dict[str, str] = Field(
        default={"k8s-app": "kube-dns"},
        min_length=1,
        description="Labels of the cluster DNS pods. Default: CoreDNS keeps kube-dns's label on every mainstream "
        "distribution.",
    )
    dns_port: int = Field(default=53, ge=1, le=65535, description="Cluster DNS port (UDP and TCP). Default: DNS's.")
    api_server_cidrs: list[Annotated[str, Field(pattern=IPV4_CIDR)]] = Field(
        default=["10.0.0.0/8"],
        min_length=1,
        description="IPv4 networks of the Kubernetes API server endpoints, which the database pods reach (Patroni's "
        "DCS or role callback, the backup's `kubectl exec`). Policies see the endpoints, not the `kubernetes` "
        "Service address, on CNIs that apply them after Service translation (Calico, Cilium). Default: the "
        "fleet's private 10.0.0.0/8, where every city's control plane sits; narrow it to the control-plane "
        "nodes' addresses.",
    )
    api_server_port: int = Field(
        default=6443,
        ge=1,
        le=65535,
        description="Port the API server endpoints listen on (behind the `kubernetes` Service's 443). Default: "
        "kubeadm's and most distributions' secure port.",
    )

    @field_validator("api_server_cidrs")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        return [check_cidr(value) for value in values]


class ExternalPeerSpec(Spec):
    """A service outside the fleet that some services must reach, such as a payment provider."""

    name: str = Field(pattern=DNS_LABEL, description="Peer name.")
    cidrs: list[Annotated[str, Field(pattern=IPV4_CIDR)]] = Field(
        min_length=1, description="IPv4 networks the peer publishes for its API; never the whole internet."
    )
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(min_length=1, description="TCP ports of its API.")
    services: list[str] = Field(min_length=1, description="Services (from `services`) that call the peer.")

    @field_validator("cidrs")
    @classmethod
    def _published_ranges_only(cls, values: list[str]) -> list[str]:
        for value in values:
            check_cidr(value)
            prefix = ipaddress.IPv4Network(value).prefixlen
            if prefix < 8:
                raise ValueError(
                    f"{value!r} opens a /{prefix} of the internet; list the provider's published API ranges instead"
                )
        return values
