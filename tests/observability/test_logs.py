"""Loki's retention, the collector's pipeline and the apps' OTLP settings, derived from envs/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet import naming
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.model.fleet import Fleet
from nusantara_fleet.model.loader import load_fleet
from nusantara_fleet.model.observability.logs import loki_values
from tests.support import edit_yaml, variant_envs

DIST = Path(__file__).resolve().parents[2] / "dist"


def _fleet() -> Fleet:
    return load_fleet(Path("envs"))


def _addon(fleet: Fleet, name: str) -> list[Addon]:
    return [addon for addon in fleet.observability.addons if addon.name == name]


def test_loki_retention_per_class() -> None:
    fleet = _fleet()
    lokis = _addon(fleet, naming.LOKI)
    assert [a.city for a in lokis] == sorted(c.name for c in fleet.cities)
    limits = lokis[0].values["loki"]["limits_config"]
    assert limits["retention_period"] == "1440h"
    assert limits["retention_stream"] == [
        {"selector": '{log_class="audit"}', "priority": 2, "period": "8760h"},
        {"selector": '{log_class="security"}', "priority": 1, "period": "4320h"},
    ]
    assert limits["otlp_config"]["resource_attributes"]["attributes_config"] == [
        {"action": "index_label", "attributes": ["log.class"]}
    ]
    compactor = lokis[0].values["loki"]["compactor"]
    assert compactor["retention_enabled"] is True and compactor["delete_request_store"] == "filesystem"


def test_a_retention_change_changes_exactly_that() -> None:
    base = loki_values({"application": 60, "audit": 365, "security": 180})
    changed = loki_values({"application": 60, "audit": 400, "security": 180})
    streams = changed["loki"]["limits_config"]["retention_stream"]
    assert streams[0]["period"] == "9600h"
    streams[0]["period"] = "8760h"
    assert changed == base


def _collector(fleet: Fleet) -> dict[str, Any]:
    return dict(_addon(fleet, naming.OTEL_COLLECTOR)[0].values)


def test_tail_sampling_follows_the_latency_slo() -> None:
    fleet = _fleet()
    policies = _collector(fleet)["config"]["processors"]["tail_sampling"]["policies"]
    assert policies[1] == {"name": "slower-than-slo", "type": "latency", "latency": {"threshold_ms": 300}}
    assert policies[0]["status_code"] == {"status_codes": ["ERROR"]}
    assert policies[2]["probabilistic"] == {"sampling_percentage": 10}


def test_collector_exports_to_loki_and_tempo() -> None:
    exporters = _collector(_fleet())["config"]["exporters"]
    assert exporters["otlphttp/loki"]["endpoint"] == "http://loki.monitoring.svc.cluster.local:3100/otlp"
    assert exporters["otlp/tempo"]["endpoint"] == "tempo.monitoring.svc.cluster.local:4317"


def test_every_app_exports_otlp_to_its_city_collector() -> None:
    fleet = _fleet()
    configs = 0
    for city in fleet.cities:
        for path in sorted((DIST / city.name).glob("ConfigMap.*-config.k8s.yaml")):
            data = yaml.safe_load(path.read_text())["data"]
            service = path.name.removeprefix("ConfigMap.").removesuffix("-config.k8s.yaml")
            assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.monitoring.svc.cluster.local:4318"
            assert data["OTEL_SERVICE_NAME"] == service
            assert f"city={city.name}" in data["OTEL_RESOURCE_ATTRIBUTES"].split(",")
            configs += 1
    assert configs == len(fleet.cities) * len(fleet.services)


def test_a_latency_slo_change_moves_exactly_the_tail_sampling_threshold(tmp_path: Path) -> None:
    """`slo.latency_p95_ms` 300 -> 250: the collector keeps traces slower than 250 ms, and nothing else in
    its configuration moves."""

    def change(doc: dict[str, Any]) -> None:
        doc["slo"]["latency_p95_ms"] = 250

    base = _collector(_fleet())
    changed = _collector(load_fleet(variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))))
    policies = changed["config"]["processors"]["tail_sampling"]["policies"]
    assert policies[1] == {"name": "slower-than-slo", "type": "latency", "latency": {"threshold_ms": 250}}
    policies[1]["latency"]["threshold_ms"] = 300
    assert changed == base
