"""Normalise indicators to "higher is better" scales (methods.md §5).

**Direction.** For the data-driven methods every value is first made "higher is better":
x̃ = +x (``higher``), −x (``lower``), or −|x − t| (``target`` t: closer is better). Bounds given
in indicator units (goalposts, targets, thresholds) are compared in the indicator's own
direction; users never negate them.

**Statistics** (min, max, mean, sd, n, ranks) are taken within each cross-section (year), or over
all years together when ``pooled``. With ``range = [l, u]`` (default [0, 100]):

| method | score |
|---|---|
| ``minmax`` | (x̃ − min)/(max − min)·(u − l) + l |
| ``zscore`` | (x̃ − mean)/sd·``sd`` + ``mean`` (sd with n − 1; ``range`` unused) |
| ``goalposts`` | (x − w)/(b − w) in indicator units, clipped to [0, 1] when ``cap``, ·(u − l) + l. For a ``target`` indicator: 1 − |x − t|/|w − t|, clipped to [0, 1] when ``cap``, ·(u − l) + l, t its target (or, when it has none, goalposts ``best``) and w = goalposts ``worst`` (the distance |w − t| scores 0) |
| ``distance_to_target`` | (x̃ − min)/(t̃ − min), capped at 1 when ``cap``, ·(u − l) + l, with t̃ = ±t (t̃ = 0 for a ``target`` indicator) |
| ``rank`` | rank of x̃ among the units, ties = min (1 = lowest x̃); NA kept; ``range`` unused |
| ``borda`` | rank − 1 |
| ``percentile_rank`` | (rank − 1)/(n − 1)·(u − l) + l |
| ``fraction_of_max`` | x̃/max·(u − l) + l (max must be > 0) |
| ``dist2max`` | 1 − (max − x̃)/(max − min), ·(u − l) + l (COINr's ``n_dist2max``; the same numbers as ``minmax``) |
| ``dist2ref`` | against the reference unit ``ref`` in the same year, with r̃ its x̃: ``ref_mode: range`` (COINr's ``n_dist2ref``) 1 − (r̃ − x̃)/(r̃ − min), capped at 1 when ``cap``; ``ratio`` x/r for ``higher``, r/x for ``lower`` (r the reference's value), capped at 1 when ``cap``; both ·(u − l) + l. ``difference`` x̃ − r̃ in indicator units (``range`` and ``cap`` unused) |
| ``scaled`` | with ``bounds`` [a, b] in indicator units: (x − a)/(b − a) for ``higher``, (b − x)/(b − a) for ``lower``, ·(u − l) + l, not clipped (COINr's ``n_scaled``) |
| ``tiers`` | the indicator's colour (:func:`citystd.engine.rate.colour_levels`: green / yellow / orange / red from its thresholds, in its direction) mapped to ``scores`` = [s_green, s_yellow, s_orange, s_red] on a 0–100 scale, then into the range: l + s/100·(u − l). Default scores [100, 200/3, 100/3, 0] (equal steps: 100, 66.67, 33.33, 0). |

With the default range the methods of the table multiply by 100 as in methods.md.

**Undefined cases** are not errors of the whole run: an indicator (in a year) that is constant
(``minmax``), has sd = 0 or fewer than 2 values (``zscore``), fewer than 2 values
(``percentile_rank``), a maximum ≤ 0 (``fraction_of_max``), a target equal to its minimum
(``distance_to_target``) or goalposts with zero width (``goalposts``), a reference without a value
or at the minimum (``dist2ref``, ``range``), a reference value ≤ 0 or a ``lower`` value ≤ 0
(``ratio``), a ``target`` indicator (``ratio``, ``scaled``) gets NaN scores and an E801
diagnostic naming it; an indicator without any data gets an E804 warning. Missing metadata
(goalposts E806, targets E805, thresholds E807) raises, and so does a reference unit that is not
among the units (E810, with a did-you-mean).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg, error, suggestion
from citystd.engine.rate import colour_levels
from citystd.engine.stats import parse_direction, section_codes, target_values, unit_values, year_values
from citystd.library.pipeline import NormaliseMethod, RefMode  # the method names are the spec's

#: Default tier scores (green, yellow, orange, red) on a 0–100 scale.
DEFAULT_TIER_SCORES = (100.0, 200.0 / 3.0, 100.0 / 3.0, 0.0)

_METHOD_ZH = {
    "minmax": "最小-最大标准化",
    "zscore": "Z 分数标准化",
    "goalposts": "目标值区间标准化",
    "distance_to_target": "距目标距离标准化",
    "percentile_rank": "百分位排名标准化",
    "fraction_of_max": "最大值比例标准化",
    "dist2max": "距最大值标准化",
    "dist2ref": "距参照单元标准化",
    "scaled": "给定区间缩放",
}


class _Stats:
    """Per-(cross-section, column) statistics of x̃, broadcast back to the rows."""

    def __init__(self, xd: np.ndarray, codes: np.ndarray) -> None:
        self.codes = codes
        self.frame = pd.DataFrame(xd)
        self._g = self.frame.groupby(codes, sort=True)

    def table(self, how: str) -> np.ndarray:
        return self._g.agg(how).to_numpy(dtype=float)  # (sections, columns)

    def rows(self, table: np.ndarray) -> np.ndarray:
        return table[self.codes]

    def rank(self) -> np.ndarray:
        return self._g.rank(method="min").to_numpy(dtype=float)


def _problem(
    method: str, columns: list[str], bad: np.ndarray, section_years: list[object], why_en: str, why_zh: str
) -> list[Diagnostic]:
    """One E801 diagnostic per indicator with a degenerate (section, column) cell in ``bad``."""
    out = []
    for j in np.flatnonzero(bad.any(axis=0)):  # only the failing indicators
        years = [section_years[s] for s in np.flatnonzero(bad[:, j]) if section_years[s] is not None]
        when_en = f" in {', '.join(map(str, years))}" if years else ""
        when_zh = f"（{', '.join(map(str, years))} 年）" if years else ""
        out.append(
            Diagnostic(
                "E801",
                Msg(
                    f"{method}: indicator {columns[j]}{when_en} {why_en}; it cannot be normalised and its scores are left empty",
                    f"{_METHOD_ZH.get(method, method)}：指标 {columns[j]}{when_zh}{why_zh}，无法标准化，得分留空",
                ),
            )
        )
    return out


def _goalposts_table(goalposts: pd.DataFrame | None, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    if goalposts is None or not {"worst", "best"} <= set(goalposts.columns):
        missing = cols
    else:
        gp = goalposts.reindex(cols)
        missing = [c for c, w in zip(cols, gp["worst"].isna() | gp["best"].isna(), strict=True) if w]
    if missing:
        names = ", ".join(missing)
        raise error("E806", f"indicator(s) {names} have no goalposts (worst, best)", f"指标 {names} 没有目标值区间（worst, best）")
    gp = goalposts.reindex(cols)
    return gp["worst"].to_numpy(dtype=float), gp["best"].to_numpy(dtype=float)


def normalise(
    data: pd.DataFrame,
    method: NormaliseMethod = "goalposts",
    *,
    direction: pd.Series | None = None,
    range: tuple[float, float] = (0.0, 100.0),
    mean: float = 0.0,
    sd: float = 1.0,
    pooled: bool = False,
    cap: bool = True,
    scores: Sequence[float] | None = None,
    goalposts: pd.DataFrame | None = None,
    targets: pd.Series | None = None,
    thresholds: pd.DataFrame | None = None,
    ref: object | None = None,
    ref_mode: RefMode = "range",
    bounds: tuple[float, float] | None = None,
) -> tuple[pd.DataFrame, list[Diagnostic]]:
    """Normalise every column of ``data`` with ``method``; returns ``(scores, diagnostics)``.

    ``direction`` maps indicator id → +1 / −1 / ``"target"`` (default: all +1); ``goalposts`` has
    columns ``worst, best``; ``targets`` maps indicator id → target value; ``thresholds`` has
    columns ``green, yellow, orange`` (all indexed by indicator id, in indicator units);
    ``ref``/``ref_mode`` serve ``dist2ref``, ``bounds`` = [a, b] serves ``scaled``. The
    formulas are in the module docstring. ``diagnostics`` lists the indicators that could not be
    normalised (E801, scores NaN) or have no data (E804).
    """
    lo, hi = (float(v) for v in range)
    if not lo < hi:
        raise error("E801", f"normalise: range must be [low, high] with low < high, not {list(range)}",
                    f"标准化：取值范围必须满足下限 < 上限，而不是 {list(range)}")
    span = hi - lo
    cols = [str(c) for c in data.columns]
    x = data.to_numpy(dtype=float)
    sign, is_target = parse_direction(direction, list(data.columns))
    diags: list[Diagnostic] = []
    for j in np.flatnonzero(np.isnan(x).all(axis=0)):
        diags.append(Diagnostic("E804", Msg(f"indicator {cols[j]} has no data", f"指标 {cols[j]} 没有任何数据")))

    if method == "goalposts":
        w, b = _goalposts_table(goalposts, list(data.columns))
        t = targets.reindex(data.columns).to_numpy(dtype=float) if targets is not None else np.full(len(cols), np.nan)
        t = np.where(is_target & np.isnan(t), b, t)
        width = np.where(is_target, np.abs(w - t), b - w)
        bad = width == 0
        out = np.empty(x.shape)

        def block(c: slice) -> None:  # column blocks in threads (engine/parallel.py); same numbers
            xb, tc = x[:, c], np.flatnonzero(is_target[c])
            with np.errstate(invalid="ignore", divide="ignore"):
                y = (xb - w[c]) / width[c]
                if tc.size:
                    y[:, tc] = 1.0 - np.abs(xb[:, tc] - t[c][tc]) / width[c][tc]
            if cap:
                np.clip(y, 0.0, 1.0, out=y)
            y *= span
            y += lo
            out[:, c] = y

        from citystd.engine.parallel import column_blocks, map_blocks

        map_blocks(block, column_blocks(*x.shape))
        out[:, bad] = np.nan
        diags += _problem(method, cols, bad[None, :], [None], "has goalposts of zero width", "的目标值区间宽度为零")
        return pd.DataFrame(out, index=data.index, columns=data.columns, copy=False), diags

    if method == "scaled":
        return _scaled(data, x, sign, is_target, bounds, lo, span, cols, diags)

    if method == "tiers":
        if thresholds is None:
            raise error("E807", "tiers need the indicators' thresholds", "分档标准化需要指标的评级阈值")
        s = np.asarray(DEFAULT_TIER_SCORES if scores is None else scores, dtype=float)
        if s.shape != (4,):
            raise error("E801", "tiers: scores needs 4 values (green, yellow, orange, red)",
                        "分档标准化：scores 需要 4 个值（green, yellow, orange, red）")
        level = colour_levels(data, thresholds, direction, targets).to_numpy(dtype=float)
        tier = s[::-1]  # index by level: 0 red … 3 green
        out = np.where(np.isnan(level), np.nan, lo + tier[np.nan_to_num(level).astype(int)] / 100.0 * span)
        return pd.DataFrame(out, index=data.index, columns=data.columns), diags

    # data-driven methods: x̃ is "higher is better"
    if len(data) == 0:
        return data.astype(float).copy(), diags
    t = np.full(len(cols), np.nan)
    if is_target.any():
        t = target_values(list(data.columns), targets, is_target)
    if method == "distance_to_target":
        t = targets.reindex(data.columns).to_numpy(dtype=float) if targets is not None else t
        missing = [c for c, v in zip(cols, t, strict=True) if np.isnan(v)]
        if missing:
            names = ", ".join(missing)
            raise error("E805", f"distance_to_target: indicator(s) {names} have no target",
                        f"距目标距离标准化：指标 {names} 没有目标值")
    xd = x * sign
    if is_target.any():
        xd[:, is_target] = -np.abs(x[:, is_target] - t[is_target])
    codes = np.zeros(len(data), dtype=int) if pooled else section_codes(data.index)
    n_sections = int(codes.max()) + 1 if len(codes) else 0
    years = [None] * n_sections
    if not pooled and n_sections:
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        yv = year_values(data.index)
        years = [None if pd.isna(yv[i]) else int(yv[i]) for i in first]
    st = _Stats(xd, codes)
    count = st.table("count")
    has = count > 0

    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "minmax":
            mn, mx = st.table("min"), st.table("max")
            bad = has & (mx == mn)
            out = (xd - st.rows(mn)) / st.rows(mx - mn) * span + lo
            why = ("is constant across units", "在各单元间为常数")
        elif method == "zscore":
            mu, sdev = st.table("mean"), st.table("std")
            bad = has & ((count < 2) | (sdev == 0))
            out = (xd - st.rows(mu)) / st.rows(sdev) * sd + mean
            why = ("has a standard deviation of zero or fewer than 2 values", "的标准差为零或少于 2 个值")
        elif method == "distance_to_target":
            mn = st.table("min")
            tt = np.where(is_target, 0.0, t * sign)
            denom = tt[None, :] - mn
            bad = has & (denom == 0)
            y = (xd - st.rows(mn)) / st.rows(denom)
            if cap:
                y = np.minimum(y, 1.0)
            out = y * span + lo
            why = ("has its target equal to its minimum", "的目标值等于其最小值")
        elif method in ("rank", "borda", "percentile_rank"):
            r = st.rank()
            if method == "rank":
                out, bad = r, np.zeros_like(has)
            elif method == "borda":
                out, bad = r - 1.0, np.zeros_like(has)
            else:
                bad = has & (count < 2)
                out = (r - 1.0) / st.rows(count - 1.0) * span + lo
            why = ("has fewer than 2 values", "少于 2 个值")
        elif method == "dist2max":
            mn, mx = st.table("min"), st.table("max")
            bad = has & (mx == mn)
            out = (1.0 - (st.rows(mx) - xd) / st.rows(mx - mn)) * span + lo
            why = ("is constant across units", "在各单元间为常数")
        elif method == "dist2ref":
            out, bad, why = _dist2ref(data, x, xd, sign, is_target, st, has, ref, ref_mode, cap, lo, span)
        elif method == "fraction_of_max":
            mx = st.table("max")
            bad = has & (mx <= 0)
            out = xd / st.rows(mx) * span + lo
            why = ("has a (direction-adjusted) maximum ≤ 0", "（按方向调整后）的最大值 ≤ 0")
        else:
            raise error("E801", f"unknown normalisation method {method!r}", f"未知的标准化方法 {method!r}")
    out = np.where(st.rows(bad), np.nan, out)
    out[np.isnan(x)] = np.nan
    diags += _problem(method, cols, bad, years, *why)
    return pd.DataFrame(out, index=data.index, columns=data.columns), diags


def _scaled(data: pd.DataFrame, x: np.ndarray, sign: np.ndarray, is_target: np.ndarray,
            bounds: tuple[float, float] | None, lo: float, span: float, cols: list[str],
            diags: list[Diagnostic]) -> tuple[pd.DataFrame, list[Diagnostic]]:
    """``scaled``: (x − a)/(b − a) (``higher``) or (b − x)/(b − a) (``lower``), into the range."""
    if bounds is None:
        raise error("E801", "scaled needs `bounds: [l, u]` in the indicator's units",
                    "给定区间缩放需要以指标单位给出 `bounds: [l, u]`")
    a, b = (float(v) for v in bounds)
    if not a < b:
        raise error("E801", f"scaled: bounds must be [l, u] with l < u, not {list(bounds)}",
                    f"给定区间缩放：bounds 必须满足 l < u，而不是 {list(bounds)}")
    y = np.where(sign > 0, x - a, b - x) / (b - a)
    out = y * span + lo
    out[:, is_target] = np.nan
    diags += _problem("scaled", cols, is_target[None, :], [None],
                      "has direction target (scaled needs higher or lower; use goalposts)",
                      "的方向为 target（给定区间缩放只适用于 higher 或 lower，请使用目标值区间法）")
    return pd.DataFrame(out, index=data.index, columns=data.columns), diags


def _dist2ref(data: pd.DataFrame, x: np.ndarray, xd: np.ndarray, sign: np.ndarray, is_target: np.ndarray,
              st: _Stats, has: np.ndarray, ref: object | None, mode: str, cap: bool, lo: float,
              span: float) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """``dist2ref`` in its three modes; the reference's values are those of the same year."""
    units = unit_values(data.index)
    at_ref = np.asarray(pd.Index(units).astype(str) == str(ref), dtype=bool) if ref is not None \
        else np.zeros(len(units), dtype=bool)
    if ref is None or not at_ref.any():
        shown = "(none)" if ref is None else repr(str(ref))
        raise error("E810", f"dist2ref: the reference unit {shown} is not among the units scored",
                    f"距参照单元标准化：参照单元 {shown} 不在参与评分的单元中",
                    hint=suggestion(str(ref), sorted({str(u) for u in units})) if ref is not None else None)
    years = section_codes(data.index)  # the reference is compared within its own year, pooled or not
    n_years = int(years.max()) + 1
    r_table = np.full((n_years, x.shape[1]), np.nan)
    rd_table = np.full((n_years, x.shape[1]), np.nan)
    r_table[years[at_ref]] = x[at_ref]
    rd_table[years[at_ref]] = xd[at_ref]
    r, rd = r_table[years], rd_table[years]
    no_ref = np.isnan(r) & ~np.isnan(x)  # a row whose year has no reference value
    if mode == "range":
        mn = st.rows(st.table("min"))
        y = 1.0 - (rd - xd) / (rd - mn)
        if cap:
            y = np.minimum(y, 1.0)
        out = y * span + lo
        bad_row = no_ref | (rd == mn)
        why = ("has no value of the reference unit, or the reference is at the minimum",
               "没有参照单元的取值，或参照单元处于最小值")
    elif mode == "ratio":
        y = np.where(sign > 0, x / r, r / x)
        if cap:
            y = np.minimum(y, 1.0)
        out = y * span + lo
        bad_row = no_ref | (r <= 0) | ((sign < 0) & (x <= 0)) | is_target[None, :]
        why = ("has no positive value of the reference unit, non-positive values of a lower-is-better "
               "indicator, or direction target", "没有参照单元的正值、低优指标出现非正值，或方向为 target")
    else:
        out = xd - rd
        bad_row = no_ref
        why = ("has no value of the reference unit", "没有参照单元的取值")
    # a (year, indicator) with any undefined row is undefined as a whole, like the other methods
    bad = pd.DataFrame(bad_row & ~np.isnan(x)).groupby(st.codes).any().to_numpy() & has
    return out, bad, why
