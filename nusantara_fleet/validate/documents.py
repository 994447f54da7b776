"""Reads rendered manifests: every YAML document under a directory, with the file and city it came from."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any

from nusantara_fleet import safe_yaml
from nusantara_fleet.errors import ConfigError, Problem


@dataclass(frozen=True)
class Document:
    """One Kubernetes object as rendered: `path` is as the user named it, e.g. `dist/jakarta/x.k8s.yaml`."""

    path: str
    index: int
    body: dict[str, Any]

    @cached_property
    def group(self) -> str:
        """The directory that holds the file: a city name or `fleet` in `dist/`."""
        return PurePath(self.path).parent.name

    @cached_property
    def file_name(self) -> str:
        """The file's name in its directory (what Argo CD's `directory.include` globs match)."""
        return PurePath(self.path).name

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def name(self) -> str:
        metadata = self.body.get("metadata")
        return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""

    @property
    def label(self) -> str:
        """`Kind/name` as people say it."""
        return f"{self.kind or '?'}/{self.name or '?'}"


def manifest_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """Every YAML file under `root` (or `root` itself when it is a file), in a stable order, and a problem
    for each link (never followed), special file, or directory named like a YAML file."""
    shown = safe_yaml.label(str(root))
    try:
        info = os.lstat(root)
    except FileNotFoundError:
        raise ConfigError([Problem(shown, None, "", "no such directory; run `fleet synth` first")]) from None
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError([Problem(shown, None, "", safe_yaml.LINKED_DIRECTORY)])
    if stat.S_ISREG(info.st_mode):
        return [root], []
    if not stat.S_ISDIR(info.st_mode):
        kind = safe_yaml.kind_of(info.st_mode)
        raise ConfigError([Problem(shown, None, "", f"is {kind}, not a directory of rendered YAML")])
    budget = safe_yaml.Budget(shown)
    files: list[Path] = []
    problems: list[Problem] = []
    pending = [root]
    while pending:  # a loop, not recursion: a committed tree may nest directories thousands deep
        directory = pending.pop()
        entries, found = safe_yaml.scan(directory, str(directory))
        budget.listed(len(entries) + len(found))
        problems.extend(found)
        for name, display, entry in entries:
            path = directory / name
            named_yaml = path.suffix in safe_yaml.YAML_SUFFIXES
            kind = safe_yaml.kind_of(entry.st_mode)
            if stat.S_ISDIR(entry.st_mode) and not named_yaml:
                pending.append(path)
            elif named_yaml and kind is not None:
                problems.append(
                    Problem(display, None, "", f"is {kind} named like a YAML file; only regular files are read")
                )
            elif named_yaml:
                budget.take(entry)
                files.append(path)
    return sorted(files), problems


def load_documents(root: Path) -> list[Document]:
    """Parse every document; a file that is not YAML of mappings is a `ConfigError` naming file and line, and
    so is a tree without a single document: a gate that checked nothing must not pass."""
    files, problems = manifest_files(root)
    parsed = [item for path in files for item in _parse(path)]
    problems.extend(item for item in parsed if isinstance(item, Problem))
    if problems:
        raise ConfigError(problems)
    documents = sorted((item for item in parsed if isinstance(item, Document)), key=lambda doc: (doc.path, doc.index))
    if not documents:
        raise ConfigError(
            [Problem(safe_yaml.label(str(root)), None, "", "holds no YAML documents to check; run `fleet synth` first")]
        )
    return documents


def _parse(path: Path) -> list[Document | Problem]:
    display = str(path)  # every name below the root is printable: `safe_yaml.scan` refuses the others
    try:
        loaded = safe_yaml.load_all(safe_yaml.read_bytes(path, display), display)
    except ConfigError as exc:
        return list(exc.problems)
    bodies = [body for body in loaded if body is not None]
    return [
        Document(path=display, index=index, body=body)
        if isinstance(body, dict)
        else Problem(display, None, "", f"document {index + 1} is a {type(body).__name__}, not an object")
        for index, body in enumerate(bodies)
    ]
