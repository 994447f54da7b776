"""Probe: the blackbox exporter checks targets on Prometheus's schedule; each target carries its labels."""

from __future__ import annotations

from typing import Any

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City
from nusantara_fleet.model.observability.scrape import ProbePlan, ScrapePlan


class Probe(Manifest):
    def __init__(self, scope: RenderChart, *, city: City, scrape: ScrapePlan, probe: ProbePlan) -> None:
        labels = city.labels(name=probe.name, component="observability", version=naming.GENERATOR_VERSION)
        body: dict[str, Any] = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Probe",
            "metadata": {"name": probe.name, "namespace": scrape.namespace, "labels": labels},
            "spec": {
                "jobName": probe.name,
                "interval": scrape.interval,
                "scrapeTimeout": scrape.timeout,
                "module": probe.module,
                "prober": {"url": scrape.prober},
                "targets": {"staticConfig": {"static": list(probe.targets), "labels": probe.labels}},
            },
        }
        super().__init__(scope, body, plan=probe)
