"""Every field of envs/ changes dist/, or is one of the few read elsewhere and says where: no dead config."""

from __future__ import annotations

import copy
import shutil
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nusantara_fleet.charts import build_app
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.spec import CitySpec, FleetSpec
from nusantara_fleet.model.spec.common import (
    CLUSTER_SERVER,
    CPU_QUANTITY,
    CRON,
    GO_DURATION,
    HOSTNAME,
    MEMORY_QUANTITY,
    QUANTITY_GI,
    SHA256_DIGEST,
)
from tests.support import ENVS

NO_VALUE = "<no generic alternative>"
Path_ = tuple[str | int, ...]
Rendered = dict[tuple[str, str, str], Any]
# Fields that decide something other than dist/: each names what reads it.
READ_ELSEWHERE: dict[str, str] = {
    "fleet.targets.rto_seconds": "the bound the data layer's timings are checked against (a config that cannot "
    "meet it fails to load)",
    "fleet.capacity.headroom_min_pct": "the lower end of the design capacity band, reported by `fleet plan`",
    "fleet.payment_providers[0].name": "names the provider in envs/ and in error messages",
    "fleet.database.failover.promotion_seconds": "a term of the failover bound checked against the RTO",
    "fleet.rollout.approval_environment": "the GitHub environment `fleet rollout` gives the release workflow",
    **{
        f"fleet.rollout.canary.{name}": "how `fleet canary` judges a canary before it is promoted"
        for name in ("bake_seconds", "error_margin_pct", "latency_margin_pct", "min_requests", "weight_pct", "window")
    },
    "bandung.services.catalog.previous_tag": "the target of `fleet rollback`",
    **{
        f"fleet.hardware.{table}.{node_class}.{name}": "the design's hardware `fleet plan` checks the pools against"
        for table in ("per_node", "per_cluster")
        for node_class in ("heavy", "medium", "light")
        for name in ("vcpu", "memory_gib", "disk_gb")
    },
    **{
        f"fleet.{field}": "a figure `fleet plan` checks the pools or links against"
        for field in (
            "bandwidth.database_mbps",
            "bandwidth.application_mbps",
            "hardware.node_reserve.cpu",
            "hardware.node_reserve.memory",
            "hardware.node_reserve.disk_gb",
            "node_pools.general.nodes",
            "node_pools.general.node_class",
            "node_pools.database.node_class",
        )
    },
    **{
        f"fleet.services[1].{field}": "the service's traffic between cities, checked by `fleet plan`"
        for field in ("wal_bytes_per_request", "cross_city_bytes_per_request")
    },
}


