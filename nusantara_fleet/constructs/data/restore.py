"""`fleet restore`: a point-in-time recovery of one city's database, rendered for review.

The recovery is a new Patroni cluster (scope `<scope>-restore`) beside the live one: a StatefulSet
whose only member fetches a base backup from the city's object storage, replays archived WAL up to
`recovery_target_time` and is promoted there. It never overwrites the live cluster and archives
nothing into its prefix; what it brings back is copied out (pg_dump), then it is deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cdk8s import App, YamlOutputType

from nusantara_fleet.constructs.data.patroni_config import (
    CONFIG_KEYS,
    PatroniConfig,
    RestoreTarget,
    config_checksum,
    dump,
    patroni_config,
)
from nusantara_fleet.constructs.data.patroni_statefulset import PatroniStatefulSet
from nusantara_fleet.constructs.manifest import RenderChart
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import City, Fleet
from nusantara_fleet.model.data import RESTORE_NAME


def render_restore(chart: RenderChart, *, fleet: Fleet, city: City, target: RestoreTarget) -> None:
    config = patroni_config(fleet, city, "restore", target)
    data = {CONFIG_KEYS["restore"]: dump(config)}
    PatroniConfig(chart, fleet=fleet, city=city, data=data, name=RESTORE_NAME)
    PatroniStatefulSet(
        chart,
        fleet=fleet,
        city=city,
        name=f"{RESTORE_NAME}-{city.name}",
        app=RESTORE_NAME,
        kind="restore",
        role="restore",
        replicas=1,
        config_map=RESTORE_NAME,
        config_checksum=config_checksum(data),
        cluster=str(config["scope"]),
    )


def synth_restore(fleet: Fleet, city: City, target: RestoreTarget, outdir: Path) -> list[Path]:
    app = App(outdir=str(outdir), yaml_output_type=YamlOutputType.FILE_PER_RESOURCE)
    chart = RenderChart(app, f"restore-{city.name}")
    render_restore(chart, fleet=fleet, city=city, target=target)
    app.synth()
    return sorted(outdir.glob("*.yaml"))


def parse_target_time(value: str, *, source: str) -> str:
    """An ISO 8601 instant with its offset, as PostgreSQL's `recovery_target_time` reads it (in UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            [
                Problem(
                    source,
                    None,
                    "--to",
                    f"{value!r} is not an ISO 8601 time with an offset; write e.g. "
                    "2026-11-27T09:30:00+07:00 (WIB) or 2026-11-27T02:30:00Z",
                )
            ]
        )
    return moment.astimezone(UTC).isoformat(sep=" ")


def restore_target(fleet: Fleet, *, city: str, to: str, backup: str) -> tuple[City, RestoreTarget]:
    names = [c.name for c in fleet.cities]
    if city not in names:
        raise ConfigError(
            [Problem("fleet restore", None, "--city", f"unknown city {city!r}; cities: {', '.join(names)}")]
        )
    return fleet.city(city), RestoreTarget(time=parse_target_time(to, source="fleet restore"), backup=backup)
