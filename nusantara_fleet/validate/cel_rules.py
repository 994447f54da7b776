"""The CEL rules of CRDs (`x-kubernetes-validations`), evaluated by cel-python as the API server evaluates
them when an object is created.

cel-python implements standard CEL (macros, `matches` on RE2, `duration`, `timestamp`, ...). Of the
libraries the API server adds, this module supplies what the vendored CRDs call: the strings extension's
`substring` and `split`, and the URL library's `url`, `isURL` and `getScheme`. A rule that calls anything
else, or compares with the stored object (`oldSelf`: a transition rule, which only an update to a live
object can check), is not evaluated: `unevaluable()` says why, and the caller reports it.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, base_functions

# cel-python logs a failing function's arguments at error level before it turns the failure into a CEL error,
# which the finding reports: the log would only repeat it on stderr.
logging.getLogger("celpy").setLevel(logging.CRITICAL)

_MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
_MESSAGE_LIMIT = 300  # characters of an evaluation error kept in a finding
# The API server's escaping of property names that are not CEL identifiers (k8s.io/apiserver/pkg/cel).
_RESERVED = frozenset(
    {
        *("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if"),
        *("import", "let", "loop", "package", "namespace", "return", "var", "void", "while"),
    }
)
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPED = re.compile(r"__|[-./]|[^a-zA-Z0-9_]")
_SCHEME_FIRST = frozenset(string.ascii_letters)
_SCHEME_REST = frozenset(string.ascii_letters + string.digits + "+-.")
# Characters Go's net/url accepts unescaped in a host (shouldEscape with encodeHost).
_HOST = frozenset(string.ascii_letters + string.digits + "-_.~!$&'()*+,;=:[]<>\"%")
_USERINFO = frozenset(string.ascii_letters + string.digits + "-._:~!$&'()*+,;=%@")
_HEX = frozenset(string.hexdigits)
_DIGITS = frozenset(string.digits)


def _error(message: str) -> CELEvalError:
    return CELEvalError(message, ValueError, ())


def _substring(text: celtypes.StringType, start: celtypes.IntType, end: celtypes.IntType | None = None) -> Any:
    stop = len(text) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(text):
        return _error(f"index out of range: substring({int(start)}, {stop}) of a string of length {len(text)}")
    return celtypes.StringType(text[int(start) : stop])


def _split(text: celtypes.StringType, separator: celtypes.StringType, limit: celtypes.IntType | None = None) -> Any:
    count = -1 if limit is None else int(limit)
    if count == 0:
        return celtypes.ListType([])
    if separator == "":
        parts = list(str(text))
        if count > 0 and len(parts) > count:
            parts = [*parts[: count - 1], "".join(parts[count - 1 :])]
    else:
        parts = str(text).split(str(separator), count - 1 if count > 0 else -1)
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


@dataclass(frozen=True)
class Url:
    """A value of the API server's URL type; only the scheme is read by the vendored rules."""

    scheme: str


def _escapes_ok(text: str) -> bool:
    """Every `%` starts an escape of two hex digits."""
    return all(len(code := text[i + 1 : i + 3]) == 2 and set(code) <= _HEX for i, c in enumerate(text) if c == "%")


