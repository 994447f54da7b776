"""Where the policies and their fixtures live, for the validate and policy tests."""

from __future__ import annotations

from pathlib import Path

from tests.support import ROOT

POLICY = ROOT / "policy"
FIXTURES = POLICY / "fixtures"


def fixture_dir(rule: str, part: str) -> Path:
    """`policy/fixtures/<rule>/<part>`: a tree laid out like dist/ (`deny` or `allow`)."""
    return FIXTURES / rule / part
