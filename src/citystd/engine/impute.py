"""Impute missing values (methods.md §3). Non-NA values are never changed.

Cross-sectional methods work within each cross-section (each year; rows with an ``<NA>`` year
form one cross-section) and each indicator column:

- ``mean`` / ``median``: the column's mean / median over the units with data;
- ``group_mean`` / ``group_median``: the same within the unit's group ``by`` (a Series of group
  labels aligned to the rows, or indexed by unit); a unit whose group is missing stays NA, and so
  does a unit whose group has no data.

Panel methods work along the years of each unit (rows with an ``<NA>`` year are left alone):

- ``latest``: the last observed value is carried forward to later years; with ``both`` the first
  observed value is also carried backward to earlier years;
- ``linear``: a missing year between two observed years a < y < b gets
  x_a + (x_b − x_a)(y − a)/(b − a); before the first / after the last observation the end value is
  held flat;
- ``max_gap: k`` (in years): ``latest`` carries a value at most k years away from the year it was
  observed (so in a longer run the first k years are filled); ``linear`` fills an interior gap
  only when the whole run of missing years between the two observations is at most k
  (b − a − 1 ≤ k) and holds an end value flat at most k years.

Every filled cell is recorded (stage ``impute``, action ``imputed:<method>``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citystd.diagnostics import error
from citystd.engine.stats import make_records, section_codes, select_columns, unit_values, year_values
from citystd.library.pipeline import ImputeMethod  # the method names are the spec's


def _group_labels(by: pd.Series, index: pd.Index) -> np.ndarray:
    """Group label of every row: ``by`` aligned to the rows, or indexed by unit (missing → NA)."""
    if by.index.equals(index):
        return by.to_numpy(dtype=object)
    if isinstance(by.index, pd.MultiIndex):
        return by.reindex(index).to_numpy(dtype=object)
    if not by.index.is_unique:
        raise error("E801", "unit groups `by` list a unit twice", "分组属性 `by` 中有重复的单元")
    return by.reindex(pd.Index(unit_values(index))).to_numpy(dtype=object)


def _cross_sectional(x: pd.DataFrame, method: str, groups: np.ndarray | None) -> np.ndarray:
    stat = "mean" if method.endswith("mean") else "median"
    keys: list[np.ndarray] = [section_codes(x.index)]
    if groups is not None:
        keys.append(pd.factorize(groups, use_na_sentinel=True)[0])  # -1 for a missing group
    frame = pd.DataFrame(x.to_numpy(dtype=float), columns=range(x.shape[1]))
    filled = frame.groupby(keys, sort=False).transform(stat).to_numpy(dtype=float, copy=True)
    if groups is not None:
        filled[keys[1] < 0, :] = np.nan
    return filled


def _along_years(x: pd.DataFrame, method: str, both: bool, max_gap: int | None) -> np.ndarray:
    values = x.to_numpy(dtype=float)
    out = np.full_like(values, np.nan)
    years = year_values(x.index)
    has_year = ~np.asarray(years.isna())
    if not has_year.any():
        return out
    rows = np.flatnonzero(has_year)
    ycol = np.asarray(years[has_year], dtype=float)
    ucodes = pd.factorize(unit_values(x.index)[has_year])[0]
    order = np.lexsort((ycol, ucodes))
    rows, ycol, ucodes = rows[order], ycol[order], ucodes[order]
    v = values[rows]
    valid = ~np.isnan(v)
    pos = np.broadcast_to(np.arange(len(rows), dtype=float)[:, None], v.shape)
    marks = pd.DataFrame(np.where(valid, pos, np.nan))
    grouped = marks.groupby(ucodes, sort=False)
    prev = grouped.ffill().to_numpy()
    nxt = grouped.bfill().to_numpy()
    has_prev, has_next = ~np.isnan(prev), ~np.isnan(nxt)
    p = np.where(has_prev, prev, 0).astype(int)
    q = np.where(has_next, nxt, 0).astype(int)
    cols = np.broadcast_to(np.arange(v.shape[1]), v.shape)
    xp, xq = v[p, cols], v[q, cols]
    yr = ycol[:, None]
    yp, yq = ycol[p], ycol[q]
    gap = np.inf if max_gap is None else float(max_gap)
    missing = ~valid
    fill = np.full_like(v, np.nan)
    if method == "latest":
        fwd = missing & has_prev & (yr - yp <= gap)
        fill[fwd] = xp[fwd]
        if both:
            back = missing & ~has_prev & has_next & (yq - yr <= gap)
            fill[back] = xq[back]
    else:  # linear
        inner = missing & has_prev & has_next & (yq - yp - 1 <= gap)
        with np.errstate(invalid="ignore", divide="ignore"):
            interp = xp + (xq - xp) * (yr - yp) / (yq - yp)
        fill[inner] = interp[inner]
        after = missing & has_prev & ~has_next & (yr - yp <= gap)
        fill[after] = xp[after]
        before = missing & ~has_prev & has_next & (yq - yr <= gap)
        fill[before] = xq[before]
    out[rows] = fill
    return out


def impute(
    data: pd.DataFrame,
    method: ImputeMethod,
    by: pd.Series | None = None,
    both: bool = False,
    max_gap: int | None = None,
    indicators: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill NA cells of ``data`` (in columns ``indicators``, default all) with ``method``.

    Returns ``(imputed, records)``: a new DataFrame shaped like ``data`` and one record per filled
    cell (``before`` NaN, ``after`` the value). See the module docstring for the formulas.
    """
    if method not in ("mean", "median", "group_mean", "group_median", "latest", "linear"):
        raise error("E801", f"unknown imputation method {method!r}", f"未知的插补方法 {method!r}")
    if method.startswith("group_") and by is None:
        raise error("E801", f"imputation {method} needs the unit groups `by`", f"插补方法 {method} 需要分组属性 `by`")
    if max_gap is not None and max_gap < 1:
        raise error("E801", f"max_gap must be at least 1, not {max_gap}", f"max_gap 至少为 1，而不是 {max_gap}")
    cols = select_columns(data, indicators, "impute")
    part = data[cols]
    if method in ("latest", "linear"):
        filled = _along_years(part, method, both, max_gap)
    else:
        groups = _group_labels(by, data.index) if method.startswith("group_") else None
        filled = _cross_sectional(part, method, groups)
    before = part.to_numpy(dtype=float)
    mask = np.isnan(before) & ~np.isnan(filled)
    after = np.where(mask, filled, before)
    result = data.copy()
    result[cols] = after
    records = make_records(data.index, cols, mask, before, after, "impute", f"imputed:{method}")
    return result, records
