"""What a check says about one document (or about the fleet as a whole)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["schema", "policy"]
Severity = Literal["failure", "warning", "exception"]

FLEET_FILE = "Combined"  # conftest's file name for results over the combined input


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check: where (`path`), which check (`rule`, e.g. `main.deny_privilege_escalation`), why."""

    path: str
    rule: str
    message: str
    severity: Severity = "failure"
    layer: Layer = "policy"

    @property
    def namespace(self) -> str:
        """The Rego package of a policy rule (`main`, `fleet`); the validator name for schema checks."""
        return self.rule.rpartition(".")[0]
