"""`fleet`: the command line platform engineers use to render, check and ship the fleet."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.schema import write_schemas
from nusantara_fleet.validate import report, validate
from nusantara_fleet.validate.crd_schemas import CrdSchemaError
from nusantara_fleet.validate.policy import PolicyError

# What renders (cdk8s and jsii) takes half a second to import; commands that do not render skip it.
if TYPE_CHECKING:
    from nusantara_fleet.release import Change
    from nusantara_fleet.synth import Summary


def _print_summary(summary: Summary, out: Path, seconds: float) -> None:
    kinds = sorted({kind for counts in summary.kinds_per_chart.values() for kind in counts})
    charts = list(summary.kinds_per_chart)
    width = max(len(kind) for kind in [*kinds, "kind"])
    print(f"{'kind':<{width}}  " + "  ".join(f"{chart:>9}" for chart in charts))
    for kind in kinds:
        row = "  ".join(f"{summary.kinds_per_chart[chart].get(kind, 0):>9}" for chart in charts)
        print(f"{kind:<{width}}  {row}")
    totals = "  ".join(f"{sum(summary.kinds_per_chart[chart].values()):>9}" for chart in charts)
    print(f"{'total':<{width}}  {totals}")
    print(f"wrote {summary.files} files to {out}/ in {seconds:.2f} s (render {summary.seconds:.2f} s)")


def _synth(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print(f"loading {args.envs}/", file=sys.stderr)
    fleet = load_fleet(args.envs)
    for warning in fleet.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    names = ", ".join(city.name for city in fleet.cities)
    print(f"rendering {len(fleet.cities)} cities ({names}) and fleet-wide objects", file=sys.stderr)
    from nusantara_fleet.synth import render

    summary = render(fleet, args.out, jobs=args.jobs)
    _print_summary(summary, args.out, time.perf_counter() - started)
    return 0


def _schema(args: argparse.Namespace) -> int:
    for path in write_schemas(args.envs):
        print(f"wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    try:
        result = validate(args.dist, args.policy)
    except (PolicyError, CrdSchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} file(s) could not be read; nothing was checked", file=sys.stderr)
        return 1
    print(report.FORMATS[args.output](result))
    return result.exit_code(fail_on_warn=args.fail_on_warn)


def _apply_release(change: Change, args: argparse.Namespace) -> int:
    from nusantara_fleet.release import apply

    display = f"{args.envs}/{change.path.name}"
    summary, rendered = apply(change, envs=args.envs, out=args.out)
    print(change.summary)
    print(change.diff(display), end="")
    for chart in rendered.charts:
        for changed in chart.changes:
            paths = f": {', '.join(changed.paths)}" if changed.paths else ""
            print(f"  {args.out}/{chart.chart}: {changed.status} {changed.key}{paths}")
    print(f"re-rendered {summary.files} files into {args.out}/; commit {display} and {args.out}/ together")
    return 0


def _release(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import plan_release

    change = plan_release(args.envs, service=args.service, tag=args.tag, city=args.city, canary=args.canary)
    return _apply_release(change, args)


def _promote(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import plan_promote

    return _apply_release(plan_promote(args.envs, service=args.service, city=args.city), args)


def _rollback(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import plan_rollback

    return _apply_release(plan_rollback(args.envs, service=args.service, city=args.city), args)


def _diff(args: argparse.Namespace) -> int:
    from nusantara_fleet.diff import diff_sides
    from nusantara_fleet.diff import report as diff_report

    result = diff_sides(args.base, args.head, repo=Path.cwd())
    print(diff_report.markdown(result) if args.output == "markdown" else diff_report.text(result), end="")
    return 1 if args.exit_code and not result.empty else 0


def _restore(args: argparse.Namespace) -> int:
    from nusantara_fleet.constructs.data.restore import restore_target, synth_restore

    fleet = load_fleet(args.envs)
    city, target = restore_target(fleet, city=args.city, to=args.to, backup=args.backup)
    with tempfile.TemporaryDirectory() as staging:
        files = synth_restore(fleet, city, target, Path(staging))
        if args.out is None:
            sys.stdout.write("---\n".join(path.read_text() for path in files))
            return 0
        if args.out.exists() and any(args.out.iterdir()):
            raise ConfigError([Problem(str(args.out), None, "--out", "is not empty; give a new directory")])
        args.out.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy(path, args.out / path.name)
    print(f"wrote the {city.name} restore to {target.time} ({len(files)} objects) to {args.out}/", file=sys.stderr)
    return 0


RESTORE_HELP = """\
Render a point-in-time recovery of one city's database for review (nothing is applied).

