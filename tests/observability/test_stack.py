"""The kube-prometheus-stack add-on of every city: pinned, its values derived from the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nusantara_fleet import naming
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.addons import Addon
from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.support import ENVS, collect_variant, edit_yaml, fleet_docs, set_primary, variant_envs

CITIES = ("bandung", "jakarta", "surabaya")


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


def stacks(fleet: Fleet) -> dict[str, Addon]:
    return {a.city: a for a in fleet.observability.addons if a.name == naming.KUBE_PROMETHEUS_STACK}


def test_one_pinned_stack_per_city_in_the_monitoring_namespace(fleet: Fleet) -> None:
    assert sorted(stacks(fleet)) == list(CITIES)
    for addon in stacks(fleet).values():
        assert (addon.namespace, addon.repo_url, addon.chart, addon.version) == (
            "monitoring",
            "https://prometheus-community.github.io/helm-charts",
            "kube-prometheus-stack",
            "88.5.3",
        )


def test_prometheus_keeps_the_slo_window_labels_its_city_and_selects_everything(fleet: Fleet) -> None:
    for city, addon in stacks(fleet).items():
        spec = addon.values["prometheus"]["prometheusSpec"]
        assert spec["retention"] == "32d"  # the 30-day SLO window + the 2-day margin
        assert spec["externalLabels"] == {"city": city}
        assert (spec["scrapeInterval"], spec["evaluationInterval"]) == ("15s", "15s")
        for kind in ("rule", "serviceMonitor", "podMonitor", "probe"):
            assert spec[f"{kind}SelectorNilUsesHelmValues"] is False
            assert spec[f"{kind}Selector"] == {}
            assert spec[f"{kind}NamespaceSelector"] == {}


def test_what_the_fleet_does_not_use_is_off_and_grafana_reads_every_dashboard(fleet: Fleet) -> None:
    values = stacks(fleet)["bandung"].values
    assert values["defaultRules"] == {"create": False}
    for part in ("nodeExporter", "kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"):
        assert values[part] == {"enabled": False}
    assert values["grafana"] == {
        "defaultDashboardsEnabled": False,
        "additionalDataSources": values["grafana"]["additionalDataSources"],
        # a sidecar for its outbound calls only (the other cities' Prometheus); its own port stays plain
        "podLabels": {"sidecar.istio.io/inject": "true"},
        "podAnnotations": {"traffic.sidecar.istio.io/includeInboundPorts": ""},
        "serviceAccount": {"name": "kube-prometheus-stack-grafana"},
        "sidecar": {
            "datasources": {"defaultDatasourceEnabled": False},
            "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1", "searchNamespace": "ALL"},
        },
    }


def _panel_uids(doc: dict[str, Any]) -> set[str]:
    dashboard = json.loads(next(iter(doc["data"].values())))
    return {
        str(panel["datasource"]["uid"])
        for panel in dashboard["panels"]
        if isinstance(panel.get("datasource"), dict) and "uid" in panel["datasource"]
    } | {
        str(target["datasource"]["uid"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if isinstance(target.get("datasource"), dict) and "uid" in target["datasource"]
    }


def test_grafana_provisions_the_datasource_uids_the_city_dashboard_reads(fleet: Fleet, tmp_path: Path) -> None:
    """kube-prometheus-stack's own Prometheus datasource is rendered without a `uid` (its
    templates/grafana/configmaps-datasources.yaml), so Grafana would invent one and every panel naming
    `prometheus` would find nothing: the fleet turns it off and provisions its own, uid included."""
    for city, addon in stacks(fleet).items():
        sources = addon.values["grafana"]["additionalDataSources"]
        # Every city's Prometheus by its own Service, the city's own as the default too: never the chart's
        # `kube-prometheus-stack-prometheus`, which every city has and the mesh would spread over all three.
        assert [(s["uid"], s["url"], s["isDefault"]) for s in sources] == [
            ("prometheus", f"http://prometheus-{city}.monitoring:9090/", True),
            *((f"prometheus-{other}", f"http://prometheus-{other}.monitoring:9090/", False) for other in CITIES),
        ]
    rendered = collect_variant(tmp_path)
    for city in CITIES:
        name = f"grafana-dashboard-city-{city}"
        (board,) = [d for d in rendered[city] if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name]
        provisioned = {s["uid"] for s in stacks(fleet)[city].values["grafana"]["additionalDataSources"]}
        used = _panel_uids(board)
        assert used and used <= provisioned, (city, used)


def test_alertmanager_gets_the_routing_config_and_mounts_the_receivers_secret(fleet: Fleet) -> None:
    values = stacks(fleet)["jakarta"].values["alertmanager"]
    assert values["config"] == fleet.observability.routing.config()
    assert values["alertmanagerSpec"] == {"secrets": ["alertmanager-receivers"]}
    # every *_file path points into the mounted Secret's directory, at one of its keys
    receivers = values["config"]["receivers"]
    files = [receivers[0]["pagerduty_configs"][0]["routing_key_file"], receivers[1]["slack_configs"][0]["api_url_file"]]
    secret = fleet.observability.routing.secret
    assert files == [f"/etc/alertmanager/secrets/{secret.name}/{key}" for key in secret.properties]


def change_fleet(tmp: Path, change: Any) -> Fleet:
    return load_fleet(variant_envs(tmp, lambda envs: edit_yaml(envs / "fleet.yaml", change)))


def test_retention_follows_the_slo_window_and_the_margin(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["slo"]["window_days"] = 28
        fleet["observability"]["stack"] = {"retention_margin_days": 5}

    addon = stacks(change_fleet(tmp_path, change))["surabaya"]
    assert addon.values["prometheus"]["prometheusSpec"]["retention"] == "33d"


def test_the_chart_version_follows_the_spec(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["observability"]["stack"] = {"chart_version": "88.6.0"}

    assert {a.version for a in stacks(change_fleet(tmp_path, change)).values()} == {"88.6.0"}


def test_the_stack_applications_render_and_match_the_argo_cd_schema(tmp_path: Path) -> None:
    docs = fleet_docs(collect_variant(tmp_path))
    apps = [docs[("Application", f"kube-prometheus-stack-{city}")] for city in CITIES]
    for city, app in zip(CITIES, apps, strict=True):
        source = app["spec"]["source"]
        assert (source["chart"], source["targetRevision"], source["helm"]["releaseName"]) == (
            "kube-prometheus-stack",
            "88.5.3",
            "kube-prometheus-stack",
        )
        assert app["spec"]["destination"] == {"name": city, "namespace": "monitoring"}
        assert source["helm"]["valuesObject"]["prometheus"]["prometheusSpec"]["externalLabels"] == {"city": city}
    assert crd_schemas.check(apps) == [Outcome()] * len(apps)


def test_prometheus_keeps_its_data_on_a_volume_sized_from_the_scrape_plan(fleet: Fleet) -> None:
    """The busiest city, Jakarta: 12 probes + 6 services' most pods (23) + 3 Patroni + 1 etcd + 2 cache
    exporters = 41 targets x 1,500 series / 15 s = 4,100 samples/s; x 2 bytes x 32 days = 22.7 GB retained;
    + 50 % = 31.7 GiB, rounded up."""
    assert fleet.observability.scrape.city("jakarta").targets == 41
    assert fleet.observability.scrape.city("bandung").targets == 40
    for storage in fleet.observability.stack.storage.values():  # every city sized for the busiest
        assert (storage.targets, storage.samples_per_second, storage.retained_mb, storage.size_gib) == (
            41,
            4100.0,
            22672,
            32,
        )
    spec = stacks(fleet)["bandung"].values["prometheus"]["prometheusSpec"]
    assert spec["retentionSize"] == "22672MB"
    assert spec["storageSpec"] == {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": "ssd-retain",  # the fleet's retained class (database.storage.class_name)
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "32Gi"}},
            }
        }
    }


def test_the_volume_follows_the_sizing_fields_and_the_interval(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["observability"]["stack"] = {"series_per_target": 3000, "bytes_per_sample": 1.0, "storage_headroom_pct": 0}
        doc["observability"]["scrape"] = {"interval_seconds": 30}
        doc["database"]["storage"] = {"class_name": "nvme-retain"}

    fleet = load_fleet(variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change)))
    storage = fleet.observability.stack.storage["bandung"]
    # twice the series at half the rate and half the bytes: a quarter of the bytes, and no headroom
    assert (storage.samples_per_second, storage.retained_mb, storage.size_gib) == (4100.0, 11336, 11)
    claim = stacks(fleet)["bandung"].values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]
    assert claim["spec"]["storageClassName"] == "nvme-retain"


def test_moving_the_primary_leaves_every_volume_as_it_is(fleet: Fleet, tmp_path: Path) -> None:
    """A claim template cannot grow in place, so the busiest city's count sizes all: the primary's extra
    Patroni member moving to Bandung changes no city's volume."""
    moved = load_fleet(variant_envs(tmp_path, lambda envs: set_primary(envs, "bandung")))
    assert moved.observability.stack.storage == fleet.observability.stack.storage
