"""Bounded, safe reading of YAML that a pull request may have written: envs/, rendered trees, git refs.

A file is read only when it is a regular file reached without a symbolic link, no larger than a limit,
and strict UTF-8 without NUL bytes. Its YAML may use only the core types (strings, numbers, true/false,
null, lists and mappings), nest only so deep and expand aliases only so far. Every refusal is a
`ConfigError` naming the file and, where there is one, the line and field; values quoted back are
shortened, and nothing read through a link is ever shown.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from nusantara_fleet.errors import ConfigError, Problem

Loc = tuple[str | int, ...]

MAX_FILE_BYTES = 2 * 1024 * 1024  # etcd refuses requests over 1.5 MiB, so no deployable manifest is larger
MAX_CONFIG_BYTES = 256 * 1024  # 20x a 30-city, 40-service fleet.yaml; the pure-Python parser reads it in ~1 s
MAX_DEPTH = 64  # manifests nest about 15 levels and CRD schemas about 30; keeps recursion far from Python's limit
MAX_ALIASES = 100  # hand-written config reuses an anchor a few times; hundreds are generated or hostile
MAX_NUMBER_CHARS = 100  # a float64 needs 25 characters; base-60 numbers this long already cost quadratic time
MAX_TREE_BYTES = 512 * 1024 * 1024  # 40x the 12 MiB render of a 30-city, 40-service fleet
MAX_TREE_FILES = 100_000  # 10x the 9,428 files of a 30-city, 40-service fleet
SHORT = 80  # characters of a value quoted back in a message: enough to recognise it, never a flood

YAML_SUFFIXES = (".yaml", ".yml")
_CORE = "tag:yaml.org,2002:"
STR, MAP, SEQ = f"{_CORE}str", f"{_CORE}map", f"{_CORE}seq"
_NUMBERS = {f"{_CORE}int", f"{_CORE}float"}
_CONSTRUCTOR = SafeConstructor()
# Scalar tags other than str, and how each is built (null, bool, int and float of YAML's core schema).
_SCALARS: dict[str, Callable[[Any], Any]] = {
    f"{_CORE}null": _CONSTRUCTOR.construct_yaml_null,
    f"{_CORE}bool": _CONSTRUCTOR.construct_yaml_bool,
    f"{_CORE}int": _CONSTRUCTOR.construct_yaml_int,
    f"{_CORE}float": _CONSTRUCTOR.construct_yaml_float,
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
T = TypeVar("T")
_DEEP = f"nests deeper than {MAX_DEPTH} levels; no configuration or manifest is that deep"
_SEVERAL = "holds {count} YAML documents; keep one (a `---` line starts another)"
_LINK = "is a symbolic link; links are never followed, so commit the file itself"
LINKED_DIRECTORY = "is a symbolic link; links are never followed, so give the directory itself"
# O_NOFOLLOW and O_NONBLOCK close the race between the check and the open (a file swapped for a link or a
# FIFO); platforms without them still get the check.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def shorten(text: str, limit: int = SHORT) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def quote(value: object) -> str:
    """A value as a message shows it: its repr (control characters escaped), shortened."""
    return shorten(repr(value))


def label(text: str) -> str:
    """A file name or ref as a message shows it: as written when printable, else escaped; shortened."""
    return shorten(text) if text.isprintable() else quote(text)


def format_loc(loc: Loc) -> str:
    """`services[0].tag` for ("services", 0, "tag")."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _refuse(display: str, message: str, line: int | None = None, field: str = "") -> ConfigError:
    return ConfigError([Problem(display, line, field, message)])


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a directory", "a named pipe (FIFO)", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def _check_file(info: os.stat_result, display: str, max_bytes: int) -> None:
    """Refuse what `os.lstat` says is a link, not a regular file, or larger than `max_bytes`."""
    if stat.S_ISLNK(info.st_mode):
        raise _refuse(display, _LINK)
    kind = kind_of(info.st_mode)
    if kind is not None:
        raise _refuse(display, f"is {kind}, not a regular file; only regular files are read")
    if info.st_size > max_bytes:
        raise _refuse(display, f"is {info.st_size} bytes, over the limit of {max_bytes}; no real file is that large")


