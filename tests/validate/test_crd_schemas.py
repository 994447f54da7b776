from __future__ import annotations

import copy
from typing import Any

import yaml

from nusantara_fleet.validate import crd_schemas
from nusantara_fleet.validate.crd_schemas import Outcome
from tests.validate.support import fixture_dir


def application() -> dict[str, Any]:
    path = fixture_dir("deny_missing_application", "allow") / "fleet/Application.nusantaramart-bandung.yaml"
    body: dict[str, Any] = yaml.safe_load(path.read_text())
    return body


def route() -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(
        (fixture_dir("deny_canary_weight", "allow") / "bandung/HTTPRoute.order.yaml").read_text()
    )
    return body


def test_valid_custom_resources_pass() -> None:
    assert crd_schemas.check([application(), route()]) == [Outcome(), Outcome()]


def test_upstream_required_fields_and_types_are_enforced() -> None:
    no_destination = application()
    del no_destination["spec"]["destination"]
    bad_prune = application()
    bad_prune["spec"]["syncPolicy"] = {"automated": {"prune": "yes"}}
    bad_port = route()
    bad_port["spec"]["rules"][0]["backendRefs"][0]["port"] = "http"
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "slo"},
        "spec": {"groups": [{"name": "slo", "rules": [{"alert": "Down", "expr": "up == 0", "for": 5}]}]},
    }
    assert crd_schemas.check([no_destination, bad_prune, bad_port, rule]) == [
        Outcome(errors=("spec: must have required property destination",)),
        Outcome(errors=("spec.syncPolicy.automated.prune: must be boolean",)),
        Outcome(errors=("spec.rules.0.backendRefs.0.port: must be integer",)),
        Outcome(errors=("spec.groups.0.rules.0.for: must be string",)),
    ]


def test_a_kind_the_package_lacks_is_missing_not_passed() -> None:
    unknown = {**application(), "kind": "Applicaton"}
    nested_type = {**application(), "kind": "ApplicationSpec"}
    wrong_version = {**copy.deepcopy(route()), "apiVersion": "gateway.networking.k8s.io/v9"}
    outcomes = crd_schemas.check([unknown, nested_type, wrong_version])
    assert [outcome.missing is not None for outcome in outcomes] == [True, True, True]


def test_every_group_maps_to_a_pinned_package() -> None:
    import json
    from pathlib import Path

    package = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text())
    assert set(crd_schemas.PACKAGES.values()) <= set(package["devDependencies"])
