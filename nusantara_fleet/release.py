"""`fleet release/promote/rollback`: a city's release state changed as a reviewed edit of `envs/<city>.yaml`.

The edit is a ruamel.yaml round trip, so comments, quoting and layout of every other line survive. The
edited file is validated with the whole fleet (in a scratch copy of `envs/`) and rendered before it
replaces the real one: a bad argument writes nothing, and `preview` (`--dry-run`) renders aside and
writes nothing at all. Replacing a live canary and releasing to the gated city are refused unless asked
for by name, so neither happens by a slip of `--city`.
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
from nusantara_fleet.model.spec.common import IMAGE_TAG, SHA256_DIGEST
from nusantara_fleet.outdir import directory_lock
from nusantara_fleet.rollout import check_target
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


class CityFile:
    """A city file opened for a round-trip edit of one service's release state."""

    def __init__(self, envs: Path, city: str, service: str) -> None:
        self.city = city
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


def _set_stable(file: CityFile, fleet: Fleet, tag: str, digest: str | None, previous: str) -> None:
    """A city repeats a tag only when it differs from fleet.yaml's (an inherited value is not restated).

    The digest the stable version was pinned by moves to `previous_digest` with its tag, so a rollback
    returns to exactly the image that ran before.
    """
    state = fleet.city(file.city).spec.services.get(file.service)
    file.set("tag", None if tag == _fleet_tag(fleet, file.service) else _quoted(tag))
    file.set("digest", None if digest is None else _quoted(digest))
    file.set("previous_tag", _quoted(previous))
    file.set("previous_digest", None if state is None or state.digest is None else _quoted(state.digest))
    file.set("canary", None)


@dataclass(frozen=True)
class ReleaseFlags:
    """The two releases that are refused unless asked for by name."""

    replace_canary: bool = False  # over a live canary of the same service and city
    gated: bool = False  # into the gated city


def _check_release(fleet: Fleet, *, service: str, tag: str, city: str, digest: str | None, flags: ReleaseFlags) -> None:
    if not re.match(IMAGE_TAG, tag):
        raise _problem("TAG", f"{tag!r} is not deployable: give a pinned release tag such as 1.4.2 (never `latest`)")
    if digest is not None and not re.match(SHA256_DIGEST, digest):
        raise _problem("--digest", f"{digest!r} is not an image digest: give `sha256:` and 64 lowercase hex digits")
    if fleet.city(city).gated and not flags.gated:
        raise _problem(
            "--gated",
            f"{city} is the gated city: it takes a release only after every other city and a release manager's "
            "approval; pass --gated to release it",
        )
    state = fleet.city(city).spec.services.get(service)
    if state is not None and state.canary is not None and not flags.replace_canary:
        live = f"{state.canary.tag} at {state.canary.weight}%"
        raise _problem(
            "--replace-canary",
            f"{service} in {city} has a live canary {live}; promote it or roll it back first, or pass "
            "--replace-canary to withdraw it in this release",
        )


def plan_release(
    envs: Path,
    *,
    service: str,
    tag: str,
    city: str,
    canary: int | None,
    digest: str | None = None,
    flags: ReleaseFlags = ReleaseFlags(),
) -> Change:
    fleet = load_fleet(envs)
    check_target(fleet, city, service)
    _check_release(fleet, service=service, tag=tag, city=city, digest=digest, flags=flags)
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    pinned = f" @ {digest}" if digest else ""
    if canary is None:
        if tag == stable:
            raise _problem("TAG", f"{service} already runs {tag} in {city}; nothing to release")
        _set_stable(file, fleet, tag, digest, stable)
        summary = f"{service} in {city}: stable {stable} -> {tag}{pinned} (rollback target {stable})"
    else:
        if not 0 <= canary <= 50:
            raise _problem("--canary", f"weight {canary} is outside 0-50 (% of {city}'s traffic); pick 1-50")
        if tag == stable:
            raise _problem("TAG", f"{tag} is already the stable {service} in {city}; a canary needs a new tag")
        previous = file.state().get("canary")
        was = f"{previous['tag']} at {previous['weight']}%" if previous else "none"
        candidate: dict[str, Any] = {"tag": _quoted(tag), "weight": canary}
        if digest is not None:
            candidate["digest"] = _quoted(digest)
        file.set("canary", _flow(candidate))
        summary = f"{service} in {city}: canary {was} -> {tag}{pinned} at {canary}% (stable {stable})"
    return Change(file.path, file.before, file.text(), summary)


def plan_promote(envs: Path, *, service: str, city: str) -> Change:
    fleet = load_fleet(envs)
    check_target(fleet, city, service)
    state = fleet.city(city).spec.services.get(service)
    if state is None or state.canary is None:
        raise _problem("SERVICE", f"{service} has no canary in {city}; start one with `fleet release --canary`")
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    _set_stable(file, fleet, state.canary.tag, state.canary.digest, stable)
    summary = f"{service} in {city}: canary {state.canary.tag} promoted to stable (was {stable})"
    return Change(file.path, file.before, file.text(), summary)


def plan_rollback(envs: Path, *, service: str, city: str) -> Change:
    """Drop a canary if there is one; otherwise return to the previous stable tag."""
    fleet = load_fleet(envs)
    check_target(fleet, city, service)
    state = fleet.city(city).spec.services.get(service)
    stable = _stable_tag(fleet, city, service)
    file = CityFile(envs, city, service)
    if state is not None and state.canary is not None:
        file.set("canary", None)
        summary = f"{service} in {city}: canary {state.canary.tag} withdrawn (stable stays {stable})"
    elif state is not None and state.previous_tag is not None:
        previous = state.previous_tag
        file.set("tag", None if previous == _fleet_tag(fleet, service) else _quoted(previous))
        file.set("digest", None if state.previous_digest is None else _quoted(state.previous_digest))
        file.set("previous_tag", None)
        file.set("previous_digest", None)
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


def _edited_fleet(change: Change, envs: Path) -> Fleet:
    """The whole fleet with the edit applied, loaded from a scratch copy of envs/."""
    with tempfile.TemporaryDirectory(prefix="fleet-release-") as scratch:
        staged = Path(scratch) / envs.resolve().name
        shutil.copytree(envs, staged)
        (staged / change.path.name).write_text(change.after, encoding="utf-8")
        return load_fleet(staged)


def preview(change: Change, *, envs: Path, out: Path) -> FleetDiff:
    """What `apply` would change in dist/, rendered into a scratch directory: nothing is written."""
    with directory_lock(envs, shared=True):
        fleet = _edited_fleet(change, envs)
        before = read_tree(out) if out.is_dir() else {}
        with tempfile.TemporaryDirectory(prefix="fleet-dry-run-") as scratch:
            rendered = Path(scratch) / "dist"
            render(fleet, rendered)
            return compare(before, read_tree(rendered), labels=("before", "after"))


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
        fleet = _edited_fleet(change, envs)
        before = read_tree(out) if out.is_dir() else {}
        summary = render(fleet, out, envs=envs)
        replacement = change.path.with_name(f".{change.path.name}.new")
        replacement.write_text(change.after, encoding="utf-8")
        os.replace(replacement, change.path)
    return summary, compare(before, read_tree(out), labels=("before", "after"))
