"""cdk8s entry point (`cdk8s synth`): renders the same bytes as `fleet synth`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nusantara_fleet.charts import build_app
from nusantara_fleet.errors import ConfigError
from nusantara_fleet.model import load_fleet
from nusantara_fleet.outdir import write_marker

ROOT = Path(__file__).resolve().parent

if __name__ == "__main__":
    try:
        fleet = load_fleet(ROOT / "envs")
    except ConfigError as exc:
        sys.exit(f"error: {exc}")
    outdir = Path(os.environ.get("CDK8S_OUTDIR", "dist"))
    app, _ = build_app(fleet, outdir)
    app.synth()
    write_marker(outdir)  # as `fleet synth` does, so both write the same tree
