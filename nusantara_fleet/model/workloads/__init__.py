"""The application workloads of every city: plans (`plans.py`), how they are derived (`resolve.py`), the
rules and warnings about them (`checks.py`)."""

from nusantara_fleet.model.workloads.plans import App, Cache, CityWorkloads, Edge, Variant, Workloads
from nusantara_fleet.model.workloads.resolve import resolve_workloads

__all__ = ["App", "Cache", "CityWorkloads", "Edge", "Variant", "Workloads", "resolve_workloads"]
