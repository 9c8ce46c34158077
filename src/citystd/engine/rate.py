"""Traffic-light ratings (methods.md §8).

**Indicator colour.** Thresholds ``green``, ``yellow``, ``orange`` are in indicator units and
compared in the indicator's direction: a value is *at least as good as* a threshold c when
x ≥ c (``higher``), x ≤ c (``lower``), or |x − t| ≤ c (``target`` t: the thresholds of a target
indicator are distances to the target, as in docs/format.md and validation rule N404). Colour = green if at least as good as green; else yellow if at least as good as yellow;
else orange if at least as good as orange; else red. NA → gray. (SDSN's two thresholds map to
green = Green Threshold, yellow = their midpoint, orange = Red Threshold.)

**Node colour** from its children's colours on the scale red 0, orange 1, yellow 2, green 3
(gray children have no data). A node is gray when the share of its children with data is below
``min_coverage`` (default ½). Otherwise:

- ``mean_colour``: red when more than ``red_share`` (default ⅓) of its children *with data* are
  red; else the colour of ⌊mean level⌋ — the mean rounded **down** (a node is green only when its
  children average green). Checked on the SDSN European Cities 2019 dashboard (675 goal × city
  cells): rounding down reproduces 579 published goal colours, rounding to the nearest 435–475.
  No rule on colours alone reproduces them all: the published goal colours follow the underlying
  values (e.g. green + yellow gives yellow for one city, yellow + orange gives yellow for another).
- ``two_worst``: the mean level of its two worst children (the one child if only one has data),
  rounded half **up** (ties go to the better colour: red + orange → orange), which reproduced
  593 of the 675 published goal colours (rounding down: 562).
- ``sdsn``: from the indicators' *values*, not their colours. Each value is placed on a continuous
  scale 0–4 by linear interpolation through worst goalpost → 0, orange → 1, yellow → 2, green → 3,
  best goalpost → 4 (clamped; :func:`scale_levels`). With a and b the node's two lowest values (the
  one value if only one has data): green if both ≥ 3, red if both < 1, else yellow if mean(a, b) ≥ 2,
  else orange (:func:`node_colours_scaled`). This rule was found while replicating the SDSN
  European Cities SDG Index 2019 and reproduces all 675 published goal colours
  (docs/replication-euro-cities.md).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import error
from citystd.engine.stats import parse_direction, target_values

#: Colour names by level: 0 red, 1 orange, 2 yellow, 3 green.
COLOURS = ("red", "orange", "yellow", "green")
GRAY = "gray"
_LEVEL = {"red": 0.0, "orange": 1.0, "yellow": 2.0, "green": 3.0}


def colour_levels(
    data: pd.DataFrame,
    thresholds: pd.DataFrame,
    direction: pd.Series | None = None,
    targets: pd.Series | None = None,
) -> pd.DataFrame:
    """Colour level of every cell: 3 green, 2 yellow, 1 orange, 0 red, NaN for NA (see module doc).

    ``thresholds`` has columns ``green, yellow, orange`` indexed by indicator id; an indicator of
    ``data`` with a missing threshold is an error (E807).
    """
    cols = list(data.columns)
    need = ["green", "yellow", "orange"]
    absent = [c for c in need if c not in thresholds.columns]
    if absent:
        raise error("E807", f"thresholds table lacks column(s) {', '.join(absent)}", f"评级阈值表缺少列 {', '.join(absent)}")
    th = thresholds.reindex(cols)[need].to_numpy(dtype=float)
    missing = [c for c, row in zip(cols, th, strict=True) if np.isnan(row).any()]
    if missing:
        names = ", ".join(missing)
        raise error("E807", f"indicator(s) {names} have no (complete) thresholds green/yellow/orange",
                    f"指标 {names} 缺少完整的评级阈值（green/yellow/orange）")
    sign, is_target = parse_direction(direction, cols)
    t = target_values(cols, targets, is_target)
    x = data.to_numpy(dtype=float)
    tt = np.where(is_target, t, 0.0)
    xd = np.where(is_target, -np.abs(x - tt), x * sign)
    # for a target indicator the thresholds are distances to the target (docs/format.md, rule N404)
    thd = np.where(is_target[:, None], -np.abs(th), th * sign[:, None])  # (k, 3)
    green, yellow, orange = (xd >= thd[:, 0]), (xd >= thd[:, 1]), (xd >= thd[:, 2])
    level = np.select([green, yellow, orange], [3.0, 2.0, 1.0], default=0.0)
    level[np.isnan(x)] = np.nan
    return pd.DataFrame(level, index=data.index, columns=data.columns)


def levels_to_colours(levels: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Map levels 0–3 to colour names (NaN → gray)."""
    arr = np.asarray(levels, dtype=float)
    names = np.array((*COLOURS, GRAY), dtype=object)
    out = names[np.where(np.isnan(arr), 4, np.clip(np.nan_to_num(arr), 0, 3)).astype(int)]
    if isinstance(levels, pd.Series):
        return pd.Series(out, index=levels.index, name=levels.name, dtype=object)
    return pd.DataFrame(out, index=levels.index, columns=levels.columns, dtype=object)


def colours_to_levels(colours: pd.DataFrame) -> pd.DataFrame:
    """Map colour names to levels (red 0 … green 3); gray or missing → NaN."""
    return colours.apply(lambda s: s.map(_LEVEL)).astype(float)


