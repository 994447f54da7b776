"""`fleet release/promote/rollback`: a city's release state changed as a reviewed edit of `envs/<city>.yaml`.

The edit is a ruamel.yaml round trip, so comments, quoting and layout of every other line survive. The
edited file is validated with the whole fleet (in a scratch copy of `envs/`) and rendered before it
replaces the real one: a bad argument writes nothing.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from nusantara_fleet.diff.compare import FleetDiff, compare
from nusantara_fleet.diff.objects import read_tree
from nusantara_fleet.errors import COMMAND_LINE, ConfigError, Problem
from nusantara_fleet.model import Fleet, load_fleet
from nusantara_fleet.model.spec.common import IMAGE_TAG
from nusantara_fleet.outdir import directory_lock
from nusantara_fleet.synth import Summary, render

SERVICES = "services"


@dataclass(frozen=True)
class Change:
    """One edit of one city file: what it says before and after, and in words."""

    path: Path
    before: str
    after: str
    summary: str

    def diff(self, display: str) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), display, display
        )
        return "".join(lines)


def round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line someone wrote
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of envs/*.yaml
    return yaml


def _problem(flag: str, message: str) -> ConfigError:
    return ConfigError([Problem(COMMAND_LINE, None, flag, message)])


def _stable_tag(fleet: Fleet, city: str, service: str) -> str:
    return next(svc.version for svc in fleet.city(city).services if svc.name == service)


def _check_target(fleet: Fleet, city: str, service: str) -> None:
    cities = [c.name for c in fleet.cities]
    if city not in cities:
        guess = difflib.get_close_matches(city, cities, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise _problem("--city", f"unknown city {city!r}; {hint}cities: {', '.join(cities)}")
    services = [svc.name for svc in fleet.services]
    if service not in services:
        guess = difflib.get_close_matches(service, services, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise _problem("SERVICE", f"unknown service {service!r}; {hint}services: {', '.join(services)}")


class CityFile:
    """A city file opened for a round-trip edit of one service's release state."""

    def __init__(self, envs: Path, city: str, service: str) -> None:
        self.path = envs / f"{city}.yaml"
        self.service = service
        self.before = self.path.read_text(encoding="utf-8")
        self.yaml = round_trip_yaml()
        self.doc: CommentedMap = self.yaml.load(self.before)

    def state(self) -> CommentedMap:
        """The service's entry under `services:`, created (empty) when the city has none yet."""
        if SERVICES not in self.doc or self.doc[SERVICES] is None:
            self.doc[SERVICES] = CommentedMap()
        services: CommentedMap = self.doc[SERVICES]
        if self.service not in services:
            services[self.service] = CommentedMap()
        entry: CommentedMap = services[self.service]
        return entry

    def set(self, key: str, value: Any) -> None:
        """Set or (value None) remove one key of the service's entry, dropping entries left empty."""
        entry = self.state()
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
        services: CommentedMap = self.doc[SERVICES]
        if not entry:
            del services[self.service]
        if not services:
            del self.doc[SERVICES]

    def text(self) -> str:
        buffer = io.StringIO()
        self.yaml.dump(self.doc, buffer)
        return buffer.getvalue()


def _fleet_tag(fleet: Fleet, service: str) -> str:
    return next(svc.spec.tag for svc in fleet.services if svc.name == service)


def _set_stable(file: CityFile, fleet: Fleet, tag: str, previous: str) -> None:
    """A city repeats a tag only when it differs from fleet.yaml's (an inherited value is not restated)."""
    file.set("tag", None if tag == _fleet_tag(fleet, file.service) else _quoted(tag))
    file.set("previous_tag", _quoted(previous))
    file.set("canary", None)


