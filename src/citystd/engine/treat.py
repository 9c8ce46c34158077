"""Treat outliers (methods.md §4), COINr's ``Treat()`` with its defaults.

Within each cross-section (year) and indicator column (default: all, or ``indicators``):

``winsorise`` — a column *passes* when |skew| < ``skew`` or kurt < ``kurtosis`` (Excel SKEW /
KURT, :mod:`citystd.engine.stats`); a column whose skew or kurtosis is undefined (fewer than 4
values, constant) passes. While a column fails and fewer than ``winmax`` of its points have been
changed: if skew ≥ 0 every value equal to the current maximum is replaced by the largest value
below it, otherwise every value equal to the current minimum is replaced by the smallest value
above it (ties move together, so one round can change several points and take the count past
``winmax``); then the column is re-tested. All failing columns are treated in the same round.
If a column still fails, the fallback ``log`` replaces it by a transform of its **original**
(un-winsorised) values, x' = ln(x − min + 0.01·(max − min)), kept even if it still fails; the
fallback ``boxcox`` uses COINr's ``boxcox()`` with the given λ instead, on the original values
shifted to start at 1: x' = ((x − min + 1)^λ − 1)/λ, or ln(x − min + 1) when λ = 0; with
``fallback: none`` the winsorised column is kept.

``clip_percentile`` — values below the ``percentiles[0]``-th percentile are raised to it, values
above the ``percentiles[1]``-th lowered to it (percentiles by linear interpolation between order
statistics, numpy's default = R's type 7).

Every changed cell is recorded (stage ``treat``; action ``winsorised_high``, ``winsorised_low``,
``log``, ``boxcox``, ``clipped_low`` or ``clipped_high``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import error
from citystd.engine.stats import make_records, sections, select_columns, skew_kurt_arrays

_ACTIONS = ("", "winsorised_high", "winsorised_low", "log", "clipped_low", "clipped_high", "boxcox")


def _fails(sk: np.ndarray, ku: np.ndarray, skew_t: float, kurt_t: float) -> np.ndarray:
    return (np.abs(sk) >= skew_t) & (ku >= kurt_t)  # NaN compares False: undefined ⇒ passes


def boxcox(x: np.ndarray, lam: float) -> np.ndarray:
    """COINr's ``boxcox(x, lambda)`` column-wise: shift to min 1, then ((x)^λ − 1)/λ (ln x for λ = 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        shifted = x - np.nanmin(x, axis=0) + 1.0
    if lam == 0:
        return np.log(shifted)
    return (shifted**lam - 1.0) / lam