def indicator_colours(
    data: pd.DataFrame,
    thresholds: pd.DataFrame,
    direction: pd.Series | None = None,
    targets: pd.Series | None = None,
) -> pd.DataFrame:
    """Colour name (green / yellow / orange / red / gray) of every cell; see :func:`colour_levels`."""
    return levels_to_colours(colour_levels(data, thresholds, direction, targets))


def node_colours(
    children: pd.DataFrame,
    nodes: Literal["mean_colour", "two_worst"] = "mean_colour",
    red_share: float = 1 / 3,
    min_coverage: float = 0.5,
) -> pd.Series:
    """A node's colour per row from its children's colours (names, or levels 0–3 with NaN).

    Parameters are those of the pipeline step ``rate``; the rules are in the module docstring.
    """
    if children.shape[1] == 0:
        raise error("E801", "a node without children cannot be rated", "没有子节点的节点无法评级")
    if all(pd.api.types.is_numeric_dtype(t) for t in children.dtypes):
        lv = children.to_numpy(dtype=float)
    else:
        lv = colours_to_levels(children).to_numpy(dtype=float)
    valid = ~np.isnan(lv)
    n = valid.sum(axis=1)
    k = lv.shape[1]
    gray = n / k < min_coverage
    gray |= n == 0
    safe_n = np.maximum(n, 1)
    if nodes == "mean_colour":
        total = np.where(valid, lv, 0).sum(axis=1).round().astype(int)  # integer levels: exact
        level = (total // safe_n).astype(float)
        reds = (valid & (lv == 0)).sum(axis=1)
        level[reds / safe_n > red_share] = 0.0
    elif nodes == "two_worst":
        s = np.sort(np.where(valid, lv, np.inf), axis=1)
        worst = s[:, 0]
        second = s[:, 1] if k > 1 else np.full(len(s), np.inf)
        second = np.where(np.isinf(second), worst, second)
        level = np.floor((worst + second) / 2 + 0.5)
    else:
        raise error("E801", f"unknown node rating method {nodes!r}", f"未知的节点评级方法 {nodes!r}")
    level = np.where(gray, np.nan, level)
    return levels_to_colours(pd.Series(level, index=children.index, name="colour"))


def scale_levels(
    data: pd.DataFrame,
    thresholds: pd.DataFrame,
    goalposts: pd.DataFrame,
    direction: pd.Series | None = None,
    targets: pd.Series | None = None,
) -> pd.DataFrame:
    """Continuous level 0–4 of every cell: worst → 0, orange → 1, yellow → 2, green → 3, best → 4.

    Linear between the knots and clamped outside them, in the indicator's direction (``target``:
    on the distance to the target, the thresholds being distances). Knots out of order (a
    threshold beyond a goalpost) are sorted together with their levels. NaN stays NaN.
    """
    cols = list(data.columns)
    th = thresholds.reindex(cols)[["green", "yellow", "orange"]].to_numpy(dtype=float)
    gp = goalposts.reindex(cols)[["worst", "best"]].to_numpy(dtype=float)
    sign, is_target = parse_direction(direction, cols)
    t = target_values(cols, targets, is_target)
    tt = np.where(is_target, t, 0.0)
    x = data.to_numpy(dtype=float)
    xd = np.where(is_target, -np.abs(x - tt), x * sign)
    raw = np.column_stack([gp[:, 0], th[:, 2], th[:, 1], th[:, 0], gp[:, 1]])  # worst, orange, yellow, green, best
    knots = np.where(is_target[:, None],
                     np.column_stack([-np.abs(gp[:, 0] - tt), -np.abs(th[:, 2]), -np.abs(th[:, 1]),
                                      -np.abs(th[:, 0]), np.zeros(len(cols))]),
                     raw * sign[:, None])
    order = np.argsort(knots, axis=1, kind="stable")
    k = np.take_along_axis(knots, order, axis=1)  # (cols, 5) increasing
    lv = np.take_along_axis(np.broadcast_to(np.arange(5.0), knots.shape), order, axis=1)
    out = np.where(xd <= k[:, 0], lv[:, 0], lv[:, 4])
    for j in range(4):  # four linear pieces, each vectorised over all cells
        lo, hi = k[:, j], k[:, j + 1]
        inside = (xd >= lo) & (xd <= hi) & (hi > lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            piece = lv[:, j] + (xd - lo) / (hi - lo) * (lv[:, j + 1] - lv[:, j])
        out = np.where(inside, piece, out)
    out[np.isnan(x)] = np.nan
    return pd.DataFrame(out, index=data.index, columns=data.columns)


def node_colours_scaled(scale: pd.DataFrame, min_coverage: float = 0.5) -> pd.Series:
    """A node's colour from its indicators' continuous levels (the ``sdsn`` rule, module docstring)."""
    v = np.sort(scale.to_numpy(dtype=float), axis=1)  # NaN sorts last
    k = v.shape[1]
    if k == 0:
        raise error("E801", "a node without indicators cannot be rated", "没有指标的节点无法评级")
    n = (~np.isnan(v)).sum(axis=1)
    a = v[:, 0]
    b = np.where(n > 1, v[:, min(1, k - 1)], a)
    colour = np.where((a >= 3) & (b >= 3), "green", np.where((a < 1) & (b < 1), "red",
                      np.where((a + b) / 2 >= 2, "yellow", "orange"))).astype(object)
    colour[(n == 0) | (n / k < min_coverage)] = "gray"
    return pd.Series(colour, index=scale.index, name="colour", dtype=object)
