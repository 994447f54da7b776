"""Loads `envs/` into the resolved fleet, turning every mistake into a located, actionable problem."""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.model.data import check_data
from nusantara_fleet.model.delivery import FLEET_FOLDER
from nusantara_fleet.model.fleet import Fleet, resolve
from nusantara_fleet.model.source import Loc, Source, format_loc, read_source
from nusantara_fleet.model.spec import DNS_LABEL, IMAGE_TAG, CitySpec, FleetSpec
from nusantara_fleet.model.workload_checks import check_workloads, workload_warnings

FLEET_FILE = "fleet.yaml"
M = TypeVar("M", bound=BaseModel)
RESERVED_NAMES = {FLEET_FOLDER}

_PATTERN_HELP = {
    IMAGE_TAG: "must be a pinned release tag such as \"1.4.2\" (letters, digits, '.', '_', '-'); "
    "`latest` and empty tags are never deployable",
    DNS_LABEL: "must be a DNS label: lowercase letters, digits and '-', starting with a letter",
}


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
        help_text = _PATTERN_HELP.get(pattern, f"must match {pattern}")
        return f"{error['input']!r} {help_text}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['msg']} (got {error['input']!r})"


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
                    f"city file name {name!r} {_PATTERN_HELP[DNS_LABEL]} "
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
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_fleet(spec: FleetSpec, fleet_src: Source, cities: dict[str, tuple[Source, CitySpec]]) -> list[Problem]:
    """The rules that span files: primary, rollout order, gate, networks, unique services."""
    problems = []
    names = sorted(cities)
    where = fleet_src.path

    def at(loc: Loc, message: str) -> None:
        problems.append(Problem(where, fleet_src.line_of(loc), format_loc(loc), message))

    if spec.primary not in cities:
        at(("primary",), f"primary city {spec.primary!r} has no city file; known cities: {', '.join(names)}")
    seen: dict[str, int] = {}
    for index, name in enumerate(spec.rollout.order):
        loc: Loc = ("rollout", "order", index)
        if name not in cities:
            at(loc, f"unknown city {name!r} in the rollout order; known cities: {', '.join(names)}")
        elif name in seen:
            at(
                loc,
                f"city {name!r} appears twice in the rollout order (also at position {seen[name]}); "
                "list every city exactly once",
            )
        seen.setdefault(name, index)
    for name in names:
        if name not in seen:
            at(
                ("rollout", "order"),
                f"city {name!r} (envs/{name}.yaml) is missing from the rollout order; add it where it should roll out",
            )
    gated = spec.rollout.gated_city
    if gated is not None and gated not in cities:
        at(
            ("rollout", "gated_city"),
            f"gated city {gated!r} has no city file; known cities: {', '.join(names)}",
        )
    service_seen: dict[str, int] = {}
    for index, svc in enumerate(spec.services):
        if svc.name in service_seen:
            at(
                ("services", index, "name"),
                f"service {svc.name!r} is defined twice (also services"
                f"[{service_seen[svc.name]}]); service names must be unique",
            )
        service_seen.setdefault(svc.name, index)

    known_services = {svc.name for svc in spec.services}
    for name in names:
        src, city = cities[name]
        for svc_name in city.services:
            if svc_name not in known_services:
                guess = difflib.get_close_matches(svc_name, sorted(known_services), n=1)
                hint = f"did you mean {guess[0]!r}? " if guess else ""
                loc = ("services", svc_name)
                problems.append(
                    Problem(
                        src.path,
                        src.line_of(loc),
                        format_loc(loc),
                        f"unknown service {svc_name!r}; {hint}services in fleet.yaml: "
                        f"{', '.join(sorted(known_services))}",
                    )
                )

    networks = []
    for name in names:
        src, city = cities[name]
        for field in ("pod_cidr", "service_cidr"):
            value = getattr(city.network, field)
            networks.append((ipaddress.IPv4Network(value), name, field, src))
    for i, (net_a, city_a, field_a, src_a) in enumerate(networks):
        for net_b, _, field_b, src_b in networks[i + 1 :]:
            if net_a.overlaps(net_b):
                loc = ("network", field_b)
                problems.append(
                    Problem(
                        src_b.path,
                        src_b.line_of(loc),
                        format_loc(loc),
                        f"{net_b} overlaps {city_a}'s {field_a} {net_a} ({src_a.path}); "
                        "every pod and service network in the fleet must be distinct",
                    )
                )
    pool_nodes = {
        name: (city.node_pools.database or spec.node_pools.database).nodes for name, (_, city) in cities.items()
    }
    problems.extend(check_data(spec, fleet_src, cities, pool_nodes))
    return problems


def load_fleet(envs: Path) -> Fleet:
    """Read, validate and resolve `envs/`; raise ConfigError listing every problem found."""
    root = envs.resolve().parent
    envs = envs.resolve()
    fleet_path = envs / FLEET_FILE
    if not fleet_path.is_file():
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
    problems.extend(check_fleet(spec, fleet_src, cities))
    problems.extend(check_workloads(spec, fleet_src, cities))
    if problems:
        raise ConfigError(problems)
    fleet = resolve(spec, {name: (src.path, city) for name, (src, city) in cities.items()})
    city_sources = {name: src for name, (src, _) in cities.items()}
    return replace(fleet, warnings=tuple(workload_warnings(fleet, fleet_src, city_sources)))
