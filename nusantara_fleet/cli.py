"""`fleet`: the command line platform engineers use to render, check and ship the fleet."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from nusantara_fleet.errors import COMMAND_LINE, ConfigError, Problem
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.loader import FLEET_FILE
from nusantara_fleet.model.schema import write_schemas
from nusantara_fleet.outdir import check_output, directory_lock
from nusantara_fleet.validate import report, validate
from nusantara_fleet.validate.crd_schemas import CrdSchemaError
from nusantara_fleet.validate.policy import PolicyError

# What renders (cdk8s and jsii) takes half a second to import; commands that do not render skip it.
if TYPE_CHECKING:
    from nusantara_fleet.release import Change
    from nusantara_fleet.synth import Summary

FINDINGS, UNUSABLE = 1, 2
EXIT_CODES = """\
exit codes:
  0    success
  1    findings: `fleet validate` failures (and warnings with --fail-on-warn),
       differences with `fleet diff --exit-code`, a `fleet plan` line that does not fit,
       or a `fleet scenarios` divergence from the design
  2    the command could not run: bad arguments, invalid envs/, an unreadable tree or
       policy, an --out it will not replace
  130  interrupted (Ctrl-C), 143 terminated (SIGTERM), 141 its output closed early (`| head`)

Run from anywhere in the repository: envs/, dist/ and policy/ default to the repository root's.
"""
ENVS, DIST, POLICY = "envs", "dist", "policy"
# How many of the places a set of problems came from the closing line names.
PLACES_SHOWN = 3


@dataclass(frozen=True)
class AtRoot:
    """A default path under the project root rather than the working directory."""

    name: str

    def __str__(self) -> str:
        return f"{self.name}/ at the repository root"


def project_root(start: Path) -> Path:
    """Where envs/ lives: the git checkout's top when it holds envs/, else the nearest folder up that does."""
    try:
        found = subprocess.run(
            ["git", "-C", str(start), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:  # no git on this machine: the walk up still finds the project
        found = None
    if found is not None and found.returncode == 0:
        top = Path(found.stdout.strip())
        if (top / ENVS / FLEET_FILE).is_file():
            return top
    return next((folder for folder in (start, *start.parents) if (folder / ENVS / FLEET_FILE).is_file()), start)


def _resolve_defaults(args: argparse.Namespace) -> None:
    """Replace every AtRoot default with its path under the project root, relative to where fleet runs."""
    defaults = {key: value for key, value in vars(args).items() if isinstance(value, AtRoot)}
    if defaults:
        root = project_root(Path.cwd())
        for key, value in defaults.items():
            setattr(args, key, Path(os.path.relpath(root / value.name)))


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
    check_output(args.out, envs=args.envs)  # a refused --out fails before the fleet is loaded
    # Shared: renders of one envs/ run side by side, but never while a release edits it.
    with directory_lock(args.envs, shared=True):
        print(f"loading {args.envs}/", file=sys.stderr)
        fleet = load_fleet(args.envs)
        for warning in fleet.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        names = ", ".join(city.name for city in fleet.cities)
        print(f"rendering {len(fleet.cities)} cities ({names}) and fleet-wide objects", file=sys.stderr)
        from nusantara_fleet.synth import render

        summary = render(fleet, args.out, jobs=args.jobs, envs=args.envs)
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
        record = {"file": None, "line": None, "field": "", "message": str(exc)}
        return _fail(args, [(str(exc), record)], args.outcome)
    print(report.FORMATS[args.output](result))
    # conftest's 2 (failures under --fail-on-warn) would read as an input error here: any finding is 1.
    return min(result.exit_code(fail_on_warn=args.fail_on_warn), FINDINGS)


def _apply_release(change: Change, args: argparse.Namespace) -> int:
    from nusantara_fleet.release import apply, preview

    display = f"{args.envs}/{change.path.name}"
    if args.dry_run:
        rendered = preview(change, envs=args.envs, out=args.out)
    else:
        summary, rendered = apply(change, envs=args.envs, out=args.out)
    print(change.summary)
    print(change.diff(display), end="")
    for chart in rendered.charts:
        for changed in chart.changes:
            paths = f": {', '.join(changed.paths)}" if changed.paths else ""
            print(f"  {args.out}/{chart.chart}: {changed.status} {changed.key}{paths}")
    if args.dry_run:
        print(f"dry run: {display} and {args.out}/ were not written")
    else:
        print(f"re-rendered {summary.files} files into {args.out}/; commit {display} and {args.out}/ together")
    return 0


def _release(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import ReleaseFlags, plan_release

    check_output(args.out, envs=args.envs)
    change = plan_release(
        args.envs,
        service=args.service,
        tag=args.tag,
        city=args.city,
        canary=args.canary,
        digest=args.digest,
        flags=ReleaseFlags(replace_canary=args.replace_canary, gated=args.gated),
    )
    return _apply_release(change, args)


def _promote(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import plan_promote

    check_output(args.out, envs=args.envs)
    return _apply_release(plan_promote(args.envs, service=args.service, city=args.city), args)


def _rollback(args: argparse.Namespace) -> int:
    from nusantara_fleet.release import plan_rollback

    check_output(args.out, envs=args.envs)
    return _apply_release(plan_rollback(args.envs, service=args.service, city=args.city), args)


def _rollout(args: argparse.Namespace) -> int:
    from nusantara_fleet import rollout

    plan = rollout.flow(load_fleet(args.envs))
    formats = {"text": rollout.flow_text, "json": rollout.as_json, "github": rollout.flow_github}
    print(formats[args.output](plan), end="")
    return 0


def _status(args: argparse.Namespace) -> int:
    from nusantara_fleet import rollout

    fleet = load_fleet(args.envs)
    if args.service is not None:
        rollout.check_service(fleet, args.service)
    report = rollout.status(fleet, args.service)
    print((rollout.as_json if args.output == "json" else rollout.status_text)(report), end="")
    return 0


def _canary(args: argparse.Namespace) -> int:
    from nusantara_fleet import canary
    from nusantara_fleet.rollout import check_target

    fleet = load_fleet(args.envs)
    check_target(fleet, args.city, args.service)
    state = fleet.city(args.city).service(args.service).canary
    if state is None:
        raise ConfigError(
            [Problem(COMMAND_LINE, None, "SERVICE", f"{args.service} has no canary in {args.city} to judge")]
        )
    if args.recorded is not None:
        ask = canary.recorded(args.recorded)
    elif args.prometheus.startswith(("http://", "https://")):
        ask = canary.prometheus(args.prometheus)
    else:
        message = f"{args.prometheus!r} is not a Prometheus URL: give its http:// or https:// base URL"
        raise ConfigError([Problem(COMMAND_LINE, None, "--prometheus", message)])
    judgement = canary.judge_canary(fleet, ask, service=args.service, city=args.city)
    print(judgement.text(args.service, args.city, state.tag), end="")
    return int(judgement.verdict)


def _diff(args: argparse.Namespace) -> int:
    from nusantara_fleet.diff import diff_sides
    from nusantara_fleet.diff import report as diff_report
    from nusantara_fleet.safe_yaml import label as safe_label

    if args.full_link is not None and not diff_report.LINK.fullmatch(args.full_link):
        message = f"{safe_label(args.full_link)} is not an https:// URL (no spaces, '<' or '>')"
        raise ConfigError([Problem(COMMAND_LINE, None, "--full-link", message)])
    result = diff_sides(args.base, args.head, repo=Path.cwd(), labels=(args.base_label, args.head_label))
    if args.output == "markdown":
        report = diff_report.markdown(result, link=args.full_link)
        whole = diff_report.markdown(result, limit=None, link=args.full_link)
    else:
        report = whole = diff_report.text(result)
    if args.full is not None:
        args.full.write_text(whole)
    print(report, end="")
    return FINDINGS if args.exit_code and not result.empty else 0


def _restore(args: argparse.Namespace) -> int:
    from nusantara_fleet.model.data.restore import restore_target
    from nusantara_fleet.restore import restore_city, synth_restore

    fleet = load_fleet(args.envs)
    city, target = restore_city(fleet, args.city), restore_target(to=args.to, backup=args.backup)
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


def _explain(args: argparse.Namespace) -> int:
    from nusantara_fleet.explain import explain, parse_target

    target = parse_target(args.path)
    print(explain(load_fleet(args.envs, record=True), target).text(), end="")
    return 0


def _prerequisites(args: argparse.Namespace) -> int:
    fleet = load_fleet(args.envs)
    prerequisites, delivery = fleet.prerequisites, fleet.delivery
    lines = ["Before Argo CD starts (check each):"]
    for number, check in enumerate(prerequisites.checks, 1):
        lines += [f"{number}. {check.what}", f"   why: {check.why}", *(f"   $ {command}" for command in check.commands)]
    lines += ["", "Add-ons the root Application installs before any data layer (pinned charts):"]
    lines += [
        f"- {addon.name} {addon.version} ({addon.repo_url}) in {addon.city}, namespace {addon.namespace}"
        for addon in prerequisites.addons
    ]
    for city, names in sorted(prerequisites.published.items()):
        lines.append(f"  external-dns in {city} publishes: {', '.join(names)}")
    lines += ["", f"Manual steps ({delivery.strategy}), and no others:"]
    lines += [
        f"{number}. [{step.when}] {step.what}\n   $ {step.command}"
        for number, step in enumerate(delivery.manual_steps(), 1)
    ]
    print("\n".join(lines))
    return 0


def _plan(args: argparse.Namespace) -> int:
    from nusantara_fleet.plan import FORMATS

    plan = load_fleet(args.envs).capacity
    print(FORMATS[args.output](plan), end="")
    return 0 if plan.fits else FINDINGS


def _scenarios(args: argparse.Namespace) -> int:
    from nusantara_fleet.scenarios.report import FORMATS as SCENARIO_FORMATS
    from nusantara_fleet.scenarios.run import judge_tree

    result = judge_tree(args.dist)
    print(SCENARIO_FORMATS[args.output](result), end="")
    return 0 if result.passed else FINDINGS


SCENARIOS_HELP = """\
Run the design's failure scenarios on the rendered fleet and compare each with what the design expects.

Reads only the rendered tree: the DestinationRules (Istio's locality priorities, ported from istio 1.30.3),
the edge Gateway, HTTPRoutes and Gslbs (k8gb's failover and roundRobin answers), the k8gb add-ons'
reconcileRequeueSeconds, the Patroni ConfigMap (ttl, loop_wait, failover_priority), the databases'
Services and the services' DB_* settings. Scenarios: (a) a service's main pod down in a city; (b) a branch
city's service fully down; (c) the primary city down; (d) a replica database down; (e) the primary
database down; (f) two cities down. For a user in each city it reports who serves, what each public host
resolves to, which database serves reads and takes writes, and the recovery times. Exit 1 on any
divergence from the design; what k8gb cannot express is listed as a stated deviation, not a failure.
"""


PLAN_HELP = """\
Check every city's pools, disks and links against the design capacity, with each city lost in turn.

Per city and pool: the requests and limits of every pod against the allocatable, at normal load and
with each other city lost (its users go to the primary city, the primary's to the next city of
database.failover.preference); the volume claims on a pool's fullest node against its disk; the
database and application traffic between clusters against `bandwidth`; and the RPS the cities
serve against the design band. Exit 1 when a line does not fit; `fleet synth` warns about the
same lines.
"""


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


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {jobs})")
    return jobs


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Callable[[argparse.Namespace], int],
    summary: str,
    examples: Sequence[str],
    *,
    outcome: str = "nothing was written",
    description: str | None = None,
) -> argparse.ArgumentParser:
    """One subcommand: `summary` is its line in `fleet --help`; `outcome` ends the report of a failed run."""
    command = sub.add_parser(
        name,
        help=summary,
        description=description or f"{summary[0].upper()}{summary[1:]}.",
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.set_defaults(run=run, outcome=outcome)
    return command


def _envs_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--envs", type=Path, default=AtRoot(ENVS), help="config directory (default: %(default)s)")


def _out_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--out",
        type=Path,
        default=AtRoot(DIST),
        help="output directory, replaced whole: absent, empty or an earlier render (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleet", description=__doc__, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('nusantara-fleet')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    synth = _command(
        sub,
        "synth",
        _synth,
        "render envs/ into dist/ (one file per object)",
        ["fleet synth", "fleet synth --out /tmp/dist --jobs 4"],
    )
    _envs_option(synth)
    _out_option(synth)
    synth.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        help="render processes, at most one per chart and per core (default: one per 8 cities)",
    )

    schema = _command(sub, "schema", _schema, "export the envs JSON Schema into envs/schema/", ["fleet schema"])
    _envs_option(schema)

    check = _command(
        sub,
        "validate",
        _validate,
        "check dist/ against the real schemas and the Rego policies (exit 1 on findings)",
        ["fleet validate", "fleet validate dist --output json --fail-on-warn"],
        outcome="nothing was checked",
    )
    check.add_argument("dist", type=Path, nargs="?", default=AtRoot(DIST), help="rendered tree (default: %(default)s)")
    check.add_argument("--policy", type=Path, default=AtRoot(POLICY), help="Rego directory (default: %(default)s)")
    check.add_argument("--output", "-o", choices=sorted(report.FORMATS), default="human", help="report format")
    check.add_argument("--fail-on-warn", action="store_true", help="exit 1 on warnings too")

    for name, run, text, example in (
        (
            "release",
            _release,
            "release TAG of SERVICE in a city (stable, or a canary with --canary)",
            "fleet release order 2.5.0 --city bandung --canary 10",
        ),
        (
            "promote",
            _promote,
            "make a city's canary of SERVICE its stable version",
            "fleet promote order --city bandung",
        ),
        (
            "rollback",
            _rollback,
            "withdraw a city's canary of SERVICE, else return to its previous tag",
            "fleet rollback order --city bandung",
        ),
    ):
        command = _command(sub, name, run, f"{text}; edits envs/<city>.yaml and re-renders dist/", [example])
        command.add_argument("service", metavar="SERVICE", help="service name from envs/fleet.yaml")
        if name == "release":
            command.add_argument("tag", metavar="TAG", help="image tag to release (never `latest`)")
            command.add_argument("--canary", type=int, metavar="WEIGHT", help="send WEIGHT %% (0-50) to TAG")
            command.add_argument("--digest", metavar="DIGEST", help="pin TAG to its scanned digest (sha256:...)")
            command.add_argument(
                "--replace-canary", action="store_true", help="withdraw the city's live canary of SERVICE"
            )
            command.add_argument("--gated", action="store_true", help="release into the gated city")
        command.add_argument("--city", required=True, help="city whose envs file changes")
        command.add_argument(
            "--dry-run", action="store_true", help="print the change and what it re-renders; write nothing"
        )
        _envs_option(command)
        _out_option(command)

    restore = _command(
        sub,
        "restore",
        _restore,
        "render a point-in-time recovery of a city's database for review",
        [
            "fleet restore --city jakarta --to 2026-11-27T09:30:00+07:00",
            "fleet restore --city jakarta --to 2026-11-27T09:30:00+07:00 --out restore/",
        ],
        description=RESTORE_HELP,
    )
    restore.add_argument("--city", required=True, help="city whose backups to restore from")
    restore.add_argument(
        "--to", required=True, metavar="TIMESTAMP", help="ISO 8601 time with offset, e.g. 2026-11-27T09:30:00+07:00"
    )
    restore.add_argument("--backup", default="LATEST", help="WAL-G base backup name (default: LATEST)")
    _envs_option(restore)
    restore.add_argument("--out", type=Path, help="new directory for the YAML files (default: stdout)")

    diff = _command(
        sub,
        "diff",
        _diff,
        "compare the rendered fleet of two git refs or directories, risks first",
        [
            "fleet diff",
            "fleet diff main WORKTREE --exit-code",
            "fleet diff main:dist dist --output markdown --full fleet-diff-full.md   # a pull request",
        ],
        outcome="nothing was compared",
    )
    diff.add_argument(
        "base", metavar="BASE", nargs="?", help="git ref, directory or REF:PATH (default: merge base with main)"
    )
    diff.add_argument("head", metavar="HEAD", nargs="?", help="git ref, directory or REF:PATH (default: WORKTREE)")
    diff.add_argument(
        "--output",
        "-o",
        choices=("text", "markdown"),
        default="text",
        help="report format; markdown is the pull-request comment, shortened to fit GitHub's 65,536 characters",
    )
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when the rendered fleet differs")
    diff.add_argument("--base-label", help="name of BASE in the header, e.g. the base branch (default: from git)")
    diff.add_argument("--head-label", help="name of HEAD in the header, e.g. the head commit (default: from git)")
    diff.add_argument("--full", type=Path, metavar="FILE", help="also write the whole report, never shortened, here")
    diff.add_argument(
        "--full-link", metavar="URL", help="https:// URL where readers find the --full report (e.g. the workflow run)"
    )

    explain = _command(
        sub,
        "explain",
        _explain,
        "say which construct, model plan and envs/ fields produced a rendered object",
        ["fleet explain dist/jakarta/StatefulSet.etcd.k8s.yaml", "fleet explain bandung/Deployment/order"],
        outcome="nothing was explained",
    )
    explain.add_argument("path", metavar="PATH", help="a file of dist/, or CITY/KIND/NAME")
    _envs_option(explain)

    plan = _command(
        sub,
        "rollout",
        _rollout,
        "print the release flow from envs/: canary city, branches, approval, gated city, rollback order",
        ["fleet rollout", 'fleet rollout --output github >> "$GITHUB_OUTPUT"'],
        outcome="no flow was printed",
    )
    plan.add_argument("--output", "-o", choices=("text", "json", "github"), default="text", help="report format")
    _envs_option(plan)

    state = _command(
        sub,
        "status",
        _status,
        "show each city's wave, gate and release state (stable, canary and previous tags)",
        ["fleet status", "fleet status --service order --output json"],
        outcome="no status was printed",
    )
    state.add_argument("--service", metavar="SERVICE", help="only this service")
    state.add_argument("--output", "-o", choices=("text", "json"), default="text", help="report format")
    _envs_option(state)

    judge = _command(
        sub,
        "canary",
        _canary,
        "judge a city's canary of SERVICE against stable and the SLOs (exit 0 promote, 1 roll back, 2 cannot judge)",
        [
            "fleet canary order --city bandung --prometheus https://prometheus.bandung.example",
            "fleet canary order --city bandung --recorded answers.json",
        ],
        outcome="nothing was judged",
    )
    judge.add_argument("service", metavar="SERVICE", help="service name from envs/fleet.yaml")
    judge.add_argument("--city", required=True, help="city whose canary to judge")
    source = judge.add_mutually_exclusive_group(required=True)
    source.add_argument("--prometheus", metavar="URL", help="Prometheus base URL (its /api/v1/query is asked)")
    source.add_argument(
        "--recorded", type=Path, metavar="FILE", help="JSON object from each query to Prometheus's reply"
    )
    _envs_option(judge)

    scenario = _command(
        sub,
        "scenarios",
        _scenarios,
        "run the design's failure scenarios on the rendered fleet (exit 1 on a divergence from the design)",
        ["fleet scenarios", 'fleet scenarios dist --output markdown >> "$GITHUB_STEP_SUMMARY"'],
        outcome="nothing was judged",
        description=SCENARIOS_HELP,
    )
    scenario.add_argument(
        "dist", type=Path, nargs="?", default=AtRoot(DIST), help="rendered tree (default: %(default)s)"
    )
    scenario.add_argument(
        "--output",
        "--format",
        "-o",
        dest="output",
        choices=("table", "json", "markdown"),
        default="table",
        help="report format",
    )

    plan = _command(
        sub,
        "plan",
        _plan,
        "check pools, disks and links against the design capacity, with each city lost (exit 1 if short)",
        ["fleet plan", "fleet plan --output markdown"],
        outcome="nothing was planned",
        description=PLAN_HELP,
    )
    _envs_option(plan)
    plan.add_argument("--output", "-o", choices=("table", "json", "markdown"), default="table", help="report format")

    prerequisites = _command(
        sub,
        "prerequisites",
        _prerequisites,
        "list what must exist before Argo CD starts, with a check for each, and the manual rollout steps",
        ["fleet prerequisites", "fleet prerequisites --envs envs"],
        outcome="nothing was listed",
    )
    _envs_option(prerequisites)
    return parser


def _places(problems: Sequence[Problem]) -> str:
    """`on the command line`, `in envs/a.yaml, envs/b.yaml`, or both: where the problems are."""
    files = sorted({p.file for p in problems} - {COMMAND_LINE})
    places = ["on the command line"] if any(p.file == COMMAND_LINE for p in problems) else []
    if files:
        more = len(files) - PLACES_SHOWN
        rest = f" and {more} more file{'' if more == 1 else 's'}" if more > 0 else ""
        places.append(f"in {', '.join(files[:PLACES_SHOWN])}{rest}")
    return " and ".join(places)


def _fail(args: argparse.Namespace, errors: Sequence[tuple[str, dict[str, Any]]], closing: str) -> int:
    """Report errors on stderr (and as JSON on stdout under `--output json`); the exit code of a run that could not."""
    for text, _ in errors:
        print(f"error: {text}", file=sys.stderr)
    print(closing, file=sys.stderr)
    if getattr(args, "output", None) == "json":
        print(json.dumps({"errors": [record for _, record in errors]}, indent="\t", sort_keys=True))
    return UNUSABLE


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    _resolve_defaults(args)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        count = len(exc.problems)
        closing = f"{args.outcome}: {count} problem{'' if count == 1 else 's'} {_places(exc.problems)}"
        return _fail(args, [(str(p), asdict(p)) for p in exc.problems], closing)
    except BrokenPipeError:
        raise
    except OSError as exc:
        record = {"file": exc.filename, "line": None, "field": "", "message": exc.strerror or str(exc)}
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        return _fail(args, [(text, record)], args.outcome)
    return code


@contextmanager
def _exit_on_termination() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run through its `finally` blocks, which remove staging directories.

    Python's default for both ends the process on the spot; SIGINT already raises KeyboardInterrupt.
    """

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with _exit_on_termination():
            try:
                return _run(argv)
            finally:
                sys.stdout.flush()  # a reader that went away shows here, not as a traceback at exit
    except BrokenPipeError:
        # `fleet ... | head`: the reader has all it wanted. Point stdout at /dev/null so the final
        # flush cannot fail again, and exit as a process ended by SIGPIPE does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        print("fleet: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
