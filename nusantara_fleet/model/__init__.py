"""The fleet model: input specs, their cross-file rules, and the resolved per-city view."""

from nusantara_fleet.model.fleet import City, Fleet, Pool, Service
from nusantara_fleet.model.loader import load_fleet

__all__ = ["City", "Fleet", "Pool", "Service", "load_fleet"]
