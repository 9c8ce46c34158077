"""Trends over panel data (methods.md §9). Results are indexed by unit, one column per indicator.

For each unit and indicator, over the years with data (rows with an ``<NA>`` year are ignored):

- :func:`cagr`: (x_last / x_first)^{1/(y_last − y_first)} − 1, first and last years with data;
  NaN with fewer than two years of data, x_first ≤ 0 or x_last < 0.
- :func:`slope`: least-squares slope Σ(y − ȳ)(x − x̄) / Σ(y − ȳ)² (units per year); NaN with
  fewer than two distinct years.
- :func:`progress`: (x_now − x_base)/(t − x_base), x_base the value in ``base_year`` and x_now the
  value in ``year`` (default: the last year with data); NaN when either is missing or t = x_base.
- :func:`on_track`: compares the achieved yearly change a = (x_now − x_base)/(y_now − y_base)
  (base = ``base_year``, default the first year with data; now = the last year with data) with the
  yearly change still needed to reach the target by ``target_year``, r = (t − x_now)/(target_year −
  y_now). Status: ``achieved`` when x_now is at least as good as t (x ≥ t for ``higher``, x ≤ t
  for ``lower``, |x − t| ≤ 1e-12·max(1, |t|) for ``target``); otherwise, with q = a/r,
  ``on_track`` (q ≥ 1), ``moderately_improving`` (``moderate`` ≤ q < 1), ``stagnating``
  (0 ≤ q < ``moderate``), ``worsening`` (q < 0). When target_year ≤ y_now and the target is not
  achieved, q is taken as 0 (``stagnating``) unless the change moved away from the target
  (``worsening``). ``unknown`` when data, the target or two distinct years are missing.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from citystd.engine.stats import parse_direction, unit_values, year_values

STATUSES = ("achieved", "on_track", "moderately_improving", "stagnating", "worsening", "unknown")


class Panel:
    """Rows with a year, sorted by (unit, year), and per-unit first/last observations — built once
    and given to each trend function (``panel=``) when several are computed on the same data.

    The sorted values (:attr:`x`) are taken from the data only when first used, and
    :meth:`block` gives the panel of some of the columns sharing the sort, so that a large table
    can be computed a block of columns at a time (:mod:`citystd.engine.parallel`)."""

    def __init__(self, data: pd.DataFrame) -> None:
        years = year_values(data.index)
        keep = ~np.asarray(years.isna())
        self.columns = data.columns
        units = unit_values(data.index)[keep]
        self.y = np.asarray(years[keep], dtype=float)
        self.codes, self.units = pd.factorize(units)
        order = np.lexsort((self.y, self.codes))
        self.y, self.codes = self.y[order], self.codes[order]
        self._source = data.to_numpy(dtype=float)  # a view where pandas can give one
        self._rows = np.flatnonzero(keep)[order]
        #: the first row of each unit's run
        self.starts = np.flatnonzero(np.r_[True, self.codes[1:] != self.codes[:-1]]) if len(self.codes) \
            else np.empty(0, dtype=np.intp)

    def block(self, cols: slice) -> Panel:
        """The panel of the columns ``cols`` (same rows, same sort)."""
        b = object.__new__(Panel)
        b.columns, b.y, b.codes, b.units, b.starts = self.columns[cols], self.y, self.codes, self.units, self.starts
        b._source, b._rows = self._source[:, cols], self._rows
        return b

    @cached_property
    def x(self) -> np.ndarray:
        """The values, rows sorted by (unit, year), rows without a year left out."""
        return np.take(self._source, self._rows, axis=0)

    @cached_property
    def valid(self) -> np.ndarray:
        return ~np.isnan(self.x)

    @cached_property
    def yy(self) -> np.ndarray:
        """The year of each value, NaN where the value is missing."""
        return np.where(self.valid, self.y[:, None], np.nan)

    def per_unit(self, values: np.ndarray, how: str) -> np.ndarray:
        """One row per unit: ``how`` ∈ first, last (non-NaN), sum, mean, min, max (NaN skipped).

        Rows are sorted by unit, so each unit is a contiguous run reduced with ``ufunc.reduceat``.
        """
        n, k = values.shape
        if n == 0:
            return np.empty((0, k))
        starts = self.starts
        valid = ~np.isnan(values)
        if how in ("first", "last"):
            pos = np.arange(n)[:, None]
            if how == "first":
                at = np.minimum.reduceat(np.where(valid, pos, n), starts, axis=0)
            else:
                at = np.maximum.reduceat(np.where(valid, pos, -1), starts, axis=0)
            found = (at >= 0) & (at < n)
            picked = np.take_along_axis(values, np.clip(at, 0, n - 1), axis=0)
            return np.where(found, picked, np.nan)
        if how == "min":
            return np.fmin.reduceat(values, starts, axis=0)
        if how == "max":
            return np.fmax.reduceat(values, starts, axis=0)
        total = np.add.reduceat(np.where(valid, values, 0.0), starts, axis=0)
        if how == "sum":
            return total
        count = np.add.reduceat(valid.astype(float), starts, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / count, np.nan)

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=pd.Index(self.units, name="unit"), columns=self.columns)

    def at_year(self, year: int) -> np.ndarray:
        out = np.full((len(self.units), self.x.shape[1]), np.nan)
        rows = np.flatnonzero(self.y == year)
        out[self.codes[rows]] = self.x[rows]
        return out


def cagr(data: pd.DataFrame, *, panel: Panel | None = None) -> pd.DataFrame:
    """Compound annual growth rate between the first and last years with data."""
    p = panel if panel is not None else Panel(data)
    x0, x1 = p.per_unit(p.x, "first"), p.per_unit(p.x, "last")
    y0, y1 = p.per_unit(p.yy, "min"), p.per_unit(p.yy, "max")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x1 / x0) ** (1.0 / (y1 - y0)) - 1.0
    out[(y1 <= y0) | (x0 <= 0) | (x1 < 0)] = np.nan
    return p.frame(out)


def slope(data: pd.DataFrame, *, panel: Panel | None = None) -> pd.DataFrame:
    """Least-squares slope of value on year over the years with data (per unit and indicator)."""
    p = panel if panel is not None else Panel(data)
    if not len(p.y):
        return p.frame(np.empty((0, len(p.columns))))
    # the sums of per_unit(…, "sum"/"mean"), the count of values made once for all of them
    add = np.add.reduceat
    n = add(p.valid.astype(float), p.starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.where(n > 0, add(np.where(p.valid, p.yy, 0.0), p.starts, axis=0) / n, np.nan)
        xbar = np.where(n > 0, add(np.where(p.valid, p.x, 0.0), p.starts, axis=0) / n, np.nan)
    dy = p.yy - ybar[p.codes]
    dx = p.x - xbar[p.codes]
    sxy = add(np.where(p.valid, dy * dx, 0.0), p.starts, axis=0)
    syy = add(np.where(p.valid, dy * dy, 0.0), p.starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sxy / syy
    out[(n < 2) | (syy == 0)] = np.nan
    return p.frame(out)


def progress(data: pd.DataFrame, targets: pd.Series, base_year: int, year: int | None = None, *,
             panel: Panel | None = None) -> pd.DataFrame:
    """Share of the way from the base-year value to the target: (x_now − x_base)/(t − x_base)."""
    p = panel if panel is not None else Panel(data)
    xb = p.at_year(base_year)
    xn = p.per_unit(p.x, "last") if year is None else p.at_year(year)
    t = targets.reindex(data.columns).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (xn - xb) / (t - xb)
    out[t == xb] = np.nan
    return p.frame(out)


def on_track(
    data: pd.DataFrame,
    targets: pd.Series,
    target_year: int | pd.Series,
    direction: pd.Series | None = None,
    base_year: int | None = None,
    moderate: float = 0.5,
    *,
    panel: Panel | None = None,
) -> pd.DataFrame:
    """Status of each unit and indicator against its target (see the module docstring).

    ``target_year`` is one year for all indicators or a Series by indicator id.
    """
    p = panel if panel is not None else Panel(data)
    cols = list(data.columns)
    sign, is_target = parse_direction(direction, cols)
    t = targets.reindex(cols).to_numpy(dtype=float)
    ty = (
        target_year.reindex(cols).to_numpy(dtype=float)
        if isinstance(target_year, pd.Series)
        else np.full(len(cols), float(target_year))
    )
    xn, yn = p.per_unit(p.x, "last"), p.per_unit(p.yy, "max")
    if base_year is None:
        xb, yb = p.per_unit(p.x, "first"), p.per_unit(p.yy, "min")
    else:
        xb = p.at_year(base_year)
        yb = np.where(np.isnan(xb), np.nan, float(base_year))
    # values near the float limit overflow to ±inf, which orders them as they are (a test feeds 1e308)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        achieved_rate = (xn - xb) / (yn - yb)
        gap = t - xn
        needed = gap / (ty - yn)
        q = achieved_rate / needed
        toward = np.sign(achieved_rate) * np.sign(gap)  # > 0: moving toward the target
    tol = 1e-12 * np.maximum(1.0, np.abs(t))
    done = np.where(is_target, np.abs(xn - t) <= tol, sign * (xn - t) >= 0)
    late = ty <= yn
    q = np.where(late, np.where(toward < 0, -1.0, 0.0), q)
    status = np.select(
        [q >= 1, q >= moderate, q >= 0, q < 0], ["on_track", "moderately_improving", "stagnating", "worsening"],
        default="unknown",
    ).astype(object)
    status[done] = "achieved"
    unknown = np.isnan(xn) | np.isnan(xb) | np.isnan(t) | ~(yn > yb) | np.isnan(ty)
    status[unknown & ~(done & ~np.isnan(xn) & ~np.isnan(t))] = "unknown"
    return p.frame(status).astype(object)
