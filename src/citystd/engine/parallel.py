"""Column blocks of a large table, computed in a few threads.

The engine's per-column work (ranks within each year, trends per city) is independent from one
column to the next, and numpy releases the GIL in its loops, so a table of 100,000 city-years ×
200 indicators is cut into blocks of columns that threads compute side by side. Each column is
computed exactly as it would be alone — same operations, same order within the column — so the
result does not depend on the number of threads or the block size (``tests/engine/test_parallel.py``).
Blocks also bound the temporaries: a trend needs a dozen arrays the size of its block, not of the
whole table.

``CITYSTD_THREADS`` sets the number of threads (``1``: none); by default, the CPUs this process may
use, at most 8. Small tables are one block, computed in the calling thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

#: cells per block (rows × columns): 16 MB of float64 per temporary array
BLOCK_CELLS = 2_000_000


def threads() -> int:
    """Threads for column blocks: ``CITYSTD_THREADS``, else the usable CPUs (at most 8)."""
    env = os.environ.get("CITYSTD_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def column_blocks(n_rows: int, n_cols: int, cells: int | None = None) -> list[slice]:
    """Consecutive column ranges covering ``n_cols`` columns, each of about ``cells`` cells
    (default :data:`BLOCK_CELLS`)."""
    if n_cols == 0:
        return []
    width = max(1, (BLOCK_CELLS if cells is None else cells) // max(n_rows, 1))
    return [slice(start, min(start + width, n_cols)) for start in range(0, n_cols, width)]


def map_blocks(fn: Callable[[slice], T], blocks: Sequence[slice], workers: int | None = None) -> list[T]:
    """``[fn(b) for b in blocks]``, in order, computed in up to ``workers`` threads."""
    n = min(threads() if workers is None else workers, len(blocks))
    if n <= 1:
        return [fn(b) for b in blocks]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="citystd-block") as pool:
        return list(pool.map(fn, blocks))