def read_bytes(path: Path, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `path`, a regular file reached without a link and no larger than `max_bytes`."""
    try:
        _check_file(os.lstat(path), display, max_bytes)
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:  # listed, then removed before it was read
        raise _refuse(display, "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW: replaced by a link since the check
            raise _refuse(display, _LINK) from None
        raise _refuse(display, f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        _check_file(os.fstat(fd), display, max_bytes)  # what was opened, should it have been swapped
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(display, f"grew past the limit of {max_bytes} bytes while it was read")
    return data


def _line_at(buffer: str | bytes, offset: int) -> int:
    newline: Any = "\n" if isinstance(buffer, str) else b"\n"
    return buffer.count(newline, 0, offset) + 1


def check_text(data: bytes, display: str) -> None:
    """Refuse bytes that are not UTF-8 text: another encoding's byte order mark, a NUL byte, invalid UTF-8."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _refuse(display, f"is {name} (it starts with a {name} byte order mark); save it as UTF-8", 1)
    nul = data.find(b"\0")
    if nul >= 0:
        raise _refuse(
            display,
            "holds a NUL byte: a binary file, or UTF-16 without a byte order mark; save it as UTF-8 text",
            _line_at(data, nul),
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(
            display,
            f"is not UTF-8: byte 0x{data[exc.start]:02x} does not decode ({exc.reason}); save it as UTF-8",
            _line_at(data, exc.start),
        ) from None


def read_text(path: Path, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """`read_bytes`, then `check_text`, decoded."""
    data = read_bytes(path, display, max_bytes=max_bytes)
    check_text(data, display)
    return data.decode("utf-8").removeprefix("\ufeff")


class _CoreResolver(Resolver):
    """SafeLoader's implicit types less timestamps, `<<` merges and `=`: YAML's core schema, no more."""


_CoreResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _SCALARS]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


class _Parser(Protocol):
    def check_node(self) -> bool: ...
    def get_node(self) -> Node | None: ...
    def dispose(self) -> None: ...


class _Deep(Exception):
    """Raised by the composer at MAX_DEPTH, before its recursion can exhaust Python's stack."""

    def __init__(self, node_start: yaml.Mark, loc: Loc) -> None:
        super().__init__()
        self.mark, self.loc = node_start, loc


class _PythonParser(Reader, Scanner, Parser, Composer, _CoreResolver):
    """PyYAML's pure-Python parser and composer with the core resolver and a depth limit."""

    def __init__(self, stream: str | bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)
        self._loc: list[str | int | None] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # `index` is the key node of a mapping value, the position of a list item, None for keys and roots.
        self._loc.append(index.value if isinstance(index, ScalarNode) else index)
        try:
            if len(self._loc) > MAX_DEPTH:
                raise _Deep(
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                    tuple(part for part in self._loc if part is not None),
                )
            return super().compose_node(parent, index)
        finally:
            self._loc.pop()


_NativeParser: Callable[[bytes], _Parser] | None
try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser reads everything
    _NativeParser = None
else:

    class _Native(CParser, _CoreResolver):
        """libyaml's parser and composer (nesting limited to 1,000 levels by libyaml) with the core resolver."""

        def __init__(self, stream: bytes) -> None:
            CParser.__init__(self, stream)
            _CoreResolver.__init__(self)

    _NativeParser = _Native


class _Refused(Exception):
    """A node the builder will not turn into a value; the field is collected while the stack unwinds.

    An alias has no node of its own (it is the node it names, written elsewhere), so a refused alias
    starts with `node` None and takes the place of the key or list that holds it.
    """

    def __init__(self, node: Node | None, message: str) -> None:
        super().__init__(message)
        self.node, self.message = node, message
        self.loc: list[str | int] = []

    def within(self, part: str | int, place: Node) -> None:
        self.loc.append(part)
        if self.node is None:
            self.node = place


def _bad_tag(node: Node) -> _Refused:
    tag = node.tag
    shown = f"!!{tag.removeprefix(_CORE)}" if tag.startswith(_CORE) else tag
    return _Refused(
        node,
        f"tag {quote(shown)} is not allowed: only strings, numbers, true/false, null, lists and mappings are "
        "read; remove the tag",
    )


def scalar_value(node: Node) -> Any:
    """The value of a scalar of a core tag (every scalar of a `compose`d node is one)."""
    tag = node.tag
    if tag == STR:
        return node.value
    make = _SCALARS.get(tag)
    if make is None:
        raise _bad_tag(node)
    if tag in _NUMBERS and len(node.value) > MAX_NUMBER_CHARS:
        raise _Refused(node, f"a number of {len(node.value)} characters is over the limit of {MAX_NUMBER_CHARS}")
    try:
        return make(node)
    except (ValueError, KeyError):  # `!!int abc`, `!!bool maybe`
        raise _Refused(node, f"{quote(node.value)} is not a valid {node.tag.removeprefix(_CORE)}") from None


_ABSENT = object()


class _Builder:
    """Plain values from composed nodes, refusing other tags, deep nesting, loops and alias bombs.

    A list or mapping reached again through an alias counts its whole expansion towards `max_nodes`, so a
    billion laughs stops after `max_nodes` values, not after a billion; the value itself is shared, as
    PyYAML shares it.
    """

    def __init__(self, max_nodes: int, *, unique_keys: bool) -> None:
        self.max_nodes = max_nodes
        self.unique_keys = unique_keys
        self.nodes = 0
        self.aliases = 0
        self.shared: dict[int, Any] = {}  # id of a list or mapping node -> (value, values below it); None while open

    def document(self, node: Node) -> Any:
        self.shared = {}  # anchors never reach across documents, and the nodes of earlier ones are freed
        self.nodes += 1
        return self.build(node, 1)

    def build(self, node: Node, depth: int) -> Any:
        if type(node) is ScalarNode:
            return node.value if node.tag == STR else scalar_value(node)
        key = id(node)
        seen = self.shared.get(key, _ABSENT)
        if seen is not _ABSENT:
            return self._alias(seen)
        if depth > MAX_DEPTH:
            raise _Refused(node, _DEEP)
        self.shared[key] = None
        start = self.nodes
        value = self._mapping(node, depth) if type(node) is MappingNode else self._sequence(node, depth)
        self.shared[key] = (value, self.nodes - start)
        return value

    def _count(self, node: Node | None, more: int) -> None:
        self.nodes += more
        if self.nodes > self.max_nodes:
            raise _Refused(
                node,
                f"holds more than {self.max_nodes} values once aliases are expanded, more than a file within the "
                "size limit can write out; an alias bomb?",
            )

    def _alias(self, seen: Any) -> Any:
        if seen is None:
            raise _Refused(None, "an alias refers to a list or mapping that holds it; a loop has no plain value")
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise _Refused(None, f"more than {MAX_ALIASES} aliases of lists and mappings; write the values out")
        value, size = seen
        self._count(None, size)
        return value

    def _mapping(self, node: Node, depth: int) -> dict[Any, Any]:
        if node.tag != MAP:
            raise _bad_tag(node)
        pairs = node.value
        self._count(node, 2 * len(pairs))
        out: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            if type(key_node) is not ScalarNode:
                raise _Refused(key_node, "a mapping key must be a plain value, not a list or mapping")
            key = key_node.value if key_node.tag == STR else scalar_value(key_node)
            try:
                out[key] = self.build(value_node, depth + 1)
            except _Refused as refused:
                refused.within(key, key_node)
                raise
        if self.unique_keys and len(out) != len(pairs):
            raise self._duplicate(pairs)
        return out

    @staticmethod
    def _duplicate(pairs: list[tuple[ScalarNode, Node]]) -> _Refused:
        lines: dict[Any, int] = {}
        for key_node, _ in pairs:  # stops at the second writing of a key: the mapping came out short
            key = scalar_value(key_node)
            if key in lines:
                break
            lines[key] = key_node.start_mark.line + 1
        refused = _Refused(
            key_node, f"key {quote(key)} is written twice (first on line {lines[key]}); keep exactly one"
        )
        refused.loc.append(key)
        return refused

    def _sequence(self, node: Node, depth: int) -> list[Any]:
        if node.tag != SEQ:
            raise _bad_tag(node)
        items = node.value
        self._count(node, len(items))
        out = []
        for index, item in enumerate(items):
            try:
                out.append(self.build(item, depth + 1))
            except _Refused as refused:
                refused.within(index, node)  # an alias among the items: the list's line
                raise
        return out


def _syntax(exc: yaml.YAMLError, display: str, text: str | bytes) -> ConfigError:
    if isinstance(exc, yaml.reader.ReaderError):
        return _refuse(
            display,
            f"malformed YAML: character U+{exc.character:04X} is not allowed in YAML; remove it",
            _line_at(text, exc.position),
        )
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    line = mark.line + 1 if mark is not None else None
    return _refuse(display, f"malformed YAML: {shorten(problem)}; fix the syntax on this line", line)


def _parse(make: Callable[[], _Parser], display: str, text: str | bytes, each: Callable[[Node], T]) -> list[T]:
    """`each` of every document's root node, every error turned into a located `ConfigError`."""
    parser = None
    try:
        parser = make()  # the pure-Python reader checks the characters as it starts
        out = []
        while parser.check_node():
            node = parser.get_node()
            if node is not None:
                out.append(each(node))
        return out
    except _Deep as deep:
        raise _refuse(display, _DEEP, deep.mark.line + 1, shorten(format_loc(deep.loc))) from None
    except _Refused as refused:
        field = shorten(format_loc(tuple(reversed(refused.loc))))
        line = refused.node.start_mark.line + 1 if refused.node is not None else None
        raise _refuse(display, refused.message, line, field) from None
    except yaml.YAMLError as exc:
        raise _syntax(exc, display, text) from None
    finally:
        if parser is not None:
            parser.dispose()


def compose(text: str, display: str, *, max_bytes: int = MAX_CONFIG_BYTES) -> Node | None:
    """The root node of a one-document YAML text, checked as `load_all` checks it, for readers that keep
    lines; duplicate keys are left to them, so that they can report every one."""
    builder = _Builder(max_bytes // 2, unique_keys=False)

    def checked(node: Node) -> Node:
        builder.document(node)
        return node

    found = _parse(lambda: _PythonParser(text), display, text, checked)
    if len(found) > 1:
        raise _refuse(display, _SEVERAL.format(count=len(found)), found[1].start_mark.line + 1)
    return found[0] if found else None


def load_all(data: bytes, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> list[Any]:
    """Every document of a file's bytes as plain values (None for an empty one), parsed by libyaml when
    present. At most `max_bytes // 2` values, aliases expanded: `[a,a,…]` writes one value per two
    bytes, so only alias expansion reaches more."""
    check_text(data, display)
    builder = _Builder(max_bytes // 2, unique_keys=True)
    if _NativeParser is not None:
        native = _NativeParser
        return _parse(lambda: native(data), display, data, builder.document)
    text = data.decode("utf-8")
    return _parse(lambda: _PythonParser(text), display, text, builder.document)


def load(data: bytes, display: str, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The one document of a file's bytes (None when empty)."""
    documents = load_all(data, display, max_bytes=max_bytes)
    if len(documents) > 1:
        raise _refuse(display, _SEVERAL.format(count=len(documents)))
    return documents[0] if documents else None


class Budget:
    """What a walk over a tree has listed and read so far, against the tree limits."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.files = 0
        self.size = 0

    def listed(self, count: int) -> None:
        """`count` more entries seen, whatever they are: listing alone costs time."""
        self.files += count
        self._check()

    def take(self, info: os.stat_result) -> None:
        """A file about to be read; a larger file than MAX_FILE_BYTES is refused on its own, unread."""
        if info.st_size <= MAX_FILE_BYTES:
            self.size += info.st_size
        self._check()

    def _check(self) -> None:
        if self.files > MAX_TREE_FILES or self.size > MAX_TREE_BYTES:
            raise _refuse(self.display, f"holds more than a tree may; {tree_limit()}")


def tree_limit() -> str:
    return f"the limit is {MAX_TREE_FILES} files and {MAX_TREE_BYTES} bytes, far more than any fleet renders"


def scan(directory: Path, display: str) -> tuple[list[tuple[str, str, os.stat_result]], list[Problem]]:
    """The entries of one directory, sorted: (name, display name, `lstat`), and a problem for each link
    (never followed) and each name that is not printable (control characters, bytes that are not UTF-8:
    a message naming them could rewrite the terminal)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise _refuse(display, f"cannot be listed ({exc.strerror})") from None
    entries, problems = [], []
    for name in names:
        shown = f"{display}/{name}"
        if not name.isprintable():  # escaped in full: a name is at most 255 bytes
            problems.append(
                Problem(
                    repr(shown), None, "", "has a name with control characters or bytes that are not UTF-8; rename it"
                )
            )
            continue
        info = os.lstat(directory / name)
        if stat.S_ISLNK(info.st_mode):
            problems.append(Problem(shown, None, "", _LINK))
            continue
        entries.append((name, shown, info))
    return entries, problems
