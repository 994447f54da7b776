"""The gate: every rendered document against the real schema of its kind and every Rego policy."""

from nusantara_fleet.validate.findings import Finding
from nusantara_fleet.validate.run import Report, validate

__all__ = ["Finding", "Report", "validate"]
