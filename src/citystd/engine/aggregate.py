"""Aggregate a node's children into the node's score (methods.md §7).

Input: a DataFrame whose columns are the node's children (rows = unit × year, values already
normalised, higher is better) and their weights w (relative; children with weight 0 are shown
but not scored: they are ignored here). Per row, NA children are dropped and the remaining
weights renormalised:

| method | value |
|---|---|
| ``arithmetic`` | Σ wᵢxᵢ / Σ wᵢ |
| ``geometric`` | exp(Σ wᵢ ln xᵢ / Σ wᵢ); every xᵢ must be > 0, otherwise E802 names the node and units |
| ``harmonic`` | Σ wᵢ / Σ (wᵢ/xᵢ); every xᵢ must be ≠ 0 (E802) |
| ``power`` | the generalised mean with exponent p: (Σ wᵢ xᵢ^p / Σ wᵢ)^{1/p}; p = 0 is its limit, the geometric mean; p = 1 is the arithmetic mean (any values); otherwise every xᵢ must be ≥ 0 for p > 0 and > 0 for p ≤ 0 (E802) |
| ``median`` | weighted median: sort the row's values ascending; the smallest value whose cumulative weight is ≥ ½ Σ wᵢ (within a relative 1e-12, so that rounding of fractional weights cannot move it); with an even number of equal weights this is the lower middle value |
| ``copeland`` | within each year, w normalised to sum 1 over all children; o_ab = Σ w over children where both a and b have data and a > b, plus ½ Σ w where a = b (NA comparisons add 0 to both o_ab and o_ba); score_a = Σ_{b≠a} sign(o_ab − ½) |
| ``outranking`` | within each year, o_ab as for ``copeland``; score_a = Σ_{b≠a} o_ab, the row sum of the outranking matrix (COINr's vignette: "the sum of the row values") |
| ``topsis`` | within each year: v_ij = w_j x_ij; v⁺_j, v⁻_j = max and min of v_ij over the units; D⁺_i = √Σ_j (v_ij − v⁺_j)², D⁻_i = √Σ_j (v_ij − v⁻_j)² over the unit's children with data; C_i = D⁻/(D⁺ + D⁻)·100. (Renormalising a unit's weights over its available children multiplies D⁺ and D⁻ by the same factor, so C does not depend on it.) |

``min_coverage: c``: a row's score is NaN when (#children with data)/(#children) < c; such rows
also take no part in the Copeland and outranking comparisons or in the TOPSIS ideal points.

COINr computes the lower triangle of its outranking matrix as 1 − the upper one; without missing
values this equals the definition above (which is also what the oracle checks); with missing
values methods.md's "NA comparisons add 0" is used, which keeps the result independent of the
order of the units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import error
from citystd.engine.stats import make_records, section_codes, sections, unit_values, units_text
from citystd.library.pipeline import AggregateMethod  # the method names are the spec's

_NAME_ZH = {"geometric": "几何平均", "harmonic": "调和平均", "power": "幂平均"}
_CELLS = 4_000_000  # cells per chunk of the pairwise Copeland comparisons


def _weights(children: pd.DataFrame, weights: pd.Series | Sequence[float] | np.ndarray | None, node: str) -> np.ndarray:
    k = children.shape[1]
    if weights is None:
        return np.ones(k)
    if isinstance(weights, pd.Series):
        missing = [c for c in children.columns if c not in weights.index]
        if missing:
            raise error("E801", f"node {node}: no weight for child(ren) {', '.join(map(str, missing))}",
                        f"节点 {node}：子节点 {', '.join(map(str, missing))} 没有权重")
        w = weights.reindex(children.columns).to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (k,):
            raise error("E801", f"node {node}: {len(w)} weights for {k} children", f"节点 {node}：{k} 个子节点却有 {len(w)} 个权重")
    if np.isnan(w).any() or (w < 0).any():
        raise error("T503", f"node {node}: weights must be non-negative numbers", f"节点 {node}：权重必须为非负数")
    return w


def outranking(
    children: pd.DataFrame, weights: pd.Series | Sequence[float] | np.ndarray | None = None, node: str = "?"
) -> pd.DataFrame:
    """The outranking matrix o_ab of the rows of ``children`` (one cross-section); diagonal 0."""
    w = _weights(children, weights, node)
    keep = w > 0
    x = children.to_numpy(dtype=float)[:, keep]
    wn = w[keep] / w[keep].sum() if keep.any() else w[keep]
    o = _outrank(x, wn)
    return pd.DataFrame(o, index=children.index, columns=children.index)


def _outrank(x: np.ndarray, w: np.ndarray, rows: slice | None = None) -> np.ndarray:
    """o[a, b] for a in ``rows`` (default all) and all b; NA comparisons add 0; diagonal 0."""
    a = x if rows is None else x[rows]
    xa, xb = a[:, None, :], x[None, :, :]
    # comparisons with NaN are False, so a missing value adds 0 to both o_ab and o_ba
    o = (xa > xb) @ w + 0.5 * ((xa == xb) @ w)
    start = 0 if rows is None else rows.start
    idx = np.arange(o.shape[0])
    o[idx, idx + start] = 0.0
    return o


def _copeland(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    n, k = x.shape
    score = np.zeros(n)
    wn = w / w.sum()
    block = max(1, _CELLS // max(1, n * k))
    for start in range(0, n, block):  # chunks of rows bound the n × n × k memory
        sl = slice(start, min(start + block, n))
        diff = _outrank(x, wn, sl) - 0.5
        s = np.sign(np.where(np.abs(diff) <= 1e-12, 0.0, diff))
        s[np.arange(s.shape[0]), np.arange(sl.start, sl.stop)] = 0.0
        score[sl] = s.sum(axis=1)
    return score


def _outranking_sum(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    n, k = x.shape
    score = np.zeros(n)
    wn = w / w.sum()
    block = max(1, _CELLS // max(1, n * k))
    for start in range(0, n, block):  # chunks of rows bound the n × n × k memory
        sl = slice(start, min(start + block, n))
        score[sl] = _outrank(x, wn, sl).sum(axis=1)  # the diagonal is 0
    return score


def dominance(
    children: pd.DataFrame, weights: pd.Series | Sequence[float] | np.ndarray | None = None, node: str = "?"
) -> tuple[int, float]:
    """Dominance pairs of one cross-section: ``(count, share of all pairs)``.

    Unit a dominates b when o_ab = 1 (a is strictly better on every child with weight > 0, both
    having data); n units make n(n − 1)/2 pairs. COINr's ``outrankMatrix`` reports the same
    (``nDominant``, ``fracDominant``) as a robustness measure: no weighting can reverse the order
    of a dominant pair.
    """
    n = len(children)
    if n < 2:
        return 0, float("nan")
    o = outranking(children, weights, node).to_numpy()
    count = int(np.sum(np.abs(o - 1.0) <= 1e-12))
    return count, count / (n * (n - 1) / 2)


def _topsis(x: np.ndarray, w: np.ndarray, index: pd.Index, rows: np.ndarray, node: str) -> np.ndarray:
    v = x * (w / w.sum())
    best, worst = np.nanmax(v, axis=0), np.nanmin(v, axis=0)
    dp = np.sqrt(np.nansum((v - best) ** 2, axis=1))
    dm = np.sqrt(np.nansum((v - worst) ** 2, axis=1))
    tot = dp + dm
    bad = tot == 0
    if bad.any():
        units = unit_values(index)[rows[bad]]
        raise error(
            "E801",
            f"topsis at node {node}: units {units_text(units)} are at both the best and the worst value of every child (all children constant)",
            f"节点 {node} 的 TOPSIS：单元 {units_text(units)} 的每个子指标都同时处于最好值和最差值（子指标均为常数）",
        )
    return dm / tot * 100.0


def aggregate(
    children: pd.DataFrame,
    weights: pd.Series | Sequence[float] | np.ndarray | None = None,
    method: AggregateMethod = "arithmetic",
    min_coverage: float = 0.0,
    node: str = "?",
    p: float | None = None,
) -> pd.Series:
    """The score of node ``node`` for every row of ``children`` (see the module docstring).

    ``weights``: a Series indexed by child id, or a sequence aligned to the columns (default
    equal); ``p``: the exponent of ``power``. Returns a float Series named ``node`` (NaN where no child has data or coverage is
    below ``min_coverage``).
    """
    w_all = _weights(children, weights, node)
    scored = w_all > 0
    x = children.to_numpy(dtype=float)[:, scored]
    w = w_all[scored]
    n_rows, k = x.shape
    out = np.full(n_rows, np.nan)
    if k == 0:
        return pd.Series(out, index=children.index, name=node)
    valid = ~np.isnan(x)
    n_valid = valid.sum(axis=1)
    ok = (n_valid > 0) & (n_valid / k >= min_coverage)
    wv = np.where(valid, w, 0.0)
    wsum = wv.sum(axis=1)
    xz = np.where(valid, x, 0.0)

    if method == "power":
        if p is None or not np.isfinite(p):
            raise error("E801", f"power aggregation at node {node} needs a finite exponent p, not {p}",
                        f"节点 {node} 的幂平均需要有限的指数 p，而不是 {p}")
        if p == 0:
            method = "geometric"
        elif p == 1:
            method = "arithmetic"
    if method in ("geometric", "harmonic", "power"):
        if method == "power":
            neg = (x < 0) if p > 0 else (x <= 0)  # type: ignore[operator]
        else:
            neg = (x <= 0) if method == "geometric" else (x == 0)
        bad = (valid & neg).any(axis=1) & ok
        if bad.any():
            units = unit_values(children.index)[bad]
            need_en = "≥ 0" if method == "power" and p > 0 else ("≠ 0" if method == "harmonic" else "> 0")  # type: ignore[operator]
            raise error(
                "E802",
                f"{method} aggregation at node {node} needs values {need_en}; units: {units_text(units)}",
                f"节点 {node} 的{_NAME_ZH[method]}需要取值 {need_en}；涉及单元：{units_text(units)}",
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "arithmetic":
            val = (wv * xz).sum(axis=1) / wsum
        elif method == "geometric":
            val = np.exp((wv * np.log(np.where(valid, x, 1.0))).sum(axis=1) / wsum)
        elif method == "harmonic":
            val = wsum / (wv / np.where(valid, x, 1.0)).sum(axis=1)
        elif method == "power":
            val = ((wv * np.where(valid, x, 1.0) ** p).sum(axis=1) / wsum) ** (1.0 / p)  # type: ignore[operator]
        elif method == "median":
            order = np.argsort(np.where(valid, x, np.inf), axis=1, kind="stable")
            xs = np.take_along_axis(x, order, axis=1)
            cw = np.cumsum(np.take_along_axis(wv, order, axis=1), axis=1)
            reach = cw >= 0.5 * wsum[:, None] * (1 - 1e-12)
            first = np.argmax(reach, axis=1)
            val = xs[np.arange(n_rows), first]
        elif method in ("copeland", "outranking", "topsis"):
            val = np.full(n_rows, np.nan)
            for rows in sections(children.index):  # one pass per year
                rows = rows[ok[rows]]
                if rows.size == 0:
                    continue
                if method == "copeland":
                    val[rows] = _copeland(x[rows], w)
                elif method == "outranking":
                    val[rows] = _outranking_sum(x[rows], w)
                else:
                    val[rows] = _topsis(x[rows], w, children.index, rows, node)
        else:
            raise error("E801", f"unknown aggregation method {method!r}", f"未知的聚合方法 {method!r}")
    out[ok] = val[ok]
    return pd.Series(out, index=children.index, name=node)


def fill_scores(
    scores: pd.Series, fill: Literal["mean", "group_mean"], by: pd.Series | None = None
) -> tuple[pd.Series, pd.DataFrame]:
    """Fill a node's missing scores with the mean of the node over the units that have it.

    Within each year; ``group_mean`` uses the unit's group ``by`` (aligned to the rows or indexed
    by unit; a unit without a group stays NA). Returns ``(filled, records)`` (stage ``aggregate``,
    action ``filled:<fill>``).
    """
    from citystd.engine.impute import _group_labels  # shared alignment rule

    keys: list[np.ndarray] = [section_codes(scores.index)]
    if fill == "group_mean":
        if by is None:
            raise error("E801", "fill: group_mean needs the unit groups `by`", "fill: group_mean 需要分组属性 `by`")
        keys.append(pd.factorize(_group_labels(by, scores.index), use_na_sentinel=True)[0])
    elif fill != "mean":
        raise error("E801", f"unknown fill method {fill!r}", f"未知的填补方法 {fill!r}")
    vals = scores.to_numpy(dtype=float)
    means = pd.Series(vals).groupby(keys, sort=False).transform("mean").to_numpy(dtype=float, copy=True)
    if fill == "group_mean":
        means[keys[1] < 0] = np.nan
    mask = np.isnan(vals) & ~np.isnan(means)
    after = np.where(mask, means, vals)
    name = str(scores.name) if scores.name is not None else "score"
    records = make_records(scores.index, [name], mask[:, None], vals[:, None], after[:, None], "aggregate", f"filled:{fill}")
    return pd.Series(after, index=scores.index, name=scores.name), records
