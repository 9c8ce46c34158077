"""Calibrating goalposts on the real distribution of cities, and checking bounds against it.

The built-in library sets bounds for Chinese cities in this order (docs/format.md, "Bounds and
their basis"): a national standard or limit, a national plan target, then a calibration on the 297
cities at prefecture level and above of 中国城市统计年鉴2024 and the census, by SDSN's rule:

- **worst** = the 2.5th percentile at the bad end of the distribution (the 2.5th percentile for a
  higher-is-better indicator, the 97.5th for a lower-is-better one);
- **best** = the mean of the five best cities;
- both rounded to two significant figures (:func:`nice`).

A standard or target end is kept only while it still separates cities: an end that leaves more
than half of the cities at the same score of 0 or 100 is calibrated instead (the standard then
stays the indicator's ``target``). The **sanity check** of a set of bounds on a distribution is the
share of cities that score 0 and the share that score 100 with them (``share_0``, ``share_100``);
both must stay below one half.

Everything here is pure: a cross-section of values (cities × indicators) in, tables out.
``tools/calibrate.py`` reads the yearbook and the census through citystd's own reader, runs these
functions and writes ``docs/calibration/quantiles.csv`` and the tables of ``docs/calibration.md``;
``tests/test_calibration.py`` checks the committed table against the library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: The rule, as written in the ``basis.rule`` of a calibrated pair.
RULE_WORST = "worst = 2.5th percentile at the bad end"
RULE_BEST = "best = mean of the five best cities"
RULE = f"{RULE_WORST}; {RULE_BEST}; two significant figures"
#: A bound leaves fewer than this share of cities at 0 and at 100.
MAX_SHARE = 0.5
#: The percentiles of the quantile table (in %).
PERCENTILES = (2.5, 5, 10, 25, 50, 75, 90, 95, 97.5)
TOP = 5


def nice(x: float, digits: int = 2) -> float:
    """``x`` to ``digits`` significant figures (``38123 → 38000``, ``0.1297 → 0.13``, ``0 → 0``)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    exponent = math.floor(math.log10(abs(x)))
    return float(round(x, digits - 1 - exponent))


def pcol(p: float) -> str:
    """Column name of a percentile: ``p2.5`` → ``p2_5``."""
    return "p" + f"{p:g}".replace(".", "_")


def cross_section(values: pd.DataFrame, units: Iterable[object], *, prefer_year: int | None = None) -> pd.DataFrame:
    """One value per unit and indicator: for each indicator, its values in the latest year in which
    at least 80 % as many ``units`` have one as in its best-covered year (``prefer_year`` first when
    given), for ``units``.

    ``values`` is indexed by (unit, year). Census indicators thus come from the census year,
    yearbook indicators from the yearbook's year. Returns a frame indexed by unit with one column
    per indicator and an attribute ``years``: indicator → the year used.
    """
    units = list(units)
    years = sorted({y for y in values.index.get_level_values(1) if y == y}, reverse=True)
    if prefer_year in years:
        years.remove(prefer_year)
        years.insert(0, prefer_year)
    out = pd.DataFrame(index=pd.Index(units, name="unit"))
    used: dict[str, int] = {}
    for col in values.columns:
        found = []
        for y in years:
            try:
                s = values[col].xs(y, level=1).reindex(units)
            except KeyError:
                continue
            found.append((y, int(s.notna().sum()), s))
        most = max((n for _, n, _ in found), default=0)
        chosen = next(((y, n, s) for y, n, s in found if n > 0 and n >= 0.8 * most), None)
        if chosen is not None:
            best_year, _, best = chosen
            out[col] = best.to_numpy(dtype=float)
            used[str(col)] = int(best_year)  # type: ignore[arg-type]
    out.attrs["years"] = used
    return out