def request_uri_scheme(text: str) -> str:
    """The scheme of `text` parsed as Go's `url.ParseRequestURI` parses it (the API server's `url()` and
    `isURL()`), lowercased; raises ValueError with Go's reason when Go rejects it."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise ValueError("invalid control character in URL")
    if not text:
        raise ValueError("empty url")
    if text == "*":
        return ""
    scheme, rest = "", text
    for index, char in enumerate(text):
        if char == ":":
            if index == 0:
                raise ValueError("missing protocol scheme")
            scheme, rest = text[:index].lower(), text[index + 1 :]
            break
        if char not in (_SCHEME_FIRST if index == 0 else _SCHEME_REST):
            break
    rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return scheme  # opaque, as in mailto:x
        raise ValueError("invalid URI for request")
    if scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        user, at, host = authority.rpartition("@")
        if at and not set(user) <= _USERINFO:
            raise ValueError("invalid userinfo")
        if host.startswith("["):
            if "]" not in host:
                raise ValueError("missing ']' in host")
            port = host[host.rindex("]") + 1 :]
        else:
            port = host[host.rindex(":") :] if ":" in host else ""
        if port and not (port.startswith(":") and set(port[1:]) <= _DIGITS):
            raise ValueError(f"invalid port {port!r} after host")
        if any(c not in _HOST and ord(c) < 0x80 for c in host) or not _escapes_ok(host):
            raise ValueError(f"invalid character in host name {host!r}")
    if not _escapes_ok(rest):
        raise ValueError(f"invalid URL escape in {rest!r}")
    return scheme


def _url(text: celtypes.StringType) -> Any:
    try:
        return Url(request_uri_scheme(str(text)))
    except ValueError as exc:
        return _error(f"URL parse error during conversion from string: {exc}")


def _is_url(text: celtypes.StringType) -> celtypes.BoolType:
    try:
        request_uri_scheme(str(text))
    except ValueError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _get_scheme(url: Url) -> celtypes.StringType:
    return celtypes.StringType(url.scheme)


EXTENSIONS: dict[str, Callable[..., Any]] = {
    "substring": _substring,
    "split": _split,
    "url": _url,
    "isURL": _is_url,
    "getScheme": _get_scheme,
}
SUPPORTED = frozenset(base_functions) | _MACROS | frozenset(EXTENSIONS)


@cache
def _environment() -> celpy.Environment:
    return celpy.Environment()


@dataclass(frozen=True)
class Program:
    """A compiled rule, or why it cannot be evaluated here."""

    runner: celpy.Runner | None
    unevaluable: str | None = None


def _called(tree: lark.Tree[Any]) -> set[str]:
    names = set()
    for node in tree.iter_subtrees():
        if node.data in ("member_dot_arg", "ident_arg"):
            token = next(child for child in node.children if isinstance(child, lark.Token) and child.type == "IDENT")
            names.add(str(token))
    return names


def _identifiers(tree: lark.Tree[Any]) -> set[str]:
    return {str(token) for node in tree.iter_subtrees() if node.data == "ident" for token in node.children}


@cache
def compile_rule(rule: str) -> Program:
    """The rule compiled once, or the reason it is not evaluated."""
    environment = _environment()
    try:
        tree = environment.compile(rule)
    except CELParseError as exc:
        return Program(None, f"cel-python cannot parse it ({str(exc).splitlines()[0]})")
    if "oldSelf" in _identifiers(tree):
        return Program(None, "it compares with the object on the cluster (oldSelf), which only an update can")
    unknown = sorted(_called(tree) - SUPPORTED)
    if unknown:
        return Program(None, f"cel-python has no {', '.join(unknown)}")
    return Program(environment.program(tree, functions=EXTENSIONS))


def unevaluable(rule: str) -> str | None:
    """Why `rule` is not evaluated here, or None when it is."""
    return compile_rule(rule).unevaluable


def evaluate(rule: str, value: Any) -> bool | str:
    """The rule's verdict on `self = value` (a CEL value, see `to_cel`), or the evaluation error."""
    program = compile_rule(rule)
    assert program.runner is not None, program.unevaluable
    try:
        result = program.runner.evaluate({"self": value})
    except CELEvalError as exc:
        return _reason(exc)
    if isinstance(result, CELEvalError):
        return _reason(result)
    if not isinstance(result, celtypes.BoolType):
        return f"the rule gave {type(result).__name__}, not a bool"
    return bool(result)


def message(expression: str, value: Any) -> str | None:
    """A rule's `messageExpression` on `self = value`, or None when it gives no string (the API server then
    falls back to `message`)."""
    program = compile_rule(expression)
    if program.runner is None:
        return None
    try:
        result = program.runner.evaluate({"self": value})
    except CELEvalError:
        return None
    return str(result) if isinstance(result, str) else None


def _reason(error: CELEvalError) -> str:
    """cel-python's message, without the whole activation it appends to some."""
    text = str(error.args[0]) if error.args else str(error)
    return text.split(" (in activation")[0][:_MESSAGE_LIMIT]


def escape(name: str) -> str | None:
    """A property name as CEL sees it (`namespace` is `__namespace__`, `a-b` is `a__dash__b`); None when the
    API server leaves it out of CEL's view."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    invalid = False

    def replace(match: re.Match[str]) -> str:
        nonlocal invalid
        if match.group() not in _ESCAPES:
            invalid = True
            return ""
        return _ESCAPES[match.group()]

    escaped = _ESCAPED.sub(replace, name)
    return None if invalid else escaped


def to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """`value` as the CEL value the API server binds to `self` for `schema`: objects with properties have
    escaped field names, `number` is a double, strings of format duration or date-time are typed."""
    if value is None:
        return None
    if isinstance(value, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            fields: dict[Any, Any] = {}
            for name, item in value.items():
                key = escape(name)
                if key is not None:
                    fields[celtypes.StringType(key)] = to_cel(item, properties.get(name) or {})
            return celtypes.MapType(fields)
        entries = schema.get("additionalProperties")
        entry_schema = entries if isinstance(entries, dict) else {}
        return celtypes.MapType({celtypes.StringType(k): to_cel(v, entry_schema) for k, v in value.items()})
    if isinstance(value, list):
        items = schema.get("items")
        return celtypes.ListType([to_cel(item, items if isinstance(items, dict) else {}) for item in value])
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int | float) and schema.get("type") == "number":
        return celtypes.DoubleType(float(value))
    if isinstance(value, str):
        typed = _FORMATS.get(str(schema.get("format", "")))
        if typed is not None:
            try:
                return typed(value)
            except ValueError:
                return celtypes.StringType(value)
        return celtypes.StringType(value)
    return json_to_cel(value)


_FORMATS: dict[str, Callable[[str], Any]] = {
    "duration": celtypes.DurationType,
    "date-time": celtypes.TimestampType,
}
