"""What a check says about one document (or about the fleet as a whole)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["schema", "policy", "cross-object"]
Severity = Literal["failure", "warning", "exception"]

FLEET_FILE = "Combined"  # conftest's file name for results over the combined input
# A finding quotes what it judges; a document from a pull request may hold megabytes in one value, so
# every message is cut to what a reader needs to find it.
MESSAGE_LIMIT = 500


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check: where (`path`), which check (`rule`, e.g. `main.deny_privilege_escalation`), why."""

    path: str
    rule: str
    message: str
    severity: Severity = "failure"
    layer: Layer = "policy"

    def __post_init__(self) -> None:
        if len(self.message) > MESSAGE_LIMIT:
            cut = len(self.message) - MESSAGE_LIMIT
            object.__setattr__(self, "message", f"{self.message[:MESSAGE_LIMIT]}… ({cut} more characters)")

    @property
    def namespace(self) -> str:
        """The Rego package of a policy rule (`main`, `fleet`); the validator name for schema checks."""
        return self.rule.rpartition(".")[0]
