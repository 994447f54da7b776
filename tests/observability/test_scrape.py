"""Probes, ServiceMonitors and PodMonitors per city, the blackbox exporter add-on, the data namespace's
policies admitting the scrapes, and every monitoring object against the upstream CRD schemas."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.support import Rendered, collect_variant, edit_yaml, set_mode

CITIES = ("bandung", "surabaya", "jakarta")
SERVICES = ("gateway", "order", "payment", "inventory", "catalog", "report")
ZONE = "db.nusantaramart.internal"
MONITORING = "monitoring.coreos.com/v1"
EDGE_ADDRESSES = {"bandung": "192.0.2.20", "surabaya": "192.0.2.30", "jakarta": "192.0.2.10"}  # envs/<city>.yaml
EDGE_MODULE = "https_edge_api_nusantaramart_co_id"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return collect_variant(tmp_path_factory.mktemp("scrape"))


def _kind(rendered: Rendered, city: str, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered[city] if doc["kind"] == kind}


def test_every_city_probes_every_edge_its_services_and_every_reporting_database(rendered: Rendered) -> None:
    for city in CITIES:
        probes = _kind(rendered, city, "Probe")
        assert sorted(probes) == sorted(
            [f"edge-{c}" for c in CITIES] + [f"reporting-{c}" for c in CITIES] + [f"service-{s}" for s in SERVICES]
        )
        for target in CITIES:
            edge = probes[f"edge-{target}"]["spec"]
            assert edge["module"] == EDGE_MODULE
            assert edge["targets"]["staticConfig"] == {
                "static": [f"https://{EDGE_ADDRESSES[target]}/check"],
                "labels": {"probe_kind": "edge", "target_city": target},
            }
            reporting = probes[f"reporting-{target}"]["spec"]
            assert reporting["module"] == "tcp_connect"
            assert reporting["targets"]["staticConfig"] == {
                "static": [f"postgres-reporting.{target}.{ZONE}:5432"],
                "labels": {"probe_kind": "reporting", "target_city": target},
            }
        assert probes["service-order"]["spec"]["targets"]["staticConfig"] == {
            "static": ["http://order.shop.svc.cluster.local:8080/check"],
            "labels": {"probe_kind": "service", "service": "order"},
        }
        for probe in probes.values():
            assert probe["metadata"]["namespace"] == "monitoring"
            assert probe["spec"]["prober"] == {"url": "blackbox-exporter.monitoring.svc.cluster.local:9115"}
            assert (probe["spec"]["interval"], probe["spec"]["scrapeTimeout"]) == ("15s", "5s")


def test_a_service_monitor_per_service_and_pod_monitors_for_patroni_and_etcd(rendered: Rendered) -> None:
    monitors = _kind(rendered, "surabaya", "ServiceMonitor")
    assert sorted(monitors) == sorted(SERVICES)
    order = monitors["order"]
    assert order["metadata"]["namespace"] == "shop"
    assert order["metadata"]["labels"]["fleet.nusantaramart.co.id/service"] == "order"
    assert order["spec"] == {
        "selector": {
            "matchLabels": {"app.kubernetes.io/instance": "order-surabaya", "app.kubernetes.io/name": "order"}
        },
        "namespaceSelector": {"matchNames": ["shop"]},
        "endpoints": [{"port": "metrics", "scheme": "http", "interval": "15s", "path": "/metrics"}],
    }
    pods = _kind(rendered, "surabaya", "PodMonitor")
    assert sorted(pods) == ["etcd", "patroni", "report-cache"]
    assert pods["patroni"]["metadata"]["namespace"] == "data"
    assert pods["patroni"]["spec"]["podMetricsEndpoints"] == [
        {
            "port": "patroni",
            "scheme": "https",
            "interval": "15s",
            "path": "/metrics",
            "tlsConfig": {
                "ca": {"secret": {"name": "patroni-api-tls", "key": "ca.crt"}},
                "serverName": f"postgres-write.surabaya.{ZONE}",
            },
        }
    ]
    assert pods["etcd"]["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/instance": "etcd-surabaya", "app.kubernetes.io/name": "etcd"}
    }
    assert pods["etcd"]["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"


def test_no_etcd_monitor_without_etcd(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path, lambda envs: set_mode(envs, "standby-clusters"))
    assert sorted(_kind(rendered, "bandung", "PodMonitor")) == ["patroni", "report-cache"]


def test_the_blackbox_exporter_is_an_addon_in_every_city(rendered: Rendered) -> None:
    apps = {doc["metadata"]["name"]: doc for doc in rendered["fleet"] if doc["kind"] == "Application"}
    for city in CITIES:
        spec = apps[f"blackbox-exporter-{city}"]["spec"]
        assert spec["destination"] == {"name": city, "namespace": "monitoring"}
        source = spec["source"]
        assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
            "https://prometheus-community.github.io/helm-charts",
            "prometheus-blackbox-exporter",
            "11.21.3",
        )
        values = source["helm"]["valuesObject"]
        assert values["fullnameOverride"] == "blackbox-exporter"
        modules = values["config"]["modules"]
        assert sorted(modules) == sorted([EDGE_MODULE, "http_2xx", "tcp_connect"])
        # the edge answers as the public API host: its route by Host, its certificate by server name
        assert modules[EDGE_MODULE] == {
            "prober": "http",
            "timeout": "5s",
            "http": {
                "preferred_ip_protocol": "ip4",
                "headers": {"Host": "api.nusantaramart.co.id"},
                "tls_config": {"server_name": "api.nusantaramart.co.id"},
                "fail_if_not_ssl": True,
            },
        }


def test_the_edge_probes_follow_the_edge_addresses_and_the_api_host(tmp_path: Path) -> None:
    def change(envs: Path) -> None:
        edit_yaml(envs / "surabaya.yaml", lambda doc: doc["network"].update(edge_address="198.51.100.7"))
        edit_yaml(envs / "fleet.yaml", lambda doc: doc["hosts"].update(api="api.example.co.id"))

    rendered = collect_variant(tmp_path, change)
    probe = _kind(rendered, "jakarta", "Probe")["edge-surabaya"]["spec"]
    assert probe["targets"]["staticConfig"]["static"] == ["https://198.51.100.7/check"]
    assert probe["module"] == "https_edge_api_example_co_id"
    app = next(d for d in rendered["fleet"] if d["metadata"]["name"] == "blackbox-exporter-jakarta")
    module = app["spec"]["source"]["helm"]["valuesObject"]["config"]["modules"]["https_edge_api_example_co_id"]
    assert module["http"]["headers"] == {"Host": "api.example.co.id"}
    assert module["http"]["tls_config"] == {"server_name": "api.example.co.id"}


def test_the_reporting_probes_target_is_published_across_cities(rendered: Rendered) -> None:
    """Each city's reporting Service carries the cross-city name the other cities' probes resolve, and is
    headless so the name resolves to the reporting pods' routable addresses, as the leader's does."""
    for city in CITIES:
        service = _kind(rendered, city, "Service")["postgres-reporting"]
        write = _kind(rendered, city, "Service")["postgres-write"]
        hostname = "external-dns.alpha.kubernetes.io/hostname"
        assert service["metadata"]["annotations"][hostname] == f"postgres-reporting.{city}.{ZONE}"
        assert write["metadata"]["annotations"][hostname] == f"postgres-write.{city}.{ZONE}"
        assert service["spec"]["clusterIP"] == "None"
        probed = {
            target
            for other in CITIES
            for probe in _kind(rendered, other, "Probe").values()
            if probe["spec"]["targets"]["staticConfig"]["labels"].get("probe_kind") == "reporting"
            for target in probe["spec"]["targets"]["staticConfig"]["static"]
        }
        assert f"{service['metadata']['annotations'][hostname]}:5432" in probed


def _ingress(rendered: Rendered, city: str, name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = _kind(rendered, city, "NetworkPolicy")[name]["spec"]["ingress"]
    return rules


def tcp(port: int) -> list[dict[str, Any]]:
    return [{"port": port, "protocol": "TCP"}]


MONITORING_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


def test_the_data_namespace_admits_the_monitoring_namespace_on_the_scraped_ports_only(rendered: Rendered) -> None:
    assert _ingress(rendered, "bandung", "patroni-api")[-1] == {"from": [MONITORING_PEER], "ports": tcp(8008)}
    assert _ingress(rendered, "bandung", "etcd")[-1] == {"from": [MONITORING_PEER], "ports": tcp(2381)}
    # the reporting probe: this city's monitoring namespace and the other cities' pod networks
    assert _ingress(rendered, "bandung", "postgres-reporting")[-1] == {
        "from": [MONITORING_PEER, {"ipBlock": {"cidr": "10.30.0.0/16"}}, {"ipBlock": {"cidr": "10.10.0.0/16"}}],
        "ports": tcp(5432),
    }
    admitting = {
        policy["metadata"]["name"]
        for policy in _kind(rendered, "bandung", "NetworkPolicy").values()
        if policy["metadata"]["namespace"] == "data"
        for rule in policy["spec"].get("ingress", [])
        if MONITORING_PEER in rule["from"]
    }
    assert admitting == {"patroni-api", "etcd", "postgres-reporting"}


def test_the_intervals_and_chart_version_come_from_envs(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["observability"]["scrape"] = {"interval_seconds": 30, "blackbox_chart_version": "11.21.1"}

    rendered = collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    assert _kind(rendered, "bandung", "Probe")["edge-jakarta"]["spec"]["interval"] == "30s"
    assert _kind(rendered, "bandung", "ServiceMonitor")["order"]["spec"]["endpoints"][0]["interval"] == "30s"
    app = next(d for d in rendered["fleet"] if d["metadata"]["name"] == "blackbox-exporter-jakarta")
    assert app["spec"]["source"]["targetRevision"] == "11.21.1"


def _monitoring_objects(rendered: Rendered) -> list[dict[str, Any]]:
    return [doc for city in CITIES for doc in rendered[city] if doc["apiVersion"] == MONITORING]


def test_the_monitoring_objects_match_the_upstream_schemas(rendered: Rendered) -> None:
    objects = [
        doc
        for doc in _monitoring_objects(rendered)
        if doc["kind"] != "PrometheusRule" or doc["metadata"]["name"] == "sla"
    ]
    kinds = {doc["kind"] for doc in objects}
    assert kinds == {"Probe", "ServiceMonitor", "PodMonitor", "PrometheusRule"}
    assert len(objects) == 3 * (12 + 6 + 3 + 1)
    assert crd_schemas.check(objects) == [Outcome()] * len(objects)


def test_the_schemas_catch_a_broken_monitoring_object(rendered: Rendered) -> None:
    by_kind = {doc["kind"]: doc for doc in _monitoring_objects(rendered)}
    probe = copy.deepcopy(by_kind["Probe"])
    probe["spec"]["targets"]["staticConfig"]["static"] = "one"
    service = copy.deepcopy(by_kind["ServiceMonitor"])
    service["spec"]["endpoint"] = service["spec"].pop("endpoints")
    pod = copy.deepcopy(by_kind["PodMonitor"])
    pod["spec"]["podMetricsEndpoints"][0]["scheme"] = "ftp"
    rule = copy.deepcopy(next(d for d in _monitoring_objects(rendered) if d["metadata"]["name"] == "sla"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "half a minute"
    duration = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
    assert crd_schemas.check([probe, service, pod, rule]) == [
        Outcome(errors=("spec.targets.staticConfig.static: 'one' is not of type 'array'",)),
        Outcome(
            errors=(
                "spec: 'endpoints' is a required property",
                "spec: Additional properties are not allowed ('endpoint' was unexpected)",
            )
        ),
        Outcome(errors=("spec.podMetricsEndpoints.0.scheme: 'ftp' is not one of ['http', 'https', 'HTTP', 'HTTPS']",)),
        Outcome(errors=(f"spec.groups.0.rules.0.for: 'half a minute' does not match '{duration}'",)),
    ]


def test_the_report_cache_is_scraped_through_its_exporter_sidecar(rendered: Rendered) -> None:
    """Each replica runs redis_exporter beside Redis, reading it over localhost; a PodMonitor scrapes it, and
    the cache's NetworkPolicy admits the monitoring namespace on the exporter's port and on no other."""
    cache = _kind(rendered, "jakarta", "StatefulSet")["report-cache"]
    containers = {c["name"]: c for c in cache["spec"]["template"]["spec"]["containers"]}
    assert sorted(containers) == ["redis", "redis-exporter"]
    exporter = containers["redis-exporter"]
    assert exporter["image"] == "ghcr.io/nusantaramart/redis_exporter:v1.63.0"
    assert exporter["args"] == ["--redis.addr=redis://localhost:6379", "--web.listen-address=:9121"]
    assert exporter["ports"] == [{"containerPort": 9121, "name": "metrics", "protocol": "TCP"}]
    assert exporter["resources"] == {
        "limits": {"cpu": "100m", "memory": "64Mi"},
        "requests": {"cpu": "10m", "memory": "32Mi"},
    }
    monitor = _kind(rendered, "jakarta", "PodMonitor")["report-cache"]
    assert monitor["metadata"]["namespace"] == "shop"
    assert monitor["spec"]["selector"] == cache["spec"]["selector"]
    assert monitor["spec"]["podMetricsEndpoints"] == [
        {"port": "metrics", "scheme": "http", "interval": "15s", "path": "/metrics"}
    ]
    ingress = _ingress(rendered, "jakarta", "report-cache")
    from_monitoring = [rule for rule in ingress if MONITORING_PEER in rule["from"]]
    assert from_monitoring == [{"from": [MONITORING_PEER], "ports": tcp(9121)}]
    assert all(MONITORING_PEER not in rule["from"] for rule in ingress if rule["ports"] == tcp(6379))


def test_the_exporter_follows_its_fields(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["report_cache"] = {"exporter_tag": "v1.62.0", "exporter_port": 9200}

    rendered = collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    cache = _kind(rendered, "bandung", "StatefulSet")["report-cache"]
    (exporter,) = [c for c in cache["spec"]["template"]["spec"]["containers"] if c["name"] == "redis-exporter"]
    assert exporter["image"].endswith(":v1.62.0")
    assert exporter["args"][1] == "--web.listen-address=:9200"
    assert tcp(9200) in [rule["ports"] for rule in _ingress(rendered, "bandung", "report-cache")]
