"""Skewness and kurtosis (methods.md §4) for all columns at once, and helpers shared by the stages.

With d = x − mean over the n non-NA values of a column:

- g1 = √n · Σd³ / (Σd²)^{3/2};  skew = g1 · √(n(n−1)) / (n−2)           (NA if n < 3)
- r = n · Σd⁴ / (Σd²)²;  kurt = ((n+1)(r−3) + 6)(n−1) / ((n−2)(n−3))   (NA if n < 4)

These are Excel's SKEW and KURT, e1071 ``type = 2`` and COINr's ``skew()`` / ``kurt()``. A
constant column has Σd² = 0, so both are NaN (undefined), never an error.

The helpers below are shared by the other engine modules: the cross-sections of a panel
(``year`` groups, NA year included), parsing of indicator directions, and the records table of
changed cells (columns :data:`RECORD_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citystd.diagnostics import error

#: Columns of every records table of changed cells.
RECORD_COLUMNS = ["unit", "year", "indicator", "stage", "action", "before", "after"]


# --------------------------------------------------------------------------- skewness, kurtosis


def skew_kurt_arrays(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise (skew, kurt, n) of a 2-D float array, NaN skipped (see module docstring)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    valid = ~np.isnan(x)
    n = valid.sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # overflow: see below
        mean = np.where(valid, x, 0.0).sum(axis=0) / n
        d = np.where(valid, x - mean, 0.0)
        d2 = d * d
        s2 = d2.sum(axis=0)
        s3 = (d2 * d).sum(axis=0)
        s4 = (d2 * d2).sum(axis=0)
        g1 = np.sqrt(n) * s3 / s2**1.5
        sk = g1 * np.sqrt(n * (n - 1.0)) / (n - 2.0)
        r = n * s4 / (s2 * s2)
        ku = ((n + 1.0) * (r - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0))
    sk = np.where(n >= 3, sk, np.nan)
    ku = np.where(n >= 4, ku, np.nan)
    overflowed = ~np.isfinite(s4) & (n >= 3)
    if overflowed.any():  # |x| beyond ~1e77: d⁴ overflowed. Both are scale-free: again with x scaled to [-1, 1]
        redo = overflowed & np.isfinite(x).all(axis=0, where=valid)  # a column with an infinity stays NA
        part = x[:, redo]
        top = np.max(np.abs(part), axis=0, where=valid[:, redo], initial=0.0)
        exp = np.frexp(top)[1]  # a power of two: scaling is exact
        sk[redo], ku[redo], _ = skew_kurt_arrays(np.ldexp(part, -exp))
    return sk, ku, n


def _as_frame(data: pd.DataFrame | pd.Series) -> pd.DataFrame:
    return data.to_frame() if isinstance(data, pd.Series) else data


def skew(data: pd.DataFrame | pd.Series) -> pd.Series | float:
    """Bias-corrected sample skewness (Excel SKEW) of every column; a float for a Series."""
    frame = _as_frame(data)
    sk, _, _ = skew_kurt_arrays(frame.to_numpy(dtype=float))
    if isinstance(data, pd.Series):
        return float(sk[0])
    return pd.Series(sk, index=frame.columns, name="skew")


def kurt(data: pd.DataFrame | pd.Series) -> pd.Series | float:
    """Bias-corrected sample excess kurtosis (Excel KURT) of every column; a float for a Series."""
    frame = _as_frame(data)
    _, ku, _ = skew_kurt_arrays(frame.to_numpy(dtype=float))
    if isinstance(data, pd.Series):
        return float(ku[0])
    return pd.Series(ku, index=frame.columns, name="kurt")


def skew_kurt(data: pd.DataFrame, skew_threshold: float = 2.0, kurt_threshold: float = 3.5) -> pd.DataFrame:
    """Per column: ``n``, ``skew``, ``kurt`` and ``passes`` = |skew| < skew_threshold or kurt < kurt_threshold.

    A column whose skew or kurtosis is undefined (n < 4, constant) cannot fail: ``passes`` is True.
    """
    sk, ku, n = skew_kurt_arrays(_as_frame(data).to_numpy(dtype=float))
    fails = (np.abs(sk) >= skew_threshold) & (ku >= kurt_threshold)
    return pd.DataFrame(
        {"n": n.astype(int), "skew": sk, "kurt": ku, "passes": ~fails}, index=_as_frame(data).columns
    )


# --------------------------------------------------------------------------- shared helpers


def unit_values(index: pd.Index) -> np.ndarray:
    """The unit label of every row (level ``unit``, or the index itself when flat)."""
    if isinstance(index, pd.MultiIndex):
        level = "unit" if "unit" in index.names else 0
        return np.asarray(index.get_level_values(level), dtype=object)
    return np.asarray(index, dtype=object)


def year_values(index: pd.Index) -> pd.Index:
    """The year of every row as a nullable Int64 index (all ``<NA>`` when there is no year level)."""
    if isinstance(index, pd.MultiIndex) and "year" in index.names:
        years = index.get_level_values("year")
        try:
            return pd.Index(pd.array(years, dtype="Int64"), name="year")
        except (TypeError, ValueError):
            return pd.Index(years, name="year")
    return pd.Index(pd.array([pd.NA] * len(index), dtype="Int64"), name="year")


def section_codes(index: pd.Index) -> np.ndarray:
    """Integer code of each row's cross-section (its year; all ``<NA>`` years form one section)."""
    codes, _ = pd.factorize(year_values(index), use_na_sentinel=False, sort=True)
    return np.asarray(codes)


