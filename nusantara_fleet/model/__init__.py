"""The fleet model: input specs, their cross-file rules, and the resolved per-city views."""

from nusantara_fleet.model.cities import City, Pool, Service
from nusantara_fleet.model.fleet import Fleet
from nusantara_fleet.model.loader import load_fleet

__all__ = ["City", "Fleet", "Pool", "Service", "load_fleet"]
