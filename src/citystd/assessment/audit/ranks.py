"""Ranks of many replications at once, and rank statistics streamed chunk by chunk (methods.md §14.5).

:func:`sport_ranks` ranks every row of an (replications × units) score array in one pass: 1 =
highest score, ties share the smallest rank (1, 2, 2, 4), NaN unranked (0) — the engine's
:func:`citystd.engine.rank.rank`, per replication.

:class:`RankStats` accumulates, per tracked node and unit, a histogram of the ranks seen, their
sum and the sum of absolute shifts from the nominal rank — integers only, so adding chunks in any
order gives the same totals. The percentiles are then exact order statistics of all the ranks
seen (R's type 7, as COINr's ``get_sensitivity``): for n ranks sorted r₍₁₎ ≤ … ≤ r₍ₙ₎ and
h = (n − 1)p, q = r₍⌊h⌋+1₎ + (h − ⌊h⌋)(r₍⌊h⌋+2₎ − r₍⌊h⌋+1₎).

Histograms hold units × (units + 1) counts per node. When that would exceed ``cells`` (very many
units), ranks are counted in bins of ``resolution`` consecutive ranks; percentiles are then read
at bin resolution (the lower end of its bin for the 5th percentile, the upper end for the 95th,
the middle for the median: the interval is never narrower than the truth) and the document says
``rank_resolution``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: histogram cells (counts) kept at most, over all tracked nodes
CELLS = 64_000_000


def sport_ranks(scores: np.ndarray) -> np.ndarray:
    """Sport ranks (int32, 0 = no score) of each row of ``scores`` (…, units), highest first."""
    x = np.asarray(scores, dtype=float)
    shape = x.shape
    x2 = x.reshape(-1, shape[-1])
    key = np.where(np.isnan(x2), np.inf, -x2)  # NaN last
    order = np.argsort(key, axis=1)  # the order among equal scores does not matter: they share a rank
    v = np.take_along_axis(key, order, axis=1)
    pos = np.arange(v.shape[1])
    new = np.ones_like(v, dtype=bool)
    new[:, 1:] = v[:, 1:] != v[:, :-1]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1) + 1
    start = np.where(np.isinf(v), 0, start).astype(np.int32)
    out = np.empty_like(start)
    np.put_along_axis(out, order, start, axis=1)
    return out.reshape(shape)


@dataclass
class RankRuns:
    """Rank statistics of some replications, compact: counts of the (node, unit, bin) cells seen
    (flat positions in :attr:`RankStats.counts`, each once) and the sums of ranks and of absolute
    shifts per (node, unit). What a task sends back instead of its ranks."""

    index: np.ndarray
    count: np.ndarray
    total: np.ndarray
    shift: np.ndarray


@dataclass
class RankStats:
    """Streamed rank statistics of ``nodes`` × ``units`` (ranks 1…units, 0 = not ranked)."""

    nominal: np.ndarray  # (nodes, units) int nominal ranks (0 = none)
    resolution: int = 1
    tally: bool = True  # False: no histogram (a task only bins, sums and counts runs)
    counts: np.ndarray = field(init=False)
    total: np.ndarray = field(init=False)
    shift: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        nodes, units = self.nominal.shape
        self.bins = -(-units // self.resolution) + 1  # bin 0: not ranked
        self.counts = np.zeros((nodes, units, self.bins) if self.tally else (0, 0, 0), dtype=np.int64)
        self.total = np.zeros((nodes, units), dtype=np.int64)
        self.shift = np.zeros((nodes, units), dtype=np.int64)

    @classmethod
    def for_units(cls, nominal: np.ndarray, cells: int = CELLS) -> RankStats:
        nodes, units = nominal.shape
        resolution = 1
        while nodes * units * (-(-units // resolution) + 1) > cells:
            resolution += 1
        return cls(nominal.astype(np.int64), resolution)

    @property
    def bin_dtype(self) -> type:
        """The smallest unsigned integer type holding every bin (ranks of a task are kept binned)."""
        return np.uint8 if self.bins <= 256 else np.uint16 if self.bins <= 65536 else np.uint32

    def binned(self, ranks: np.ndarray) -> np.ndarray:
        """The bin of each rank (0 = not ranked), as :attr:`bin_dtype`."""
        r = np.asarray(ranks)
        b = r if self.resolution == 1 else np.where(r > 0, (r - 1) // self.resolution + 1, 0)
        return b.astype(self.bin_dtype)

    def sums(self, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ rank and Σ |rank − nominal| (where both ranked) of ``ranks`` (replications, nodes, units)."""
        r = np.asarray(ranks, dtype=np.int64)
        both = (r > 0) & (self.nominal[None] > 0)
        return r.sum(axis=0), np.where(both, np.abs(r - self.nominal[None]), 0).sum(axis=0)

    def runs(self, binned: np.ndarray, total: np.ndarray, shift: np.ndarray, block: int = 4_000_000) -> RankRuns:
        """The counts of ``binned`` (replications, nodes, units) as runs: each (node, unit)'s bins are
        sorted along the replications and counted run by run, so the result lists only the bins
        seen (cost ∝ the ranks counted, never the histogram's size — which for thousands of units
        is far larger than a task). Positions as int32 and counts as uint16 where they fit; worked
        through in blocks of ~``block`` ranks (bounded temporaries). A pure function: computed where
        the ranks are (a worker)."""
        s = binned.shape[0]
        flat = binned.reshape(s, -1)
        cells = flat.shape[1]
        index_type = np.int32 if cells * self.bins < 2**31 else np.int64
        count_type = np.uint16 if s < 2**16 else np.uint32
        if s == 0 or cells == 0:
            return RankRuns(np.zeros(0, index_type), np.zeros(0, count_type), total, shift)
        step = max(1, block // s)
        index, count = [], []
        for c0 in range(0, cells, step):
            b = np.sort(np.ascontiguousarray(flat[:, c0:c0 + step].T), axis=1)  # (cells, replications)
            start = np.ones(b.shape, dtype=bool)
            start[:, 1:] = b[:, 1:] != b[:, :-1]
            cell, pos = np.nonzero(start)  # run starts, by cell then position
            last = np.ones(len(cell), dtype=bool)
            last[:-1] = cell[1:] != cell[:-1]
            end = np.where(last, s, np.append(pos[1:], s))
            index.append(((cell + c0) * self.bins + b[cell, pos]).astype(index_type))
            count.append((end - pos).astype(count_type))
        return RankRuns(np.concatenate(index), np.concatenate(count), total, shift)

    def merge_runs(self, part: RankRuns) -> None:
        """Add a task's :meth:`runs` (each (node, unit, bin) at most once: no collisions)."""
        self.counts.reshape(-1)[part.index] += part.count
        self.total += part.total
        self.shift += part.shift

    def add(self, ranks: np.ndarray) -> None:
        """Add replications ``ranks`` (replications, nodes, units)."""
        r = np.asarray(ranks)
        if r.size == 0:
            return
        self.merge_runs(self.runs(self.binned(r), *self.sums(r)))

    def merge(self, other: RankStats) -> None:
        self.counts += other.counts
        self.total += other.total
        self.shift += other.shift

    @property
    def n(self) -> np.ndarray:
        """Replications that ranked each (node, unit)."""
        return self.counts[..., 1:].sum(axis=-1)

    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 0, self.total / np.maximum(self.n, 1), np.nan)

    def mean_abs_shift(self) -> np.ndarray:
        """Mean |rank − nominal rank| over the replications ranking the unit (NaN without nominal rank)."""
        c = self.counts[..., 1:].sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((c > 0) & (self.nominal > 0), self.shift / np.maximum(c, 1), np.nan)

    def quantile(self, p: float, side: str = "mid") -> np.ndarray:
        """Type-7 percentile ``p`` of each (node, unit)'s ranks (NaN when never ranked)."""
        c = self.counts[..., 1:]
        n = c.sum(axis=-1)
        cum = np.cumsum(c, axis=-1)
        h = (np.maximum(n, 1) - 1) * p
        lo = np.floor(h)
        frac = h - lo

        def order_stat(k: np.ndarray) -> np.ndarray:  # bin (0-based) holding the k-th (0-based) rank
            return np.argmax(cum > k[..., None], axis=-1)

        b0 = order_stat(lo)
        b1 = order_stat(np.minimum(lo + 1, np.maximum(n, 1) - 1))
        res = self.resolution
        if res == 1:
            q = (b0 + 1) + frac * (b1 - b0)
        else:
            first, last = b0 * res + 1, np.minimum((b1 + 1) * res, self.nominal.shape[1])
            q = first if side == "low" else last if side == "high" else (first + last) / 2
        return np.where(n > 0, q, np.nan).astype(float)