def quantiles(cross: pd.DataFrame, direction: Mapping[str, str],
              targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The distribution of every column across units: n, min, the percentiles of
    :data:`PERCENTILES` (linear interpolation), max, and the means of the five best and five worst
    units in the indicator's ``direction`` (``higher`` or ``lower``; for ``target``, of the
    five highest and lowest). For a target indicator (``targets``) also ``dist_p97_5``: the 97.5th
    percentile of the distance to the target."""
    rows = []
    for col in cross.columns:
        x = cross[col].dropna().to_numpy(dtype=float)
        row: dict[str, object] = {"indicator": col, "n": int(x.size)}
        if x.size == 0:
            rows.append(row)
            continue
        xs = np.sort(x)
        row["min"] = float(xs[0])
        for p in PERCENTILES:
            row[pcol(p)] = float(np.percentile(xs, p))
        row["max"] = float(xs[-1])
        k = min(TOP, xs.size)
        high, low = float(xs[-k:].mean()), float(xs[:k].mean())
        lower_better = direction.get(str(col)) == "lower"
        row["best5"] = low if lower_better else high
        row["worst5"] = high if lower_better else low
        t = (targets or {}).get(str(col))
        if direction.get(str(col)) == "target" and t is not None:
            row["dist_p97_5"] = float(np.percentile(np.abs(xs - t), 97.5))
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


#: The rule for a target indicator: the target scores 100, a distance from it as large as the 97.5th
#: percentile of the cities' distances scores 0.
RULE_TARGET = "best = the target; worst = the target plus the 97.5th percentile of the distances to it"


def rule_bounds(q: pd.Series, direction: str, target: float | None = None) -> tuple[float, float]:
    """(worst, best) by the rule for one row of :func:`quantiles`, to two significant figures.
    For a ``target`` indicator: (target + the 97.5th percentile of the distances, target)."""
    if direction == "target":
        if target is None or "dist_p97_5" not in q or q["dist_p97_5"] != q["dist_p97_5"]:
            raise ValueError("a target indicator needs its target and dist_p97_5")
        return nice(float(target) + float(q["dist_p97_5"])), float(target)
    worst = q[pcol(97.5)] if direction == "lower" else q[pcol(2.5)]
    return nice(float(worst)), nice(float(q["best5"]))


def shares(cross: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """Share of units scoring 0 and scoring 100 with the bounds: ``bounds`` indexed by indicator,
    columns ``direction``, ``worst``, ``best`` (and ``target`` for target indicators). Scores are
    the engine's goalposts normalisation (:func:`citystd.engine.normalise.normalise`, capped)."""
    from citystd.engine.normalise import normalise

    cols = [c for c in cross.columns if c in bounds.index]
    b = bounds.loc[cols]
    sign = b["direction"].map({"higher": 1, "lower": -1, "target": "target"})
    targets = b["target"] if "target" in b.columns else None
    scores, _ = normalise(cross[cols], "goalposts", direction=sign, goalposts=b[["worst", "best"]],
                          targets=targets)
    n = scores.notna().sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        s0 = (scores <= 0).sum() / n
        s100 = (scores >= 100).sum() / n
    return pd.DataFrame({"n": n, "share_0": s0.astype(float), "share_100": s100.astype(float)})


def leaves_room(q: pd.Series, direction: str, worst: float, best: float, target: float | None = None) -> bool:
    """True when the bounds leave fewer than half of the units at 0 and at 100, as far as the
    median tells: the median scores strictly between 0 and 100."""
    med = float(q[pcol(50)])
    if direction == "target":
        t = best if target is None else target
        return med != t and abs(med - t) < abs(worst - t)
    lo, hi = min(worst, best), max(worst, best)
    return lo < med < hi


def data_ends(rule: str, direction: str) -> list[tuple[str, str]]:
    """Which ends of a calibrated pair the data set gave, by its written ``rule``: pairs of (the
    goalposts key, the column of the rule's value) — ``("worst", "rule_worst")`` when the rule
    says ``worst = 2.5th percentile …``, ``("best", "rule_best")`` when it says ``best = mean of the
    five best cities``; both for the target rule."""
    if direction == "target":
        return [("worst", "rule_worst")] if RULE_TARGET in rule else []
    out = []
    if RULE_WORST in rule:
        out.append(("worst", "rule_worst"))
    if RULE_BEST in rule:
        out.append(("best", "rule_best"))
    return out
