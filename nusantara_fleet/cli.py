"""`fleet`: the command line platform engineers use to render, check and ship the fleet."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.model.schema import write_schemas
from nusantara_fleet.synth import Summary, render


def _print_summary(summary: Summary, out: Path) -> None:
    kinds = sorted({kind for counts in summary.kinds_per_chart.values() for kind in counts})
    charts = list(summary.kinds_per_chart)
    width = max(len(kind) for kind in [*kinds, "kind"])
    print(f"{'kind':<{width}}  " + "  ".join(f"{chart:>9}" for chart in charts))
    for kind in kinds:
        row = "  ".join(f"{summary.kinds_per_chart[chart].get(kind, 0):>9}" for chart in charts)
        print(f"{kind:<{width}}  {row}")
    totals = "  ".join(f"{sum(summary.kinds_per_chart[chart].values()):>9}" for chart in charts)
    print(f"{'total':<{width}}  {totals}")
    print(f"wrote {summary.files} files to {out}/ in {summary.seconds:.2f} s")


def _synth(args: argparse.Namespace) -> int:
    print(f"loading {args.envs}/", file=sys.stderr)
    fleet = load_fleet(args.envs)
    names = ", ".join(city.name for city in fleet.cities)
    print(f"rendering {len(fleet.cities)} cities ({names}) and fleet-wide objects", file=sys.stderr)
    summary = render(fleet, args.out)
    _print_summary(summary, args.out)
    return 0


def _schema(args: argparse.Namespace) -> int:
    for path in write_schemas(args.envs):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", help="render envs/ into dist/ (one file per object)")
    synth.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
    synth.add_argument("--out", type=Path, default=Path("dist"), help="output directory (default: dist)")
    synth.set_defaults(run=_synth)
    schema = sub.add_parser("schema", help="export the envs JSON Schema into envs/schema/")
    schema.add_argument("--envs", type=Path, default=Path("envs"), help="config directory (default: envs)")
    schema.set_defaults(run=_schema)
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
