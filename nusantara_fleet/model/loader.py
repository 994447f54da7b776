"""Loads `envs/` into the resolved fleet, turning every mistake into a located, actionable problem."""

from __future__ import annotations

import difflib
import os
import re
import types
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from nusantara_fleet import naming, safe_yaml
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model.checks import check_structure
from nusantara_fleet.model.fleet import Fleet, resolve
from nusantara_fleet.model.problems import Sources
from nusantara_fleet.model.provenance import recording
from nusantara_fleet.model.source import Loc, Source, format_loc, read_source
from nusantara_fleet.model.spec import CitySpec, FleetSpec
from nusantara_fleet.model.spec.common import DNS_LABEL, PATTERN_HELP
from nusantara_fleet.model.workloads.checks import check_services

FLEET_FILE = naming.FLEET_FILE
M = TypeVar("M", bound=BaseModel)
RESERVED_NAMES = {naming.FLEET_FOLDER}


def _unwrap(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType) or str(origin) == "typing.Annotated":
        return [inner for arg in get_args(annotation) for inner in _unwrap(arg)]
    return [annotation]


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that holds the field at `loc`, following lists and optionals."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        candidates = []
        for ann in _unwrap(field.annotation):
            if get_origin(ann) in (list, tuple):
                candidates.extend(_unwrap(get_args(ann)[0]))
            else:
                candidates.append(ann)
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


MESSAGE_VALUE_LIMIT = 80  # characters of a rejected value quoted back: enough to recognise it, never a flood


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MESSAGE_VALUE_LIMIT else f"{text[: MESSAGE_VALUE_LIMIT - 1]}…"


def _describe(error: ErrorDetails, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = sorted(owner.model_fields) if owner else []
        key = str(loc[-1])
        guess = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return f"unknown key {key!r}; {hint}allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"required field {str(loc[-1])!r} is missing; add it"
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        help_text = PATTERN_HELP[pattern]
        return f"{_short(error['input'])} {help_text}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['msg']} (got {_short(error['input'])})"


def _problems(exc: ValidationError, source: Source, model: type[BaseModel]) -> list[Problem]:
    out = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        out.append(Problem(source.path, source.line_of(loc), format_loc(loc), _describe(error, model)))
    return out


def _validate(model: type[M], source: Source, problems: list[Problem]) -> M | None:
    if not isinstance(source.data, dict):
        problems.append(Problem(source.path, 1, "", "expected a mapping of keys to values at the top"))
        return None
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(_problems(exc, source, model))
        return None


def _city_files(envs: Path, root: Path) -> tuple[dict[str, Path], list[Problem]]:
    files: dict[str, Path] = {}
    problems = []
    for path in sorted([*envs.glob("*.yaml"), *envs.glob("*.yml")]):
        if path.name == FLEET_FILE:
            continue
        name = path.stem
        display = _display(path, root)
        if not re.match(DNS_LABEL, name) or name in RESERVED_NAMES:
            problems.append(
                Problem(
                    display,
                    None,
                    "",
                    f"city file name {safe_yaml.quote(name)} {PATTERN_HELP[DNS_LABEL]} "
                    f"(and not {', '.join(sorted(RESERVED_NAMES))}); rename the file",
                )
            )
            continue
        if name in files:
            problems.append(
                Problem(
                    display,
                    None,
                    "",
                    f"city {name!r} is defined twice (also in {_display(files[name], root)}); keep one file per city",
                )
            )
            continue
        files[name] = path
    return files, problems


def _display(path: Path, root: Path) -> str:
    try:
        return safe_yaml.label(str(path.relative_to(root)))
    except ValueError:
        return safe_yaml.label(str(path))


def load_fleet(envs: Path, *, record: bool = False) -> Fleet:
    """Read, validate and resolve `envs/`; raise ConfigError listing every problem found.

    `record`: keep which input fields each plan was built from (`fleet.provenance`, for `fleet explain`).
    """
    if envs.is_symlink():  # a linked envs/ could be any directory of the machine that runs the command
        raise ConfigError([Problem(safe_yaml.label(str(envs)), None, "", safe_yaml.LINKED_DIRECTORY)])
    root = envs.resolve().parent
    envs = envs.resolve()
    fleet_path = envs / FLEET_FILE
    if not os.path.lexists(fleet_path):  # a link or a directory in its place is refused when it is read
        raise ConfigError(
            [
                Problem(
                    _display(fleet_path, root),
                    None,
                    "",
                    f"{FLEET_FILE} not found; the envs directory needs one",
                )
            ]
        )
    problems: list[Problem] = []
    sources: list[Source] = []
    city_paths, file_problems = _city_files(envs, root)
    problems.extend(file_problems)
    for path in [fleet_path, *city_paths.values()]:
        try:
            sources.append(read_source(path, _display(path, root)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    fleet_src, city_srcs = sources[0], sources[1:]
    spec = _validate(FleetSpec, fleet_src, problems)
    cities: dict[str, tuple[Source, CitySpec]] = {}
    for name, src in zip(city_paths, city_srcs, strict=True):
        city = _validate(CitySpec, src, problems)
        if city is not None:
            cities[name] = (src, city)
    if not city_paths:
        problems.append(Problem(fleet_src.path, None, "", "no city files found; add envs/<city>.yaml"))
    if problems or spec is None:
        raise ConfigError(problems)
    located = Sources(fleet=fleet_src, cities={name: src for name, (src, _) in cities.items()})
    specs = {name: city for name, (_, city) in cities.items()}
    problems.extend(check_structure(spec, specs, located))
    problems.extend(check_services(spec, located))
    if problems:
        raise ConfigError(problems)
    if not record:
        return resolve(spec, specs, located)
    with recording() as recorded:
        fleet = resolve(spec, specs, located)
    return replace(fleet, provenance=recorded)
