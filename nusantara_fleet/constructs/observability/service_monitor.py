"""ServiceMonitor and PodMonitor: Prometheus scrapes one named port of the selected Services or pods."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City
from nusantara_fleet.model.data.tls import CA
from nusantara_fleet.model.observability.scrape import MonitorPlan

KINDS = {"service": ("ServiceMonitor", "endpoints"), "pod": ("PodMonitor", "podMetricsEndpoints")}


def _endpoint(monitor: MonitorPlan, interval: str) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "port": monitor.port,
        "scheme": monitor.scheme,
        "interval": interval,
        "path": "/metrics",
    }
    if monitor.tls_ca_secret is not None:
        endpoint["tlsConfig"] = {
            "ca": {"secret": {"name": monitor.tls_ca_secret, "key": CA}},
            "serverName": monitor.tls_server_name,
        }
    return endpoint


class Monitor(Manifest):
    """Runs nothing, so its version label is the generator's: an image bump leaves it alone."""

    def __init__(self, scope: RenderChart, *, city: City, monitor: MonitorPlan, interval: str) -> None:
        kind, endpoints = KINDS[monitor.kind]
        labels = city.labels(name=monitor.name, component="observability", version=naming.GENERATOR_VERSION)
        if monitor.service is not None:
            labels[naming.SERVICE_LABEL] = monitor.service
        body: dict[str, Any] = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": kind,
            "metadata": {
                "annotations": monitor.annotations,
                "labels": labels,
                "name": monitor.name,
                "namespace": monitor.namespace,
            },
            "spec": {
                "selector": {"matchLabels": monitor.selector},
                "namespaceSelector": {"matchNames": [monitor.namespace]},
                endpoints: [_endpoint(monitor, interval)],
            },
        }
        super().__init__(scope, body, plan=monitor)
