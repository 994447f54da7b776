"""Reads one YAML file into plain data plus the line of every field, rejecting duplicate keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.errors import ConfigError, Problem

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Source:
    """A parsed YAML document and where each of its fields was written."""

    path: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest written parent (a missing field points at its parent)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    self.problems.append(
                        Problem(
                            self.path,
                            line,
                            format_loc((*loc, key)),
                            f"key {key!r} is written twice (first on line {first_line[key]}); keep exactly one",
                        )
                    )
                    continue
                first_line[key] = line
                out[key] = self.build(value_node, (*loc, key))
                self.lines[(*loc, key)] = line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)


def read_source(path: Path, display: str) -> Source:
    """Parse `path`; malformed YAML and duplicate keys raise ConfigError naming the line."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [Problem(display, line, "", f"malformed YAML: {reason}; fix the syntax on this line")]
        ) from exc
    if node is None:
        return Source(display, {}, {(): 1})
    builder = _Builder(display)
    data = builder.build(node, ())
    if builder.problems:
        raise ConfigError(builder.problems)
    return Source(display, data, builder.lines)
