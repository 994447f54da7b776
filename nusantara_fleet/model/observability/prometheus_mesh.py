"""Every city's Grafana reads every city's Prometheus, through the mesh.

The fleet dashboard has one row per city, each reading that city's datasource (`prometheus-<city>`). Each
city's Prometheus is published as a Service of its own, `prometheus-<city>`, rendered in *every* city's
monitoring namespace; it selects the Prometheus pods and the city's label. Istio merges a Service's
endpoints across the clusters by name and namespace: in the owning city the Service has the local pod, in the
others it selects nothing locally and istiod hands their sidecars the owner's endpoint, which is its
east-west gateway at 15443; the gateway passes the mTLS connection on unopened to Prometheus's sidecar.
istiod does not answer DNS here (the istiod values turn on no DNS proxying), so the name resolves only where
the Service exists: hence one per city in every city.

The Services are rendered by kube-prometheus-stack itself (`extraManifests`), in the release that runs the
pods they select, so they sync with Prometheus (the add-on wave, before any Grafana reads them). In the city's
own tree the gate's `refs.service-selector` would refuse them: it matches Services against the tree's pod
templates, and the operator's pods are not among them.

Both ends join the mesh by pod label (the monitoring namespace has no injection label), as the blackbox
exporter does:
- Grafana's sidecar takes outbound traffic only (`includeInboundPorts: ""`): Grafana's own port stays plain
  for the chart's ServiceMonitor and whoever opens Grafana.
- Prometheus's sidecar takes inbound 9090 only and no outbound traffic, so its scrapes, probes and alert pushes
  leave as before, plain and unproxied. The local callers of 9090: Grafana (meshed, admitted below); the
  config reloader, on 127.0.0.1, which no sidecar intercepts; the chart's self-scrape, Prometheus reaching its
  own pod address, which goes over loopback where Istio's redirect leaves an app's own traffic alone (one
  replica, the chart's default: a second one would scrape the first in plain text and be refused); the
  kubelet's probes, which the injector rewrites to the sidecar's agent.
- An AuthorizationPolicy on the Prometheus pods admits Grafana's identity on 9090: the same principal in every
  city (one trust domain), so each Prometheus answers every city's Grafana and no other workload of the mesh.
- 9090 stays PERMISSIVE (a PeerAuthentication on the Prometheus pods), and the policy also admits callers
  without a mesh identity: whatever reached Prometheus in plaintext before it had a sidecar still does (the
  release workflow's `fleet canary --prometheus`, a second replica's self-scrape). The mesh adds the other
  cities' Grafanas and refuses every other meshed caller.

No datasource uses the chart's `kube-prometheus-stack-prometheus` Service: every city has one by that name,
so once Prometheus is meshed Istio would spread its callers over all the cities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.model.observability.inputs import Inputs
from nusantara_fleet.model.provenance import traced
from nusantara_fleet.model.traffic.mesh import AuthorizationPlan, AuthorizationRule, PermissivePort

COMPONENT: naming.Component = "observability"


@dataclass(frozen=True)
class PrometheusService:
    """The Service reaching one city's (`target`) Prometheus, as rendered in one city's cluster."""

    name: str
    namespace: str
    target: str
    port: int
    selector: Mapping[str, str]
    labels: Mapping[str, str]

    def manifest(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"labels": dict(self.labels), "name": self.name, "namespace": self.namespace},
            "spec": {
                "ports": [
                    {
                        "name": naming.PROMETHEUS_PORT_NAME,
                        "port": self.port,
                        "protocol": "TCP",
                        "targetPort": self.port,
                    }
                ],
                "selector": dict(self.selector),
                "type": "ClusterIP",
            },
        }


@dataclass(frozen=True)
class PrometheusMesh:
    namespace: str
    grafana_account: str
    services: Mapping[str, tuple[PrometheusService, ...]]  # by the city rendering them: one per city, by name
    grafana_pod_labels: Mapping[str, str]
    grafana_pod_annotations: Mapping[str, str]
    prometheus_pod_annotations: Mapping[str, str]
    authorization: AuthorizationPlan  # the same in every city
    permissive: PermissivePort  # the same in every city

    def url(self, city: str) -> str:
        return naming.prometheus_url(city, self.namespace)

    def prometheus_pod_labels(self, city: str) -> dict[str, str]:
        """What the fleet adds to the operator's labels of one city's Prometheus pods."""
        return {naming.CITY_LABEL: city, naming.SIDECAR_INJECT_LABEL: "true"}


def operator_pod_labels() -> dict[str, str]:
    """Labels the Prometheus Operator sets on the pods of kube-prometheus-stack's Prometheus (the chart's own
    Service selects the same two)."""
    return {
        naming.NAME_LABEL: naming.PROMETHEUS_APP_NAME,
        naming.PROMETHEUS_OPERATOR_NAME_LABEL: naming.STACK_PROMETHEUS,
    }


def _grafana_principal(inputs: Inputs) -> str:
    spec = inputs.spec
    return naming.mesh_principal(
        spec.traffic.mesh.trust_domain, spec.network_policy.monitoring_namespace, naming.STACK_GRAFANA
    )


@traced
def _authorization(inputs: Inputs) -> AuthorizationPlan:
    """Traced on its own: the city's tree renders it, and `fleet explain` asks for its inputs."""
    return AuthorizationPlan(
        name=naming.PROMETHEUS_AUTHORIZATION,
        namespace=inputs.spec.network_policy.monitoring_namespace,
        selector=operator_pod_labels(),
        rules=(
            AuthorizationRule(principals=(_grafana_principal(inputs),), ports=(naming.PROMETHEUS_PORT,)),
            AuthorizationRule(principals=(), ports=(naming.PROMETHEUS_PORT,), plaintext=True),
        ),
    )


@traced
def resolve_prometheus_mesh(inputs: Inputs) -> PrometheusMesh:
    spec = inputs.spec
    monitoring = spec.network_policy.monitoring_namespace
    port = naming.PROMETHEUS_PORT
    # Sorted by name: a reordered rollout (a failover commit) must not rewrite the stack's values.
    targets = sorted(city.name for city in inputs.cities)
    services = {
        city.name: tuple(
            PrometheusService(
                name=naming.city_prometheus(target),
                namespace=monitoring,
                target=target,
                port=port,
                selector={**operator_pod_labels(), naming.CITY_LABEL: target},
                # Without the labels a failover flips: the primary's move must not rewrite the Services.
                labels=naming.template_labels(
                    city.labels(
                        name=naming.city_prometheus(target), component=COMPONENT, version=naming.GENERATOR_VERSION
                    )
                ),
            )
            for target in targets
        )
        for city in inputs.cities
    }
    return PrometheusMesh(
        namespace=monitoring,
        grafana_account=naming.STACK_GRAFANA,
        services=services,
        grafana_pod_labels={naming.SIDECAR_INJECT_LABEL: "true"},
        # Outbound only: Grafana's own port stays plain for its ServiceMonitor and its users.
        grafana_pod_annotations={naming.INCLUDE_INBOUND_PORTS: ""},
        # Inbound 9090 only, nothing outbound: scrapes, probes and alert pushes leave unproxied, as before.
        prometheus_pod_annotations={naming.INCLUDE_INBOUND_PORTS: str(port), naming.INCLUDE_OUTBOUND_IP_RANGES: ""},
        authorization=_authorization(inputs),
        permissive=PermissivePort(
            name=naming.PROMETHEUS_AUTHORIZATION, namespace=monitoring, selector=operator_pod_labels(), port=port
        ),
    )
