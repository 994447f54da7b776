"""Grafana dashboards as ConfigMaps for the Grafana sidecar, built with grafana-foundation-sdk.

Each city's chart carries its own dashboard and the fleet's. The fleet dashboard puts one panel per city
side by side, each panel reading that city's Prometheus datasource (`naming.city_datasource`), rather
than one datasource variable: a variable shows one city at a time, and the failures the SLA table pages on
("two of three cities down") are only visible with every city on one screen. Its edge-traffic panel stacks
the cities (a mixed-datasource panel) under the fleet's design capacity line.

The SDK's classic `dashboard` builders are used (they warn "prefer dashboardv2"): the sidecar provisions
dashboard files from disk, which Grafana reads in the classic JSON model, not the v2 resource form.

Panel ids and grid positions are set explicitly: Grafana assigns missing ids in the browser only, and the
SDK's auto-layout moves any panel left at x=0, y=0.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from nusantara_fleet import naming
from nusantara_fleet.constructs.manifest import Manifest, RenderChart
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.observability.dashboards import DashboardPlan, ServicePanels

GRID_WIDTH = 24
ROW_HEIGHT = 1
PANEL_HEIGHT = 8
LIGHT_HEIGHT = 4
STATUS_WIDTH, RPS_WIDTH, LATENCY_WIDTH, BUDGET_WIDTH = 4, 8, 8, 4
LIGHT_WIDTH = 4  # a traffic light on the fleet dashboard; six to a line
MIXED = common.DataSourceRef(type_val="datasource", uid="-- Mixed --")
STATUS_TEXT = {0: ("OK", "green"), 1: ("at risk", "orange"), 2: ("SLO breached", "red")}


class _Layout:
    """Hands out panel ids and grid positions in reading order."""

    def __init__(self) -> None:
        self.next_id = 0
        self.x = 0
        self.y = 0
        self.line_height = 0

    def id(self) -> int:
        self.next_id += 1
        return self.next_id

    def row(self) -> model.GridPos:
        self.newline()
        pos = model.GridPos(h=ROW_HEIGHT, w=GRID_WIDTH, x=0, y=self.y)
        self.y += ROW_HEIGHT
        return pos

    def place(self, w: int, h: int) -> model.GridPos:
        if self.x + w > GRID_WIDTH:
            self.newline()
        pos = model.GridPos(h=h, w=w, x=self.x, y=self.y)
        self.x += w
        self.line_height = max(self.line_height, h)
        return pos

    def newline(self) -> None:
        self.y += self.line_height
        self.x, self.line_height = 0, 0


def _source(uid: str) -> common.DataSourceRef:
    return common.DataSourceRef(type_val="prometheus", uid=uid)


def _query(expr: str, ref: str, legend: str, source: common.DataSourceRef | None = None) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).legend_format(legend)
    return query if source is None else query.datasource(source)


def _steps(*steps: tuple[float | None, str]) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def _last() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def _traffic_light(panels: ServicePanels, layout: _Layout, w: int, h: int, source: common.DataSourceRef) -> stat.Panel:
    signals = ", ".join(f"{s.name} {s.warning:g}/{s.bound:g}" for s in panels.signals)
    return (
        stat.Panel()
        .id(layout.id())
        .title(f"{panels.service} status")
        .description(f"Worst signal against its SLO (orange/red from): {signals}.")
        .grid_pos(layout.place(w, h))
        .datasource(source)
        .with_target(_query(panels.status_expr, "A", panels.service))
        .thresholds(_steps((None, "green"), (1, "orange"), (2, "red")))
        .mappings(
            [
                model.ValueMap(
                    options={
                        str(level): model.ValueMappingResult(text=text, color=color, index=level)
                        for level, (text, color) in STATUS_TEXT.items()
                    }
                )
            ]
        )
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .reduce_options(_last())
    )


def _service_row(builder: dashboard_builders.Dashboard, panels: ServicePanels, layout: _Layout, uid: str) -> None:
    source = _source(uid)
    builder.with_row(dashboard_builders.Row(panels.service).id(layout.id()).grid_pos(layout.row()))
    builder.with_panel(_traffic_light(panels, layout, STATUS_WIDTH, PANEL_HEIGHT, source))
    builder.with_panel(
        timeseries.Panel()
        .id(layout.id())
        .title(f"{panels.service} requests per second")
        .description(
            f"Orange line: this city's share of the design capacity ({panels.share_rps} RPS); red line: the most "
            f"it is sized for with a lost city's users ({panels.peak_rps} RPS)."
        )
        .grid_pos(layout.place(RPS_WIDTH, PANEL_HEIGHT))
        .datasource(source)
        .with_target(_query(panels.rps_expr, "A", "RPS"))
        .unit("reqps")
        .min(0)
        .thresholds(_steps((None, "green"), (panels.share_rps, "orange"), (panels.peak_rps, "red")))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    )
    builder.with_panel(
        timeseries.Panel()
        .id(layout.id())
        .title(f"{panels.service} latency")
        .description(f"Red line: the latency SLO, p95 under {panels.latency_slo_seconds:g} s.")
        .grid_pos(layout.place(LATENCY_WIDTH, PANEL_HEIGHT))
        .datasource(source)
        .targets([_query(expr, chr(ord("A") + i), legend) for i, (legend, expr) in enumerate(panels.latency_exprs)])
        .unit("s")
        .min(0)
        .thresholds(_steps((None, "green"), (panels.latency_slo_seconds, "red")))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    )
    builder.with_panel(
        stat.Panel()
        .id(layout.id())
        .title(f"{panels.service} error budget remaining")
        .grid_pos(layout.place(BUDGET_WIDTH, PANEL_HEIGHT))
        .datasource(source)
        .with_target(_query(panels.budget_expr, "A", "{{sloth_slo}}"))
        .unit("percentunit")
        .thresholds(_steps((None, "red"), (0, "orange"), (panels.budget_warning, "green")))
        .reduce_options(_last())
    )


def _fleet_panels(builder: dashboard_builders.Dashboard, plan: DashboardPlan, layout: _Layout) -> None:
    builder.with_panel(
        timeseries.Panel()
        .id(layout.id())
        .title(f"Edge requests per second ({plan.edge_service}), every city")
        .description(f"Red line: the fleet's design capacity, {plan.capacity_rps} RPS.")
        .grid_pos(layout.place(GRID_WIDTH, PANEL_HEIGHT))
        .datasource(MIXED)
        .targets(
            [
                _query(row.edge_rps_expr, chr(ord("A") + i), row.city, _source(row.datasource_uid))
                for i, row in enumerate(plan.cities)
            ]
        )
        .unit("reqps")
        .min(0)
        .stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
        .thresholds(_steps((None, "green"), (plan.capacity_rps, "red")))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    )
    for row in plan.cities:
        builder.with_row(dashboard_builders.Row(row.city).id(layout.id()).grid_pos(layout.row()))
        for panels in row.services:
            builder.with_panel(_traffic_light(panels, layout, LIGHT_WIDTH, LIGHT_HEIGHT, _source(row.datasource_uid)))


def dashboard_model(plan: DashboardPlan) -> dict[str, Any]:
    """The dashboard model as grafana-foundation-sdk builds it, as plain JSON data."""
    builder = (
        dashboard_builders.Dashboard(plan.title)
        .uid(plan.uid)
        .tags(list(plan.tags))
        .refresh(plan.refresh)
        .time("now-6h", "now")
        .timezone("browser")
        .readonly()
    )
    layout = _Layout()
    if plan.datasource_uid is not None:
        for panels in plan.services:
            _service_row(builder, panels, layout, plan.datasource_uid)
    if plan.cities:
        _fleet_panels(builder, plan, layout)
    data: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    return data


def dashboard_json(plan: DashboardPlan) -> str:
    """What the ConfigMap carries: sorted keys and no timestamps, so the same model gives the same bytes."""
    return json.dumps(dashboard_model(plan), sort_keys=True, indent=2)


class DashboardConfigMap(Manifest):
    def __init__(self, scope: RenderChart, *, fleet: Fleet, city: City, plan: DashboardPlan) -> None:
        name = naming.dashboard_configmap(plan.name)
        labels = city.labels(name=name, component="observability", version=naming.GENERATOR_VERSION)
        labels[naming.GRAFANA_DASHBOARD_LABEL] = naming.GRAFANA_DASHBOARD_LABEL_VALUE
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": fleet.spec.network_policy.monitoring_namespace, "labels": labels},
            "data": {naming.dashboard_file(plan.name): dashboard_json(plan)},
        }
        super().__init__(scope, body, plan=plan)


def render_city_dashboards(chart: RenderChart, *, fleet: Fleet, city: City) -> None:
    """Objects of this area in one city's chart."""
    for plan in fleet.observability.dashboards.rendered_in(city.name):
        DashboardConfigMap(chart, fleet=fleet, city=city, plan=plan)