def _winsorise_block(
    x: np.ndarray, winmax: int, skew_t: float, kurt_t: float, fallback: str, lam: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Treat one cross-section (rows × columns). Returns (treated, action codes)."""
    orig = x
    x = x.copy()
    code = np.zeros(x.shape, dtype=np.int8)
    sk, ku, _ = skew_kurt_arrays(x)
    failing = _fails(sk, ku, skew_t, kurt_t)
    nwin = np.zeros(x.shape[1], dtype=int)
    stuck = np.zeros(x.shape[1], dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are handled below
        while True:
            active = np.flatnonzero(failing & (nwin < winmax) & ~stuck)
            if active.size == 0:
                break
            sub = x[:, active]
            high = sk[active] >= 0
            extreme = np.where(high, np.nanmax(sub, axis=0), np.nanmin(sub, axis=0))
            at = sub == extreme
            others = np.where(at, np.nan, sub)
            repl = np.where(high, np.nanmax(others, axis=0), np.nanmin(others, axis=0))
            cannot = np.isnan(repl)  # every value equals the extreme: nothing left to move
            stuck[active[cannot]] = True
            upd = at & ~cannot
            x[:, active] = np.where(upd, repl, sub)
            code[:, active] = np.where(upd, np.where(high, 1, 2), code[:, active])
            nwin[active] = (code[:, active] > 0).sum(axis=0)
            sk2, ku2, _ = skew_kurt_arrays(x[:, active])
            sk[active], ku[active] = sk2, ku2
            failing[active] = _fails(sk2, ku2, skew_t, kurt_t)
        logged = np.flatnonzero(failing) if fallback in ("log", "boxcox") else np.array([], dtype=int)
        if logged.size:
            o = orig[:, logged]
            if fallback == "log":
                lo, hi = np.nanmin(o, axis=0), np.nanmax(o, axis=0)
                x[:, logged] = np.log(o - lo + 0.01 * (hi - lo))
            else:
                x[:, logged] = boxcox(o, float(lam))  # type: ignore[arg-type]
            code[:, logged] = np.where(np.isnan(o), 0, 3 if fallback == "log" else 6)
    return x, code


def _clip_block(x: np.ndarray, percentiles: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(x, list(percentiles), axis=0)
    low, high = x < lo, x > hi
    out = np.where(low, lo, np.where(high, hi, x))
    code = np.where(low, 4, np.where(high, 5, 0)).astype(np.int8)
    return out, code


def treat(
    data: pd.DataFrame,
    method: Literal["winsorise", "clip_percentile"] = "winsorise",
    winmax: int = 5,
    skew: float = 2.0,
    kurtosis: float = 3.5,
    fallback: Literal["log", "boxcox", "none"] = "log",
    percentiles: tuple[float, float] = (2.5, 97.5),
    indicators: Sequence[str] | None = None,
    boxcox_lambda: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treat outliers of ``data`` within each year; returns ``(treated, records)``.

    See the module docstring for the exact rules. ``records`` has one row per changed cell with
    its value ``before`` and ``after`` the stage.
    """
    if method not in ("winsorise", "clip_percentile"):
        raise error("E801", f"unknown treatment method {method!r}", f"未知的异常值处理方法 {method!r}")
    if fallback not in ("log", "boxcox", "none"):
        raise error("E801", f"unknown fallback {fallback!r}", f"未知的后备处理方法 {fallback!r}")
    if fallback == "boxcox" and (boxcox_lambda is None or not np.isfinite(boxcox_lambda)):
        raise error("E801", "the boxcox fallback needs a finite λ (boxcox_lambda)",
                    "boxcox 后备处理需要有限的 λ（boxcox_lambda）")
    lo_p, hi_p = percentiles
    if not (0 <= lo_p < hi_p <= 100):
        raise error("E801", f"percentiles must be 0 ≤ low < high ≤ 100, not {percentiles}",
                    f"百分位数必须满足 0 ≤ 下限 < 上限 ≤ 100，而不是 {percentiles}")
    from citystd.engine.parallel import column_blocks, map_blocks

    cols = select_columns(data, indicators, "treat")
    before = data[cols].to_numpy(dtype=float)
    after = np.empty_like(before, order="C")  # every row is in one cross-section (its year, or NA)
    codes = np.zeros(before.shape, dtype=np.int8)
    years = sections(data.index)

    def block(b: slice) -> None:  # columns are treated independently: blocks in threads (engine/parallel.py)
        for rows in years:  # one pass per year: a handful of groups
            part = np.ascontiguousarray(before[rows, b])
            if method == "winsorise":
                out, code = _winsorise_block(part, winmax, skew, kurtosis, fallback, boxcox_lambda)
            else:
                out, code = _clip_block(part, (lo_p, hi_p))
            after[rows, b], codes[rows, b] = out, code

    # the blocks silence numpy's RuntimeWarnings with warnings.catch_warnings, which is not thread-safe:
    # silenced here as well, around all of them, so that none leaks while threads enter and leave theirs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        map_blocks(block, column_blocks(*before.shape))
    if cols == list(data.columns):
        result = pd.DataFrame(after, index=data.index, columns=data.columns, copy=False)
    else:
        result = data.copy()
        result[cols] = after
    records = make_records(data.index, cols, codes > 0, before, after, "treat", codes, _ACTIONS)
    return result, records
