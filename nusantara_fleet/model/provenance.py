"""Which input fields each plan was built from, recorded while the model resolves (`fleet explain`).

Recording is off unless `recording()` is active, so `fleet synth` pays one global lookup per spec
attribute read. While it is on, every read of an input field (`Spec.__getattribute__` calls
`note_read`) is added to each open `traced` scope; a traced builder's reads become the provenance
of every plan it returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

Read = tuple[int, str]  # (id of the input model instance, field name)
P = ParamSpec("P")
R = TypeVar("R")

_scopes: list[set[Read]] = []
_recorded: dict[int, frozenset[Read]] | None = None


def note_read(instance: object, name: str) -> None:
    for scope in _scopes:
        scope.add((id(instance), name))


@contextmanager
def recording() -> Iterator[dict[int, frozenset[Read]]]:
    """While open, traced builders record their reads; yields plan id -> the fields it was built from."""
    global _recorded
    previous, _recorded = _recorded, {}
    try:
        yield _recorded
    finally:
        _recorded = previous


def _plans(result: object) -> Iterator[object]:
    if isinstance(result, tuple | list):
        for item in result:
            yield from _plans(item)
    elif result is not None:
        yield result


def traced(builder: Callable[P, R]) -> Callable[P, R]:
    """Record the input fields `builder` reads as the provenance of the plans it returns."""

    @functools.wraps(builder)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _recorded is None:
            return builder(*args, **kwargs)
        scope: set[Read] = set()
        _scopes.append(scope)
        try:
            result = builder(*args, **kwargs)
        finally:
            _scopes.pop()
        reads = frozenset(scope)
        for plan in _plans(result):
            _recorded[id(plan)] = _recorded.get(id(plan), frozenset()) | reads
        return result

    return run
