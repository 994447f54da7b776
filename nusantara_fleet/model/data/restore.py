"""`fleet restore`'s arguments, read into a restore target: the instant to recover to and the base backup.

The recovery is a new Patroni cluster (scope `<scope>-restore`) beside the live one: a StatefulSet
whose only member fetches a base backup from the city's object storage, replays archived WAL up to
`recovery_target_time` and is promoted there. It never overwrites the live cluster and archives
nothing into its prefix; what it brings back is copied out (pg_dump), then it is deleted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model.data.patroni import RestoreTarget

SOURCE = "fleet restore"
# WAL-G names base backups `base_<WAL segment>` (optionally `_D_<delta>`) or takes LATEST; anything else,
# shell metacharacters above all, must not reach the `wal-g backup-fetch` command line.
BACKUP_NAME = re.compile(r"^(LATEST|base_[0-9A-F]{24}(_D_[0-9A-F]{24})?)$")


def parse_target_time(value: str, *, now: datetime | None = None) -> str:
    """An ISO 8601 instant with its offset, in the past, as PostgreSQL's `recovery_target_time` reads it (UTC)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            [
                Problem(
                    SOURCE,
                    None,
                    "--to",
                    f"{value[:80]!r} is not an ISO 8601 time with an offset; write e.g. "
                    "2026-11-27T09:30:00+07:00 (WIB) or 2026-11-27T02:30:00Z",
                )
            ]
        )
    if moment > (now or datetime.now(UTC)):
        raise ConfigError(
            [Problem(SOURCE, None, "--to", f"{value!r} is in the future; no WAL exists yet to replay up to it")]
        )
    return moment.astimezone(UTC).isoformat(sep=" ")


def parse_backup(value: str) -> str:
    if not BACKUP_NAME.match(value):
        raise ConfigError(
            [
                Problem(
                    SOURCE,
                    None,
                    "--backup",
                    f"{value[:80]!r} is not a WAL-G base backup name; give LATEST or a name from "
                    "`wal-g backup-list` such as base_000000010000000000000002",
                )
            ]
        )
    return value


def restore_target(*, to: str, backup: str) -> RestoreTarget:
    return RestoreTarget(time=parse_target_time(to), backup=parse_backup(backup))
