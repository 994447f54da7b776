"""Fork-based sharding for large trees: workers inherit the inputs at fork, only results are pickled."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

WORKERS = os.cpu_count() or 1
MIN_ITEMS = 1000  # below this many items a fork costs more than it saves

_items: Sequence[Any] = ()
_work: Callable[[Any], list[Any]] | None = None
_shards = 1


def start(work: Callable[[Any], list[Any]], items: Sequence[Any], workers: int = WORKERS) -> Callable[[], list[Any]]:
    """Apply `work` (giving a list per item) to every item: in `workers` forked processes when there are
    enough items and cores (the caller goes on meanwhile), else in this process when the result is asked for.

    Returns the function that waits and concatenates the results (grouped by worker, not in item order).
    """
    if WORKERS < 2 or len(items) < MIN_ITEMS:
        return lambda: [result for item in items for result in work(item)]
    global _items, _work, _shards
    _items, _work, _shards = items, work, workers
    pool = multiprocessing.get_context("fork").Pool(workers)
    shards = pool.map_async(_shard, range(workers))
    pool.close()

    def finish() -> list[Any]:
        results = [result for shard in shards.get() for result in shard]
        pool.join()
        return results

    return finish


def _shard(index: int) -> list[Any]:
    assert _work is not None
    return [result for item in _items[index::_shards] for result in _work(item)]
