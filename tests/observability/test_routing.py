"""Alertmanager routing from the SLA table, proven with amtool 0.25 (Debian's prometheus-alertmanager)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from nusantara_fleet import naming
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.observability.routing import RoutePlan
from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.support import ENVS, collect_variant, edit_yaml, variant_envs

BURN_ALERTS = ("SloSuccessBudgetBurn", "SloLatencyBudgetBurn", "SloAvailabilityBudgetBurn")


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ENVS)


def stack_config(fleet: Fleet, city: str) -> dict[str, Any]:
    """The Alertmanager configuration as each city's kube-prometheus-stack add-on carries it."""
    (addon,) = [a for a in fleet.observability.addons if a.name == naming.KUBE_PROMETHEUS_STACK and a.city == city]
    config: dict[str, Any] = addon.values["alertmanager"]["config"]
    return config


def timings(route: RoutePlan) -> tuple[str | None, str, str, int, int, int, int]:
    return (
        route.alert,
        route.severity,
        route.receiver,
        route.group_wait_seconds,
        route.group_interval_seconds,
        route.repeat_interval_seconds,
        route.budget.for_seconds,
    )


def test_each_sla_row_and_burn_severity_has_its_derived_timings(fleet: Fleet) -> None:
    # group_wait = 10% of the response; group_interval = response; repeat = resolution;
    # `for:` = response - the 15s probe interval - the 15s rule interval - group_wait.
    assert [timings(r) for r in fleet.observability.routing.routes] == [
        ("AllCitiesDown", "critical", "paging", 6, 60, 3600, 24),
        ("CitiesDown", "critical", "paging", 18, 180, 1800, 132),
        ("BranchCityDown", "critical", "paging", 30, 300, 900, 240),
        ("ReportingDatabaseDownEverywhere", "critical", "paging", 18, 180, 3600, 132),
        ("ServiceMainDown", "warning", "ticket", 60, 600, 900, 510),
        ("ReportingDatabaseDown", "warning", "ticket", 90, 900, 900, 780),
        ("TrafficSurge", "warning", "ticket", 60, 600, 3600, 510),
        ("ServerSlow", "warning", "ticket", 60, 600, 3600, 510),
        # Burn alerts: the tightest row of their urgency (high: 1 min / 15 min, medium: 10 min / 15 min).
        (None, "critical", "paging", 6, 60, 900, 24),
        (None, "warning", "ticket", 60, 600, 900, 510),
    ]


def test_the_routes_group_wait_and_the_rules_for_share_one_budget(fleet: Fleet) -> None:
    """Each SLA row: probe + evaluation + the rendered `for:` + the route's group_wait <= its response."""
    scrape = fleet.spec.observability.scrape
    fors = {alert.name: alert.for_seconds for alert in fleet.observability.sla.alerts}
    routes = {route.alert: route for route in fleet.observability.routing.routes if route.alert is not None}
    for row in fleet.spec.observability.sla:
        chain = scrape.interval_seconds + scrape.rule_interval_seconds + fors[row.alert]
        chain += routes[row.alert].group_wait_seconds
        assert chain <= row.response_minutes * 60, row.alert
        assert routes[row.alert].budget.chain_seconds == chain


def test_the_config_routes_receivers_and_inhibits_as_plain_alertmanager_config(fleet: Fleet) -> None:
    config = stack_config(fleet, "bandung")
    assert config["route"] == {
        "receiver": "ticket",
        "group_by": ["alertname", "city", "service"],
        "group_wait": "1m",
        "group_interval": "10m",
        "repeat_interval": "15m",
        "routes": config["route"]["routes"],
    }
    assert config["route"]["routes"][0] == {
        "matchers": ['alertname="AllCitiesDown"', 'severity="critical"'],
        "receiver": "paging",
        "group_wait": "6s",
        "group_interval": "1m",
        "repeat_interval": "1h",
    }
    assert config["receivers"] == [
        {
            "name": "paging",
            "pagerduty_configs": [
                {"routing_key_file": "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key"}
            ],
        },
        {
            "name": "ticket",
            "slack_configs": [
                {
                    "api_url_file": "/etc/alertmanager/secrets/alertmanager-receivers/ticket-webhook-url",
                    "send_resolved": True,
                }
            ],
        },
    ]
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "city", "service"],
        }
    ]
    text = yaml.safe_dump(config)
    assert "match:" not in text and "match_re:" not in text


def test_timings_follow_the_sla_table_and_the_share(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["observability"]["sla"][0].update(response_minutes=2, resolution_minutes=45)
        fleet["observability"]["routing"] = {"group_wait_share_pct": 20}

    fleet = load_fleet(variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change)))
    first = fleet.observability.routing.routes[0]
    assert timings(first) == ("AllCitiesDown", "critical", "paging", 24, 120, 2700, 66)
    (alert, *_) = fleet.observability.sla.alerts
    assert alert.for_seconds == 66  # the rule's `for:` shrinks with the route's longer group_wait


