"""Where a problem was written: the parsed files of `envs/`, so every check can name file, line and field."""

from __future__ import annotations

from dataclasses import dataclass

from nusantara_fleet.errors import Problem
from nusantara_fleet.model.source import Loc, Source, format_loc


@dataclass(frozen=True)
class Sources:
    """The parsed `fleet.yaml` and each city's file, keyed by city name."""

    fleet: Source
    cities: dict[str, Source]

    def fleet_problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.fleet.path, self.fleet.line_of(loc), format_loc(loc), message)

    def city_problem(self, city: str, loc: Loc, message: str) -> Problem:
        source = self.cities[city]
        return Problem(source.path, source.line_of(loc), format_loc(loc), message)
