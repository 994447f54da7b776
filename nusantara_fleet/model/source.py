"""Reads one YAML file into plain data plus the line of every field, rejecting duplicate keys.

The file is read and its YAML checked by `nusantara_fleet.safe_yaml` (no links, size, encoding, tags,
depth, aliases); this module adds what only envs/ needs: lines for every message, and every duplicate key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet import safe_yaml
from nusantara_fleet.errors import ConfigError, Problem
from nusantara_fleet.safe_yaml import Loc, format_loc

__all__ = ["MAX_KEY_CHARS", "Loc", "Source", "format_loc", "read_source"]

MAX_KEY_CHARS = 317  # the longest keys envs/ holds are Kubernetes label keys: 253-character prefix, '/', 63


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


class _Builder:
    """Plain data from a checked node, with the line of every field; aliases are written out in full
    (their expansion is bounded by `safe_yaml.compose`), so each copy has its own lines."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = safe_yaml.scalar_value(key_node)
                line = key_node.start_mark.line + 1
                if isinstance(key, str) and len(key) > MAX_KEY_CHARS:
                    self._problem(line, loc, f"a key of {len(key)} characters is over the limit of {MAX_KEY_CHARS}")
                    continue
                if key in first_line:
                    self._problem(
                        line,
                        (*loc, key),
                        f"key {safe_yaml.quote(key)} is written twice (first on line {first_line[key]}); "
                        "keep exactly one",
                    )
                    continue
                first_line[key] = line
                out[key] = self.build(value_node, (*loc, key))
                self.lines[(*loc, key)] = line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return safe_yaml.scalar_value(node)

    def _problem(self, line: int, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.path, line, safe_yaml.shorten(format_loc(loc)), message))


def read_source(path: Path, display: str) -> Source:
    """Parse `path`; unreadable files, malformed or hostile YAML and duplicate keys raise ConfigError
    naming the line."""
    text = safe_yaml.read_text(path, display, max_bytes=safe_yaml.MAX_CONFIG_BYTES)
    node = safe_yaml.compose(text, display)
    if node is None:
        return Source(display, {}, {(): 1})
    builder = _Builder(display)
    data = builder.build(node, ())
    if builder.problems:
        raise ConfigError(builder.problems)
    return Source(display, data, builder.lines)