def sections(index: pd.Index) -> list[np.ndarray]:
    """Row positions of each cross-section (one per year, NA year included), in year order."""
    codes = section_codes(index)
    if len(codes) == 0:
        return []
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def section_label(index: pd.Index, rows: np.ndarray) -> object:
    """The year of a cross-section, for messages (``None`` for cross-sectional data)."""
    if len(rows) == 0:
        return None
    y = year_values(index)[rows[0]]
    return None if pd.isna(y) else int(y)


_DIRECTION_WORDS = {
    "higher": 1.0,
    "higher_is_better": 1.0,
    "lower": -1.0,
    "lower_is_better": -1.0,
    "target": 0.0,
}


def parse_direction(
    direction: pd.Series | None, columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(sign, is_target) arrays aligned to ``columns``.

    ``direction`` maps indicator id → +1 / −1, or the words ``higher`` / ``lower`` / ``target``
    (0 also means target). ``None`` means every indicator is "higher is better". An indicator of
    ``columns`` missing from ``direction`` is an error (E801): a silent default could flip scores.
    """
    cols = list(columns)
    if direction is None:
        return np.ones(len(cols)), np.zeros(len(cols), dtype=bool)
    missing = [c for c in cols if c not in direction.index]
    if missing:
        names = ", ".join(map(str, missing))
        raise error(
            "E801",
            f"no direction given for indicator(s) {names}",
            f"指标 {names} 缺少方向（direction）",
        )
    raw = direction.reindex(cols)
    sign = np.empty(len(cols))
    for i, (col, v) in enumerate(raw.items()):  # metadata, one value per indicator
        if isinstance(v, str):
            key = v.strip().lower()
            if key not in _DIRECTION_WORDS:
                raise error("E801", f"unknown direction {v!r} for indicator {col}", f"指标 {col} 的方向 {v!r} 无法识别")
            sign[i] = _DIRECTION_WORDS[key]
        else:
            try:
                f = float(v)
            except (TypeError, ValueError):
                f = float("nan")
            if f not in (1.0, -1.0, 0.0):
                raise error("E801", f"direction of indicator {col} must be +1, -1 or target, not {v!r}",
                            f"指标 {col} 的方向必须为 +1、-1 或 target，而不是 {v!r}")
            sign[i] = f
    is_target = sign == 0.0
    return np.where(is_target, 1.0, sign), is_target


def target_values(columns: list[str], targets: pd.Series | None, is_target: np.ndarray) -> np.ndarray:
    """Targets aligned to ``columns``; E805 when an indicator with ``is_target`` has none."""
    t = (
        targets.reindex(columns).to_numpy(dtype=float)
        if targets is not None
        else np.full(len(columns), np.nan)
    )
    missing = [c for c, need, v in zip(columns, is_target, t, strict=True) if need and np.isnan(v)]
    if missing:
        names = ", ".join(missing)
        raise error("E805", f"indicator(s) {names} have direction `target` but no target value",
                    f"指标 {names} 的方向为 `target` 但没有目标值")
    return t


def make_records(
    index: pd.Index,
    columns: Sequence[str],
    mask: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    stage: str,
    action: str | np.ndarray,
    action_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Records of changed cells (``mask`` True), one row per cell, in row-then-column order.

    ``before``/``after``/``action`` are 2-D arrays shaped like ``mask``; ``action`` may be one
    string, or integer codes into ``action_names``. The text columns are categoricals (a run can
    record millions of cells); ``year`` is nullable Int64.
    """
    rows, cols = np.nonzero(mask)
    ucodes, uniques = pd.factorize(unit_values(index))
    years = year_values(index)
    yv = np.asarray(years.fillna(0), dtype="int64") if len(years) else np.zeros(0, dtype="int64")
    ymask = np.asarray(years.isna(), dtype=bool)
    if isinstance(action, str):
        act = pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), categories=[action])
    elif action_names is not None:
        act = pd.Categorical.from_codes(
            np.asarray(action)[rows, cols], categories=list(action_names)
        ).remove_unused_categories()
    else:
        act = pd.Categorical(np.asarray(action, dtype=object)[rows, cols])
    return pd.DataFrame(
        {
            "unit": pd.Categorical.from_codes(ucodes[rows], categories=pd.Index(uniques, dtype=object)),
            "year": pd.arrays.IntegerArray(yv[rows], ymask[rows]),
            "indicator": pd.Categorical.from_codes(cols, categories=pd.Index(list(columns), dtype=object)),
            "stage": pd.Categorical.from_codes(np.zeros(len(rows), dtype=np.int8), categories=[stage]),
            "action": act,
            "before": np.asarray(before, dtype=float)[rows, cols],
            "after": np.asarray(after, dtype=float)[rows, cols],
        },
        columns=RECORD_COLUMNS,
    )


def empty_records() -> pd.DataFrame:
    """A records table with no rows."""
    return make_records(
        pd.MultiIndex.from_arrays([[], []], names=["unit", "year"]), [], np.zeros((0, 0), dtype=bool),
        np.zeros((0, 0)), np.zeros((0, 0)), "", "",
    )


def select_columns(data: pd.DataFrame, indicators: Sequence[str] | None, stage: str) -> list[str]:
    """The columns a stage works on: ``indicators`` (all must exist; E801 otherwise) or all columns."""
    if indicators is None:
        return list(data.columns)
    missing = [c for c in indicators if c not in data.columns]
    if missing:
        names = ", ".join(map(str, missing))
        raise error("E801", f"{stage}: indicator(s) not in the data: {names}", f"{stage}：数据中没有指标 {names}")
    return list(dict.fromkeys(indicators))


def units_text(units: Sequence[object], limit: int = 10) -> str:
    """A short list of unit labels for messages: ``a, b, c`` or ``a, b, … (+12)``."""
    labels = [str(u) for u in units]
    if len(labels) <= limit:
        return ", ".join(labels)
    return ", ".join(labels[:limit]) + f", … (+{len(labels) - limit})"