def _unwrap(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return [annotation]


def _pattern(info: FieldInfo) -> str | None:
    for meta in info.metadata:
        pattern = getattr(meta, "pattern", None)
        if pattern:
            return str(pattern)
    return None


def _other(value: Any, annotation: Any, info: FieldInfo) -> Any:
    """A valid value different from `value`."""
    if get_origin(annotation) is Literal:
        return next(choice for choice in get_args(annotation) if choice != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        bounds = {type(m).__name__: m for m in info.metadata}
        upper = getattr(bounds.get("Le"), "le", None)
        return value - 1 if upper is not None and value + 1 > upper else value + 1
    if isinstance(value, float):
        return round(value - 0.01, 4)
    if isinstance(value, list):
        if not value:
            return NO_VALUE
        return [*value[1:], value[0]] if len(value) > 1 else [*value, f"{value[0]}-more"]
    if isinstance(value, dict):
        return {**value, "extra.example/key": "value"}
    text = str(value)
    pattern = _pattern(info)
    if pattern == CRON:
        return "31" + text[text.index(" ") :] if not text.startswith("31") else "32" + text[2:]
    if pattern == GO_DURATION:
        return "2h"
    if pattern == HOSTNAME:
        return f"other-{text}"
    if pattern in (QUANTITY_GI, CPU_QUANTITY):
        digits = text.rstrip("Gim")
        return f"{int(digits) + 1}{text[len(digits) :]}"
    if pattern == MEMORY_QUANTITY:
        return f"{int(text[:-2]) + 1}{text[-2:]}"
    if pattern == CLUSTER_SERVER:
        return text.replace(":6443", ":6444")
    if pattern == SHA256_DIGEST:
        return "sha256:" + "a" * 64
    if "zone" in str(info.description) and "/" in text:
        return "Asia/Makassar"
    return f"{text}x" if not text.endswith("/") else f"{text}x/"


def _leaves(value: BaseModel, path: Path_) -> list[tuple[Path_, Any, Any, FieldInfo]]:
    """Every scalar (or list of scalars) field, following nested models; lists and maps of models by one entry."""
    found = []
    for name, info in type(value).model_fields.items():
        current = getattr(value, name)
        if isinstance(current, BaseModel):
            found += _leaves(current, (*path, name))
        elif isinstance(current, list) and current and isinstance(current[0], BaseModel):
            index = SAMPLE_INDEX.get(name, 0)
            found += _leaves(current[index], (*path, name, index))
        elif isinstance(current, dict) and current and isinstance(next(iter(current.values())), BaseModel):
            key = next(iter(current))
            found += _leaves(current[key], (*path, name, key))
        elif current is not None:
            found.append(((*path, name), current, _unwrap(info.annotation)[0], info))
    return found


# services[1] (order) writes, reads the replicas and is not capped by the pool: every service field shows there.
SAMPLE_INDEX = {"services": 1}
# Values where the generic "next valid value" would be invalid or change nothing by design of the default fleet.
OVERRIDES: dict[str, Any] = {
    "fleet.observability.sla[0].condition": "reporting_down_everywhere",
    **{
        f"fleet.observability.burn.{window}.{edge}": "12h"
        for window in ("page_quick", "page_slow", "ticket_quick", "ticket_slow")
        for edge in ("short_window", "long_window")
    },
    "fleet.observability.logs.loki_chart_version": "6.39.0",
    "fleet.observability.traces.collector_chart_version": "0.122.6",
    "fleet.observability.traces.tempo_chart_version": "1.19.0",
    "fleet.traffic.mesh.version": "1.31.0",
    "bandung.network.eastwest_address": "10.220.0.11",
    "fleet.observability.stack.storage_headroom_pct": 100,  # +1 % stays within the volume's rounding to GiB
    "fleet.prerequisites.external_secrets_chart_version": "1.3.3",
    "fleet.prerequisites.topolvm_chart_version": "15.1.1",
    "fleet.prerequisites.external_dns_chart_version": "1.21.2",
    "fleet.primary": "bandung",
    "fleet.database.recap.source": "payment",  # another service with a write route
    "fleet.rollout.order": ["surabaya", "bandung", "jakarta"],
    "fleet.edge_service": "catalog",
    "fleet.services[1].rps_per_pod": 50,
    "fleet.services[1].traffic_pct": 40,
    "fleet.services[1].routes[0].methods": ["POST", "PUT"],
    "fleet.services[1].name": "orders",
    "fleet.capacity.peak_rps": 1000,
    "fleet.capacity.headroom_max_pct": 100,
    "fleet.database.failover.preference": ["jakarta", "surabaya", "bandung"],
    "fleet.database.failover.inter_city_rtt_ms": 100,
    "fleet.payment_providers[0].cidrs": ["203.0.112.0/24"],
    "fleet.payment_providers[0].ports": [444],
    "fleet.payment_providers[0].services": ["order"],
    "fleet.network_policy.api_server_cidrs": ["10.0.0.0/16"],
    "bandung.database.object_storage.cidrs": ["192.0.2.0/28"],
    "bandung.network.pod_cidr": "10.21.0.0/16",
    "bandung.network.edge_address": "192.0.2.21",
    "fleet.traffic.dns.chart_version": "v0.20.1",
    "fleet.traffic.dns.edge_dns_servers": ["192.0.2.54"],
    "fleet.traffic.dns.rfc2136.host": "192.0.2.54",
    "bandung.network.service_cidr": "10.121.0.0/16",
}
# Changes that are valid only together with another one (applied to the changed side only).
COMPANIONS: dict[str, dict[Path_, Any]] = {
    # the gated city rolls out last: a new primary moves to the end of the order
    "fleet.primary": {("rollout", "order"): ["surabaya", "jakarta", "bandung"]},
    # the recap totals the order service's tables: a renamed order service is still its source
    "fleet.services[1].name": {("database", "recap", "source"): "orders"},
    # an order service that no longer writes (or uses no database) cannot be the recap's source
    "fleet.services[1].routes[0].access": {("database", "recap", "source"): "payment"},
    "fleet.services[1].database": {("database", "recap", "source"): "payment"},
}
# Fields that act only with another switch: both sides of the comparison get these settings.
CONTEXT: dict[str, dict[Path_, Any]] = {
    # the gateway's own share would push the others past 100 % once it is not the edge
    "fleet.edge_service": {("services", 0, "traffic_pct"): 1},
    # room for order's larger share: catalog gives up some, so the shares still add up to 100 %
    "fleet.services[1].traffic_pct": {("services", 4, "traffic_pct"): 20},
    "fleet.ingress_nginx.class_name": {("edge",): "ingress-nginx"},
    "fleet.ingress_nginx.controller_namespace": {("edge",): "ingress-nginx"},
    "fleet.report_cache.storage_gib": {("report_cache", "persistence"): True},
    "fleet.workloads.replicas": {("node_pools", "general", "nodes"): 3},
    "fleet.report_cache.replicas": {("node_pools", "general", "nodes"): 3},
    "fleet.database.reporting_members": {("node_pools", "database", "nodes"): 3},
}


def _set(data: dict[str, Any], path: Path_, value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[path[-1]] = value


def _render(envs: Path) -> Rendered:
    _, charts = build_app(load_fleet(envs), envs.parent / "unused", collect=True)
    return {(c.chart_id, b["kind"], b["metadata"]["name"]): b for c in charts for b in c.bodies}


# On catalog, so that the sampled service (order) can be renamed.
_RELEASE = {"catalog": {"tag": "1.21.0", "previous_tag": "1.20.1", "canary": {"tag": "1.22.0-rc.1", "weight": 10}}}


def _documents() -> dict[str, dict[str, Any]]:
    """fleet.yaml and bandung.yaml with every default written out, and a release in progress in Bandung."""
    fleet = load_fleet(ENVS)
    city = fleet.city("bandung").spec.model_dump(mode="json")
    city["services"] = _RELEASE
    return {"fleet.yaml": fleet.spec.model_dump(mode="json"), "bandung.yaml": city}


def _cases() -> list[tuple[str, str, Path_, Any]]:
    """(id, file, path, new value) for every leaf of fleet.yaml and of Bandung's file."""
    documents = _documents()
    cases = []
    for prefix, file, model in (("fleet", "fleet.yaml", FleetSpec), ("bandung", "bandung.yaml", CitySpec)):
        for path, value, annotation, info in _leaves(model.model_validate(documents[file]), ()):
            field = f"{prefix}.{_fmt(path)}"
            cases.append((field, file, path, OVERRIDES.get(field, _other(value, annotation, info))))
    return cases


def _fmt(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _write(envs: Path, documents: dict[str, dict[str, Any]], edits: dict[tuple[str, Path_], Any]) -> None:
    for file, data in documents.items():
        data = copy.deepcopy(data)
        for (target, path), value in edits.items():
            if target == file:
                _set(data, path, value)
        (envs / file).write_text(yaml.safe_dump(data))


CASES = _cases()


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return _documents()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, documents: dict[str, dict[str, Any]]) -> Rendered:
    envs = tmp_path_factory.mktemp("base") / "envs"
    shutil.copytree(ENVS, envs)
    _write(envs, documents, {})
    return _render(envs)


@pytest.mark.parametrize(("field", "file", "path", "value"), CASES, ids=[case[0] for case in CASES])
def test_the_field_changes_dist(
    documents: dict[str, dict[str, Any]],
    baseline: Rendered,
    tmp_path: Path,
    field: str,
    file: str,
    path: Path_,
    value: Any,
) -> None:
    assert value != NO_VALUE, f"{field} is an empty list by default: give it a value in OVERRIDES"
    envs = tmp_path / "envs"
    shutil.copytree(ENVS, envs)
    context = {("fleet.yaml", where): setting for where, setting in CONTEXT.get(field, {}).items()}
    before = baseline
    if context:
        _write(envs, documents, context)
        before = _render(envs)
    companions = {("fleet.yaml", where): setting for where, setting in COMPANIONS.get(field, {}).items()}
    _write(envs, documents, {**context, **companions, (file, path): value})
    try:
        after = _render(envs)
    except ConfigError as exc:
        pytest.fail(f"{field} = {value!r} does not load: choose a value in OVERRIDES: {exc}")
    changed = after != before
    if field in READ_ELSEWHERE:
        assert not changed, f"{field} changes dist/ now: drop it from READ_ELSEWHERE"
    else:
        assert changed, f"{field} = {value!r} changes nothing in dist/: use it or remove it"


def test_the_documents_with_every_default_written_render_the_committed_fleet(baseline: Rendered) -> None:
    """Writing the defaults out changes nothing but Bandung's release: the baseline is the real fleet."""
    _, charts = build_app(load_fleet(ENVS), ENVS.parent / "unused", collect=True)
    default = {(c.chart_id, b["kind"], b["metadata"]["name"]): b for c in charts for b in c.bodies}
    assert {key for key in default if default[key] != baseline.get(key)} <= {
        key for key in default if key[0] == "bandung" and "catalog" in key[2]
    } | {("bandung", "ConfigMap", "gateway-config"), ("bandung", "Deployment", "gateway")}