It is a new Patroni cluster beside the live one (scope `<scope>-restore`, StatefulSet
`postgres-restore-<city>`, ConfigMap `postgres-restore`): its member fetches base backup BACKUP
from the city's object storage (`wal-g backup-fetch`), replays archived WAL (`wal-g wal-fetch`) up
to TIMESTAMP (`recovery_target_time`, timeline `current`) and is promoted there. It archives
nothing, so the live cluster's backups stay untouched. Choose BACKUP as the newest base backup
older than TIMESTAMP (`wal-g backup-list`; LATEST is right only for a recent TIMESTAMP). Apply the
output with kubectl after review, copy what was lost back with pg_dump, then delete it.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", help="render envs/ into dist/ (one file per object)")
    synth.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
    synth.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: dist)")
    synth.add_argument(
        "--jobs", type=int, default=None, help="render processes (default: one per 8 cities, at most one per core)"
    )
    synth.set_defaults(run=_synth)
    schema = sub.add_parser("schema", help="export the envs JSON Schema into envs/schema/")
    schema.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
    schema.set_defaults(run=_schema)
    check = sub.add_parser(
        "validate", help="check dist/ against the real schemas and the Rego policies (exit 1 on failures)"
    )
    check.add_argument("dist", type=Path, nargs="?", default=Path("dist"), help="rendered tree (default: dist)")
    check.add_argument("--policy", type=Path, default=Path("policy"), help="Rego directory (default: policy)")
    check.add_argument("--output", "-o", choices=sorted(report.FORMATS), default="human", help="report format")
    check.add_argument("--fail-on-warn", action="store_true", help="exit 1 on warnings and 2 on failures")
    check.set_defaults(run=_validate)
    for name, run, text in (
        ("release", _release, "release TAG of SERVICE in a city (stable, or a canary with --canary)"),
        ("promote", _promote, "make a city's canary of SERVICE its stable version"),
        ("rollback", _rollback, "withdraw a city's canary of SERVICE, else return to its previous tag"),
    ):
        command = sub.add_parser(name, help=f"{text}; edits envs/<city>.yaml and re-renders dist/")
        command.add_argument("service", metavar="SERVICE", help="service name from envs/fleet.yaml")
        if name == "release":
            command.add_argument("tag", metavar="TAG", help="image tag to release (never `latest`)")
            command.add_argument("--canary", type=int, metavar="WEIGHT", help="send WEIGHT %% (0-50) to TAG")
        command.add_argument("--city", required=True, help="city whose envs file changes")
        command.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
        command.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: dist)")
        command.set_defaults(run=run)
    restore = sub.add_parser(
        "restore",
        help="render a point-in-time recovery of a city's database for review",
        description=RESTORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore.add_argument("--city", required=True, help="city whose backups to restore from")
    restore.add_argument(
        "--to", required=True, metavar="TIMESTAMP", help="ISO 8601 time with offset, e.g. 2026-11-27T09:30:00+07:00"
    )
    restore.add_argument("--backup", default="LATEST", help="WAL-G base backup name (default: LATEST)")
    restore.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
    restore.add_argument("--out", type=Path, help="new directory for the YAML files (default: stdout)")
    restore.set_defaults(run=_restore)
    diff = sub.add_parser("diff", help="compare the rendered fleet of two git refs or directories, risks first")
    diff.add_argument(
        "base", metavar="BASE", nargs="?", help="git ref, directory or REF:PATH (default: merge base with main)"
    )
    diff.add_argument("head", metavar="HEAD", nargs="?", help="git ref, directory or REF:PATH (default: WORKTREE)")
    diff.add_argument("--output", "-o", choices=("text", "markdown"), default="text", help="report format")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when the rendered fleet differs")
    diff.set_defaults(run=_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the config; nothing was written", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