def test_a_response_too_short_for_its_budget_fails_to_load(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["observability"]["routing"] = {"group_wait_share_pct": 50}
        fleet["observability"]["scrape"] = {"interval_seconds": 20, "rule_interval_seconds": 20}

    with pytest.raises(ConfigError) as caught:
        load_fleet(variant_envs(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change)))
    messages = [str(problem) for problem in caught.value.problems]
    # 20 + 20 + 30 > 60: only the 1-minute row; 3 minutes hold 20 + 20 + 90
    assert len(messages) == 1
    assert "observability.sla[0].response_minutes: a 1-minute response cannot hold a 20s probe interval" in messages[0]


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["amtool", *args], capture_output=True, text=True, check=False)


def write_config(tmp_path: Path, config: dict[str, Any], name: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_every_citys_config_passes_amtool_check_config(fleet: Fleet, tmp_path: Path) -> None:
    for city in fleet.cities:
        result = amtool("check-config", str(write_config(tmp_path, stack_config(fleet, city.name), city.name)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout and "2 receivers" in result.stdout and "1 inhibit rules" in result.stdout


def test_amtool_check_config_fails_on_a_route_to_an_unknown_receiver(fleet: Fleet, tmp_path: Path) -> None:
    config = stack_config(fleet, "bandung")
    broken = {**config, "route": {**config["route"], "receiver": "nobody"}}
    result = amtool("check-config", str(write_config(tmp_path, broken, "broken")))
    assert result.returncode != 0
    assert 'undefined receiver "nobody"' in result.stdout + result.stderr


def routed(config: Path, labels: dict[str, str], receiver: str) -> subprocess.CompletedProcess[str]:
    return amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        f"--verify.receivers={receiver}",
        "--tree",
        *(f"{key}={value}" for key, value in labels.items()),
    )


def test_amtool_routes_each_sla_row_and_burn_severity_to_its_receiver(fleet: Fleet, tmp_path: Path) -> None:
    configs = [stack_config(fleet, city.name) for city in fleet.cities]
    assert all(config == configs[0] for config in configs)  # one tree fleet-wide: test it once
    config = write_config(tmp_path, configs[0], "alertmanager")
    for row in fleet.spec.observability.sla:
        severity = {"high": "critical", "medium": "warning"}[row.urgency]
        labels = {"alertname": row.alert, "severity": severity, "city": "bandung", "service": "gateway"}
        result = routed(config, labels, {"high": "paging", "medium": "ticket"}[row.urgency])
        assert result.returncode == 0, result.stdout + result.stderr
        # the row's own route, with its timings, not the severity's catch-all
        assert f'{{alertname="{row.alert}",severity="{severity}"}}' in result.stdout
    for alert, severity, receiver in ((BURN_ALERTS[0], "critical", "paging"), (BURN_ALERTS[1], "warning", "ticket")):
        result = routed(config, {"alertname": alert, "severity": severity, "city": "surabaya"}, receiver)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f'{{severity="{severity}"}}  receiver: {receiver}' in result.stdout


def test_amtool_route_test_fails_when_a_page_would_reach_the_ticket_receiver(fleet: Fleet, tmp_path: Path) -> None:
    config = write_config(tmp_path, stack_config(fleet, "bandung"), "alertmanager")
    result = routed(config, {"alertname": "AllCitiesDown", "severity": "critical"}, "ticket")
    assert result.returncode != 0
    assert "Expected receivers did not match resolved receivers" in result.stdout + result.stderr


def test_each_city_renders_the_receivers_external_secret(tmp_path: Path) -> None:
    rendered = collect_variant(tmp_path)
    for city in ("bandung", "jakarta", "surabaya"):
        (secret,) = [
            doc
            for doc in rendered[city]
            if doc["kind"] == "ExternalSecret" and doc["metadata"]["name"] == "alertmanager-receivers"
        ]
        assert secret["metadata"]["namespace"] == "monitoring"
        assert secret["metadata"]["labels"][naming.COMPONENT_LABEL] == "observability"
        assert secret["metadata"]["labels"][naming.CITY_LABEL] == city
        assert secret["spec"] == {
            "data": [
                {
                    "remoteRef": {"key": "nusantaramart/alerting", "property": "pagerduty-routing-key"},
                    "secretKey": "pagerduty-routing-key",
                },
                {
                    "remoteRef": {"key": "nusantaramart/alerting", "property": "ticket-webhook-url"},
                    "secretKey": "ticket-webhook-url",
                },
            ],
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "fleet-vault"},
            "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain", "name": "alertmanager-receivers"},
        }
        assert crd_schemas.check([secret]) == [Outcome()]


def test_the_credentials_key_follows_the_spec(tmp_path: Path) -> None:
    def change(fleet: dict[str, Any]) -> None:
        fleet["observability"]["routing"] = {"credentials_key": "shop/pager"}

    rendered = collect_variant(tmp_path, lambda envs: edit_yaml(envs / "fleet.yaml", change))
    (secret,) = [d for d in rendered["jakarta"] if d["metadata"]["name"] == "alertmanager-receivers"]
    assert {item["remoteRef"]["key"] for item in secret["spec"]["data"]} == {"shop/pager"}
