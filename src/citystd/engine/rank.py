"""Ranks (methods.md §8): 1 = best (highest score), ties share the smallest rank ("sport"
ranking: 1, 2, 2, 4), NA unranked, ranked within each year (rows with an ``<NA>`` year are one
cross-section).

All columns of a cross-section are ranked in one numpy pass: each column is sorted (descending,
NA last), a rank starts a new value where the sorted value changes, and the smallest position of a
run of equal values is carried down the run with ``maximum.accumulate``. The sort need not be
stable — every member of a run of equal values gets the run's first position, whatever their order
within it — so numpy's default (vectorised) sort is used, with NA as +inf in the sort key: numpy's
vectorised sort falls back to a scalar one on NaN (half the speed), and an NA's rank is NA whatever
its place. A score of −inf shares the +inf run with the NAs, which starts after every other value:
its rank is the same either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from citystd.engine.stats import sections


def rank_array(x: np.ndarray) -> np.ndarray:
    """Sport ranks (float, NaN for NaN) of each column of ``x`` (rows = units of one cross-section)."""
    m = x.shape[0]
    if m == 0:
        return np.empty_like(x, dtype=float)
    key = np.negative(x.T, order="C")  # one contiguous row per column; descending
    na = np.isnan(key)
    key[na] = np.inf  # last, as numpy sorts NaN, without its slow path
    order = np.argsort(key, axis=1)
    s = np.take_along_axis(key, order, axis=1)
    starts = np.empty(s.shape, dtype=bool)
    starts[:, 0] = True
    np.not_equal(s[:, 1:], s[:, :-1], out=starts[:, 1:])
    first = np.where(starts, np.arange(1, m + 1, dtype=np.int64), 0)
    np.maximum.accumulate(first, axis=1, out=first)
    out = np.empty(first.shape, dtype=float)
    np.put_along_axis(out, order, first, axis=1)
    out[na] = np.nan
    return out.T


def rank(scores: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Sport ranks of every column within each year, as nullable integers (``<NA>`` for NA).

    Large tables are ranked a block of columns at a time in a few threads
    (:mod:`citystd.engine.parallel`); each column's ranks are the same either way."""
    from citystd.engine.parallel import column_blocks, map_blocks

    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    x = frame.to_numpy(dtype=float)
    whole = np.zeros(x.shape, dtype=np.int64, order="F")  # columns contiguous: one IntegerArray each
    missing = np.ones(x.shape, dtype=bool, order="F")
    years = sections(frame.index)

    def block(cols: slice) -> None:
        part = x[:, cols]
        ranks = np.full(part.shape, np.nan)
        for rows in years:  # one pass per year, every column of the block at once
            ranks[rows] = rank_array(part[rows])
        gone = np.isnan(ranks)
        missing[:, cols] = gone
        whole[:, cols] = np.where(gone, 0, ranks).astype(np.int64)

    map_blocks(block, column_blocks(x.shape[0], x.shape[1]))
    out = pd.DataFrame({j: pd.arrays.IntegerArray(whole[:, j], missing[:, j]) for j in range(x.shape[1])},
                       index=frame.index, copy=False)
    out.columns = frame.columns
    if isinstance(scores, pd.Series):
        return out.iloc[:, 0].rename(scores.name)
    return out
