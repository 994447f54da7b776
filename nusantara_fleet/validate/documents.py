"""Reads rendered manifests: every YAML document under a directory, with the file and city it came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nusantara_fleet.errors import ConfigError, Problem

# libyaml parses the rendered tree about ten times faster than the pure-Python loader.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    """One Kubernetes object as rendered: `path` is as the user named it, e.g. `dist/jakarta/x.k8s.yaml`."""

    path: str
    index: int
    body: dict[str, Any]

    @property
    def group(self) -> str:
        """The directory that holds the file: a city name or `fleet` in `dist/`."""
        return Path(self.path).parent.name

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


def manifest_files(root: Path) -> list[Path]:
    """Every YAML file under `root` (or `root` itself when it is a file), in a stable order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ConfigError([Problem(str(root), None, "", "no such directory; run `fleet synth` first")])
    return sorted(path for path in root.rglob("*") if path.suffix in SUFFIXES and path.is_file())


def load_documents(root: Path) -> list[Document]:
    """Parse every document; a file that is not YAML of mappings is a `ConfigError` naming file and line."""
    parsed = [item for path in manifest_files(root) for item in _parse(path)]
    problems = [item for item in parsed if isinstance(item, Problem)]
    if problems:
        raise ConfigError(problems)
    return sorted((item for item in parsed if isinstance(item, Document)), key=lambda doc: (doc.path, doc.index))


def _parse(path: Path) -> list[Document | Problem]:
    text = path.read_text(encoding="utf-8")
    try:
        bodies = [body for body in yaml.load_all(text, Loader=_LOADER) if body is not None]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return [Problem(str(path), line, "", f"not valid YAML: {exc.problem}")]
    return [
        Document(path=str(path), index=index, body=body)
        if isinstance(body, dict)
        else Problem(str(path), None, "", f"document {index + 1} is a {type(body).__name__}, not an object")
        for index, body in enumerate(bodies)
    ]