def plan_release(envs: Path, *, service: str, tag: str, city: str, canary: int | None) -> Change:
    fleet = load_fleet(envs)
    _check_target(fleet, city, service)
    if not re.match(IMAGE_TAG, tag):
        raise _problem("TAG", f"{tag!r} is not deployable: give a pinned release tag such as 1.4.2 (never `latest`)")
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    if canary is None:
        if tag == stable:
            raise _problem("TAG", f"{service} already runs {tag} in {city}; nothing to release")
        _set_stable(file, fleet, tag, stable)
        summary = f"{service} in {city}: stable {stable} -> {tag} (rollback target {stable})"
    else:
        if not 0 <= canary <= 50:
            raise _problem("--canary", f"weight {canary} is outside 0-50 (% of {city}'s traffic); pick 1-50")
        if tag == stable:
            raise _problem("TAG", f"{tag} is already the stable {service} in {city}; a canary needs a new tag")
        previous = file.state().get("canary")
        was = f"{previous['tag']} at {previous['weight']}%" if previous else "none"
        file.set("canary", _flow({"tag": _quoted(tag), "weight": canary}))
        summary = f"{service} in {city}: canary {was} -> {tag} at {canary}% (stable {stable})"
    return Change(file.path, file.before, file.text(), summary)


def plan_promote(envs: Path, *, service: str, city: str) -> Change:
    fleet = load_fleet(envs)
    _check_target(fleet, city, service)
    state = fleet.city(city).spec.services.get(service)
    if state is None or state.canary is None:
        raise _problem("SERVICE", f"{service} has no canary in {city}; start one with `fleet release --canary`")
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    _set_stable(file, fleet, state.canary.tag, stable)
    summary = f"{service} in {city}: canary {state.canary.tag} promoted to stable (was {stable})"
    return Change(file.path, file.before, file.text(), summary)


def plan_rollback(envs: Path, *, service: str, city: str) -> Change:
    """Drop a canary if there is one; otherwise return to the previous stable tag."""
    fleet = load_fleet(envs)
    _check_target(fleet, city, service)
    state = fleet.city(city).spec.services.get(service)
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    if state is not None and state.canary is not None:
        file.set("canary", None)
        summary = f"{service} in {city}: canary {state.canary.tag} withdrawn (stable stays {stable})"
    elif state is not None and state.previous_tag is not None:
        previous = state.previous_tag
        file.set("tag", None if previous == _fleet_tag(fleet, service) else _quoted(previous))
        file.set("previous_tag", None)
        summary = f"{service} in {city}: stable {stable} -> {previous} (rolled back)"
    else:
        raise _problem("SERVICE", f"{service} in {city} has no canary and no previous_tag; nothing to roll back")
    return Change(file.path, file.before, file.text(), summary)


def _quoted(tag: str) -> str:
    """Tags are written quoted, as in fleet.yaml: `1.10` must stay a string, not become the number 1.1."""
    quoted: str = DoubleQuotedScalarString(tag)
    return quoted


def _flow(values: dict[str, Any]) -> CommentedMap:
    """`{tag: "1.2.3", weight: 10}` on one line, so a canary is one reviewable line."""
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping


def apply(change: Change, *, envs: Path, out: Path) -> tuple[Summary, FleetDiff]:
    """Validate the edited file with the whole fleet, render dist/, then replace the city file.

    Runs with envs/ locked, so releases take turns; a city file that changed since the change was
    planned (another release got there first) fails rather than being overwritten.
    Returns the render summary and what the render changed in dist/, object by object.
    """
    with directory_lock(envs):
        if change.path.read_text(encoding="utf-8") != change.before:
            display = f"{envs.resolve().name}/{change.path.name}"
            raise ConfigError(
                [Problem(display, None, "", "changed while this command ran (another edit landed first); run it again")]
            )
        with tempfile.TemporaryDirectory(prefix="fleet-release-") as scratch:
            staged = Path(scratch) / envs.resolve().name
            shutil.copytree(envs, staged)
            (staged / change.path.name).write_text(change.after, encoding="utf-8")
            fleet = load_fleet(staged)
        before = read_tree(out) if out.is_dir() else {}
        summary = render(fleet, out, envs=envs)
        replacement = change.path.with_name(f".{change.path.name}.new")
        replacement.write_text(change.after, encoding="utf-8")
        os.replace(replacement, change.path)
    return summary, compare(before, read_tree(out), labels=("before", "after"))
