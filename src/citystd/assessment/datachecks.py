"""Checks of city data before any score: pure functions, values in, diagnostics out.

Each check takes the ``values`` table of a :class:`~citystd.io.CityData` (index ``unit, year``,
one float column per id) and returns diagnostics that point at the cells as the user sees them.
Pass ``locate`` as a ``(unit, year, column) -> Location`` function, or simply the ``CityData``
itself (then its ``locate`` and ``headers`` are used); messages name the column by the header the
user wrote (``headers``), the city, the year, the value and the rule.

All checks are vectorised (numpy and pandas groupby; no loop over cells). Each lists at most
``max_diagnostics`` cells, then adds one summary diagnostic with the count of the rest.

- :func:`check_ranges` — D707, values outside an indicator's or variable's ``range``;
- :func:`check_missing_variables` — D709, variables the framework needs but the file lacks;
- :func:`check_year_jumps` — D714, a value changes by ``factor`` (default 3×) or more between
  consecutive years of a city;
- :func:`check_unit_scale` — D715, a value looks off by a power of ten (see its docs);
- :func:`check_missing_values` — D716, empty cells of columns the framework needs;
- :func:`check_city_data` — all of the above on a ``CityData``.

:func:`ratio_scale` says which columns the year-jump test applies to: a ratio of two values
means something only for quantities with a true zero (counts, amounts, levels), not for rates of
change, differences or yes/no and level scales.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg

Locate = Callable[[Hashable, "int | None", str], Location]
Range = tuple["float | None", "float | None"]

MAX_DIAGNOSTICS = 1000


# --- shared helpers ---------------------------------------------------------------------------


class _Cells:
    """Units, years, headers and locations of the cells of ``values``, computed per flagged cell.

    ``locate`` is a ``(unit, year, column) -> Location`` function, or a CityData-like object
    (with ``locate`` and ``headers``); when ``values`` is that object's own table, cells are
    located by row position, without any lookup.
    """

    def __init__(self, values: pd.DataFrame, locate: Any, headers: Mapping[str, str] | None,
                 file: str | None) -> None:
        self.file = file
        idx = values.index
        if isinstance(idx, pd.MultiIndex) and "unit" in idx.names:
            self.units = idx.get_level_values("unit").to_numpy(dtype=object)
            self.years = (idx.get_level_values("year").to_numpy(dtype="float64", na_value=np.nan)
                          if "year" in idx.names else np.full(len(idx), np.nan))
        else:
            self.units = idx.to_numpy(dtype=object)
            self.years = np.full(len(idx), np.nan)
        self.by_position = None
        self.fn: Locate | None = locate
        if locate is not None and hasattr(locate, "locate"):
            if headers is None:
                headers = getattr(locate, "headers", None)
            if getattr(locate, "values", None) is values and hasattr(locate, "locate_at"):
                self.by_position = locate.locate_at
            self.fn = locate.locate
        self.headers: Mapping[str, str] = headers or {}

    def unit(self, r: int) -> Hashable:
        return self.units[r]

    def year(self, r: int) -> int | None:
        y = self.years[r]
        return None if np.isnan(y) else int(y)

    def header(self, col: str) -> str:
        return self.headers.get(col, col)

    def where(self, r: int) -> tuple[str, str]:
        return _where(self.units[r], self.year(r))

    def location(self, r: int, col: str) -> Location:
        if self.by_position is not None:
            return self.by_position(r, col)
        if self.fn is not None:
            return self.fn(self.units[r], self.year(r), col)
        return Location(self.file)


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NA"
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def _where(unit: object, year: int | None) -> tuple[str, str]:
    if year is None:
        return f"city {unit}", f"城市 {unit}"
    return f"city {unit}, year {year}", f"城市 {unit}，{year} 年"


def _summary(code: str, n: int, cap: int, file: str | None, what_en: str, what_zh: str) -> Diagnostic:
    return Diagnostic(code, Msg(f"… and {n:,} more {what_en} (not listed; only the first {cap:,} are shown)",
                                f"……另有 {n:,} 个{what_zh}未列出（仅显示前 {cap:,} 个）"), Location(file))


# --- D707 ranges ------------------------------------------------------------------------------


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"[{_fmt(lo)}, {_fmt(hi)}]"
    if lo is not None:
        return f"≥ {_fmt(lo)}"
    return f"≤ {_fmt(hi)}"  # type: ignore[arg-type]


def outside(values: pd.DataFrame, ranges: Mapping[str, Range]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The columns of ``values`` with a range, their values, and where they lie outside it (one pass)."""
    cols = [c for c in values.columns if c in ranges and any(b is not None for b in ranges[c])]
    lo = np.array([-np.inf if ranges[c][0] is None else float(ranges[c][0]) for c in cols])  # type: ignore[arg-type]
    hi = np.array([np.inf if ranges[c][1] is None else float(ranges[c][1]) for c in cols])  # type: ignore[arg-type]
    arr = values[cols].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        return cols, arr, (arr < lo) | (arr > hi)


def check_ranges(
    values: pd.DataFrame,
    ranges: Mapping[str, Range],
    locate: Locate | Any | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    file: str | None = None,
    max_diagnostics: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """D707 for every cell outside its column's ``(lo, hi)`` range (bounds inclusive; None is open).

    Missing cells are never out of range. Columns without a range, and ranges for absent columns,
    are ignored.
    """
    cols, arr, bad = outside(values, ranges)
    if not cols or values.empty:
        return []
    rows, cidx = np.nonzero(bad)
    if not len(rows):
        return []
    cells = _Cells(values, locate, headers, file)
    out = []
    for r, c in zip(rows[:max_diagnostics], cidx[:max_diagnostics], strict=True):
        col = cols[c]
        h = cells.header(col)
        v = _fmt(arr[r, c])
        rng = _range_text(*ranges[col])
        w_en, w_zh = cells.where(r)
        out.append(Diagnostic("D707", Msg(
            f"value {v} in column \"{h}\" is outside the valid range {rng} ({w_en})",
            f"\"{h}\" 列的值 {v} 超出有效范围 {rng}（{w_zh}）"),
            cells.location(r, col),
            Msg("check the unit (percent or fraction, yuan or 10,000 yuan) and look for a typing error",
                "请检查单位（百分数或小数、元或万元）以及是否录入错误")))
    if len(rows) > max_diagnostics:
        out.append(_summary("D707", len(rows) - max_diagnostics, max_diagnostics, file,
                            "values outside their range", "超出有效范围的数值"))
    return out


# --- D709 missing variables --------------------------------------------------------------------


def check_missing_variables(
    columns_present: Iterable[str],
    needed: Mapping[str, Sequence[str]],
    *,
    file: str | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[Diagnostic]:
    """D709 for each variable in ``needed`` (variable → the indicators that need it) that is not
    among ``columns_present``. ``names`` (id → accepted headers) makes the hint name them."""
    present = set(columns_present)
    out = []
    for var in sorted(needed):
        if var in present:
            continue
        inds = list(dict.fromkeys(needed[var]))
        shown = ", ".join(inds[:10]) + (f" … (+{len(inds) - 10})" if len(inds) > 10 else "")
        accepted = [var, *[n for n in (names or {}).get(var, ()) if n and n != var]]
        heads = " / ".join(f"'{a}'" for a in accepted[:4])
        if inds:
            msg = Msg(f'variable "{var}" is needed by {shown}, but the data has no such column',
                      f'指标 {shown} 需要变量 "{var}"，但数据中没有该列')
        else:
            msg = Msg(f'variable "{var}" is needed, but the data has no such column',
                      f'需要变量 "{var}"，但数据中没有该列')
        out.append(Diagnostic("D709", msg, Location(file), Msg(
            f"add a column headed {heads}; those indicators will be missing otherwise",
            f"请添加表头为 {heads} 的列；否则这些指标将缺失")))
    return out


# --- D714 year jumps ---------------------------------------------------------------------------


def _sorted_panel(values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(order, unit codes, years, array) of the rows with a year, sorted by unit then year."""
    if not isinstance(values.index, pd.MultiIndex) or "year" not in values.index.names:
        return None
    years = values.index.get_level_values("year")
    has_year = ~np.asarray(pd.isna(years))
    if has_year.sum() < 2:
        return None
    ucodes, _ = pd.factorize(values.index.get_level_values("unit"))
    yv = np.asarray(years.to_numpy(dtype="float64", na_value=np.nan))
    rows = np.flatnonzero(has_year)
    order = rows[np.lexsort((yv[rows], ucodes[rows]))]
    return order, ucodes[order], yv[order], values.to_numpy(dtype="float64")[order]


def _previous(arr: np.ndarray, ucodes: np.ndarray, yv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cell, the last non-missing earlier value of the same unit and its year."""
    frame = pd.DataFrame(arr)
    yr = pd.DataFrame(np.where(np.isnan(arr), np.nan, yv[:, None]))
    g = pd.Series(ucodes)
    prev = frame.groupby(g).ffill().groupby(g).shift(1).to_numpy(dtype="float64")
    prev_year = yr.groupby(g).ffill().groupby(g).shift(1).to_numpy(dtype="float64")
    return prev, prev_year


def _near_power_of_ten(ratio: np.ndarray, tolerance: float) -> np.ndarray:
    """Mask of ratios within ``tolerance`` of 10**k for an integer k ≠ 0 (exact test only on the
    few ratios of at least ~9 or at most ~1/9)."""
    out = np.zeros(ratio.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.abs(np.log10(ratio))
        far = np.nonzero(np.isfinite(lg) & (lg >= np.log10(1 / (1 - tolerance)) - 1 + 1e-12) & (lg > 0.5))
        r = ratio[far]
        k = np.round(np.log10(r))
        out[far] = (k != 0) & (np.abs(r / np.power(10.0, k) - 1) <= tolerance)
    return out


def check_year_jumps(
    values: pd.DataFrame,
    factor: float = 3.0,
    locate: Locate | Any | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    file: str | None = None,
    exclude: pd.DataFrame | None = None,
    noise: float | None = None,
    max_diagnostics: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """D714 where a city's value changes by ``factor`` or more (up or down) from its previous
    reported year.

    ``noise`` (``citystd check`` uses 3): when both values are whole numbers — counts — the change
    must also exceed ``noise`` × √(the larger value), three Poisson standard deviations: a count
    of rare events going from 1 to 0 or from 2 to 7 is ordinary counting noise, not an anomaly.

    Compares positive values only (a ratio means nothing across a sign change or from zero),
    plus a drop from a positive value to exactly zero (often a missing value typed as 0). Gaps
    are allowed: the previous year is the last earlier year with a value. Cross-sectional data
    (no years) gives nothing. ``exclude`` (a boolean frame like ``values``) skips cells already
    reported otherwise (:func:`check_city_data` passes the cells flagged by the scale check).
    The default factor, 3, flags a handful of real oddities in a 30-city × 10-year yearbook
    panel (e.g. a city's gas supply falling 29-fold) and no ordinary year-to-year variation.
    """
    panel = _sorted_panel(values)
    if panel is None or values.shape[1] == 0:
        return []
    order, ucodes, yv, arr = panel
    prev, prev_year = _previous(arr, ucodes, yv)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = arr / prev
        bad = (prev > 0) & (arr >= 0) & ((ratio >= factor) | (ratio <= 1.0 / factor))
        if noise is not None:
            counts = (arr == np.floor(arr)) & (prev == np.floor(prev))
            bad &= ~(counts & (np.abs(arr - prev) <= noise * np.sqrt(np.maximum(arr, prev))))
    if exclude is not None:
        ex = exclude.reindex(index=values.index, columns=values.columns, fill_value=False)
        ex = ex.to_numpy(dtype=bool)[order]
        # skip the jump into or out of an excluded cell
        prev_ex = pd.DataFrame(ex).groupby(pd.Series(ucodes)).shift(1, fill_value=False).to_numpy(dtype=bool)
        bad &= ~ex & ~prev_ex
    rows, cidx = np.nonzero(bad)
    if not len(rows):
        return []
    cells = _Cells(values, locate, headers, file)
    cols = list(values.columns)
    out = []
    for r, c in zip(rows[:max_diagnostics], cidx[:max_diagnostics], strict=True):
        col = cols[c]
        h = cells.header(col)
        unit = cells.unit(order[r])
        y1, y0 = int(yv[r]), int(prev_year[r, c])
        v1, v0 = arr[r, c], prev[r, c]
        q = ratio[r, c]
        if v1 == 0:
            times, times_zh = "a drop to zero", "降为零"
        elif q >= 1:
            times, times_zh = f"×{q:.3g}", f"增至 {q:.3g} 倍"
        else:
            times, times_zh = f"÷{1 / q:.3g}", f"降至 1/{1 / q:.3g}"
        out.append(Diagnostic("D714", Msg(
            f"\"{h}\" of {unit} jumps from {_fmt(v0)} ({y0}) to {_fmt(v1)} ({y1}), {times}; "
            f"changes of {factor:g}× or more are flagged",
            f"{unit} 的 \"{h}\" 从 {_fmt(v0)}（{y0} 年）跳变为 {_fmt(v1)}（{y1} 年），{times_zh}；"
            f"变化达 {factor:g} 倍及以上即提示"),
            cells.location(order[r], col),
            Msg("check both values and their units; if the change is real, ignore this warning",
                "请核对这两个数值及其单位；如变化属实，可忽略此警告")))
    if len(rows) > max_diagnostics:
        out.append(_summary("D714", len(rows) - max_diagnostics, max_diagnostics, file,
                            "jumps between years", "年度跳变"))
    return out


def ratio_scale(lo: float | None, hi: float | None, unit: str | Iterable[str] = "") -> bool:
    """Whether the year-jump test (a ratio of two values) means something for a column.

    A ratio is meaningful on a *ratio scale* — a quantity with a true zero, such as a count, an
    amount, an area or a concentration. It is not for:

    - **interval-scale** quantities, whose valid range allows negative values (``lo`` < 0, or an
      upper bound without a lower one): growth rates, changes, differences, balances. Their zero
      means "no change", so a growth rate going from 2 % to 6 % (×3) is an ordinary year, not an
      anomaly. A column without any range is not known to be one, and is tested (the test
      compares positive values only);
    - **differences of percentages**, in percentage points (百分点), even when the library
      bounds them at 0 (a gap 0.5 → 1.6 points is ×3 and ordinary);
    - **yes/no and level scales** (是/否, 级, level): 1 → 0 is a change of state.

    ``unit`` is the column's unit text (or several, e.g. its Chinese and English units).
    """
    if (lo is not None and lo < 0) or (lo is None and hi is not None):
        return False
    units = [unit] if isinstance(unit, str) else list(unit)
    text = " ".join(u for u in units if u).casefold()
    return not any(word in text for word in _NOT_RATIO_UNITS)


#: Unit words of quantities that are not on a ratio scale (see :func:`ratio_scale`).
_NOT_RATIO_UNITS = ("百分点", "percentage point", "是/否", "yes/no", "级", "level")


# --- D716 missing values -----------------------------------------------------------------------


def check_missing_values(
    values: pd.DataFrame,
    needed: Mapping[str, Sequence[str]],
    locate: Locate | Any | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    file: str | None = None,
    flagged: Iterable[Location] = (),
    max_diagnostics: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """D716 for the empty cells of the columns in ``needed`` (column → the indicators needing it).

    One finding per city and column, listing the years, at the first empty cell; a city-year
    row with no value at all in those columns is one finding at the row instead. Columns absent
    from ``values`` are D709's business, not this check's. Cells at a location in ``flagged``
    (those already reported as not a number, D705, or an Excel error, D706) are not empty: they
    are left out.
    """
    cols = [c for c in values.columns if c in needed]
    if not cols or values.empty:
        return []
    arr = values[cols].to_numpy(dtype="float64")
    empty = np.isnan(arr)
    if not empty.any():
        return []
    cells = _Cells(values, locate, headers, file)
    out: list[Diagnostic] = []
    whole = empty.all(axis=1)
    bad = set(flagged)
    if bad:  # a row holding a flagged cell is not empty: its other cells are reported one by one
        for r in np.flatnonzero(whole):
            if any(cells.location(int(r), c) in bad for c in cols):
                whole[r] = False
    hint = Msg("fill it in; if the value is unknown, leave it empty and say why in the remark",
               "请填写；如数值确实无法获得，请留空并在备注中说明原因")
    for r in np.flatnonzero(whole)[:max_diagnostics]:
        w_en, w_zh = cells.where(int(r))
        out.append(Diagnostic("D716", Msg(f"no value at all for the framework's {len(cols)} items ({w_en})",
                                          f"框架所需的 {len(cols)} 项均无数值（{w_zh}）"),
                              cells.location(int(r), None), hint))
    part = empty & ~whole[:, None]
    rows, cidx = np.nonzero(part)
    if len(rows):
        ucodes, _ = pd.factorize(pd.Series(cells.units, dtype=object))
        years = cells.years[rows]
        order = np.lexsort((np.nan_to_num(years, nan=-1), cidx, ucodes[rows]))
        rows, cidx = rows[order], cidx[order]
        key = ucodes[rows] * len(cols) + cidx
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        room = max(max_diagnostics - len(out), 0)
        for a, b in zip(starts[:room], ends[:room], strict=True):
            col = cols[int(cidx[a])]
            group = [int(r) for r in rows[a:b] if not bad or cells.location(int(r), col) not in bad]
            if not group:
                continue
            r0 = group[0]
            h = cells.header(col)
            ys = [cells.year(r) for r in group]
            when = ", ".join(str(y) for y in ys if y is not None)
            unit = cells.unit(r0)
            users = list(dict.fromkeys(needed[col]))
            shown = ", ".join(users[:5]) + (f" … (+{len(users) - 5})" if len(users) > 5 else "")
            label = f'"{h}"' + (f" ({col})" if h != col else "")
            if when:
                en = f"no value for {label} of {unit} in {when}"
                zh = f"{unit} 的 {label} 在 {when} 年没有数值"
            else:
                en, zh = f"no value for {label} of {unit}", f"{unit} 的 {label} 没有数值"
            if shown:
                en += f"; {shown} cannot be computed there"
                zh += f"；{shown} 因此无法计算"
            out.append(Diagnostic("D716", Msg(en, zh), cells.location(r0, col), hint))
        if len(starts) > room:
            out.append(_summary("D716", len(starts) - room, max_diagnostics, file, "empty values", "空缺数值"))
    return out


# --- D715 unit scale ---------------------------------------------------------------------------


def unit_scale_mask(
    values: pd.DataFrame,
    *,
    tolerance: float = 0.05,
    max_spread: float = 3.0,
    min_years: int = 3,
    min_cities: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The cells :func:`check_unit_scale` flags: ``(mask, reference, basis)``.

    ``reference`` is the median the cell was compared with; ``basis`` is 1 where that is the
    city's own years, 2 where it is the other cities of the same year, 0 elsewhere.
    """
    arr = values.to_numpy(dtype="float64")
    shape = arr.shape
    mask = np.zeros(shape, dtype=bool)
    ref = np.full(shape, np.nan)
    basis = np.zeros(shape, dtype="int8")
    if arr.size == 0:
        return (pd.DataFrame(mask, index=values.index, columns=values.columns),
                pd.DataFrame(ref, index=values.index, columns=values.columns),
                pd.DataFrame(basis, index=values.index, columns=values.columns))
    pos = np.where(arr > 0, arr, np.nan)
    frame = pd.DataFrame(pos)
    idx = values.index
    units = pd.Series(pd.factorize(idx.get_level_values("unit") if isinstance(idx, pd.MultiIndex) else idx)[0])
    if isinstance(idx, pd.MultiIndex) and "year" in idx.names:
        yv = idx.get_level_values("year").to_numpy(dtype="float64", na_value=np.nan)
    else:
        yv = np.full(len(idx), np.nan)
    years = pd.Series(np.where(np.isnan(yv), -1, yv))

    # A. against the city's own years (group statistics only for columns with a candidate)
    g = frame.groupby(units)
    cnt_u = g.transform("count").to_numpy()
    enough = cnt_u >= min_years
    if enough.any():
        med_u = g.transform("median").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            cand_u = _near_power_of_ten(pos / med_u, tolerance) & enough
        cols = np.flatnonzero(cand_u.any(axis=0))
        if len(cols):
            sub = frame.iloc[:, cols].where(~cand_u[:, cols])
            gn = sub.groupby(units)
            spread = (gn.transform("max") / gn.transform("min")).to_numpy()
            n_norm = gn.transform("count").to_numpy()
            within = np.zeros(shape, dtype=bool)
            within[:, cols] = cand_u[:, cols] & (n_norm >= 2) & (spread <= max_spread)
            mask |= within
            ref = np.where(within, med_u, ref)
            basis[within] = 1

    # B. against the other cities of the same year, where the city has too few years
    few = ~enough & ~np.isnan(pos)
    if few.any():
        gy = frame.groupby(years)
        med_y = gy.transform("median").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            cand_y = _near_power_of_ten(pos / med_y, tolerance) & few
        cols = np.flatnonzero(cand_y.any(axis=0))
        if len(cols):
            sub = frame.iloc[:, cols].where(~cand_y[:, cols])
            gny = sub.groupby(years)
            q_hi = gny.quantile(0.9).reindex(years).to_numpy()
            q_lo = gny.quantile(0.1).reindex(years).to_numpy()
            n_norm = gny.transform("count").to_numpy()
            across = np.zeros(shape, dtype=bool)
            with np.errstate(divide="ignore", invalid="ignore"):
                across[:, cols] = cand_y[:, cols] & (n_norm >= min_cities) & (q_hi / q_lo <= max_spread)
            mask |= across
            ref = np.where(across, med_y, ref)
            basis[across] = 2
    return (pd.DataFrame(mask, index=values.index, columns=values.columns),
            pd.DataFrame(ref, index=values.index, columns=values.columns),
            pd.DataFrame(basis, index=values.index, columns=values.columns))


def check_unit_scale(
    values: pd.DataFrame,
    locate: Locate | Any | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    file: str | None = None,
    tolerance: float = 0.05,
    max_spread: float = 3.0,
    min_years: int = 3,
    min_cities: int = 5,
    max_diagnostics: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """D715 where a value looks off by a power of ten — the signature of a unit mistake (元 for
    万元, a fraction for a percent, metres for kilometres).

    The heuristic, per column, on positive values:

    1. **Against the city's own years** (when the city has ``min_years``, default 3, values of
       the column): the ratio of the value to the median of the city's values is within
       ``tolerance`` (5%) of 10, 100, 0.1 … (so ≥ 9.5 or ≤ 1/9.5), and the city's *other*
       values are consistent (largest / smallest ≤ ``max_spread``, default 3). A growing series
       (1, 3, 10, 30, 100) is therefore not flagged.
    2. **Against the other cities of the same year** (cross-sectional data, or a city with fewer
       years): the same ratio test against the median of the cities, but only when the other
       cities are tight (90th / 10th percentile ≤ ``max_spread``) and at least ``min_cities``.
       Indicators that naturally vary by orders of magnitude between cities (population) are
       never flagged this way.

    A ratio can land near a power of ten by chance; the consistency conditions keep that rare.
    """
    mask, ref, basis = unit_scale_mask(values, tolerance=tolerance, max_spread=max_spread,
                                       min_years=min_years, min_cities=min_cities)
    return _unit_scale_diagnostics(values, mask, ref, basis, locate, headers, file, max_diagnostics)


def _unit_scale_diagnostics(values: pd.DataFrame, mask: pd.DataFrame, ref: pd.DataFrame, basis: pd.DataFrame,
                            locate: Any, headers: Mapping[str, str] | None, file: str | None,
                            max_diagnostics: int) -> list[Diagnostic]:
    m = mask.to_numpy()
    rows, cidx = np.nonzero(m)
    if not len(rows):
        return []
    arr = values.to_numpy(dtype="float64")
    refs = ref.to_numpy()
    bas = basis.to_numpy()
    cells = _Cells(values, locate, headers, file)
    cols = list(values.columns)
    out = []
    for r, c in zip(rows[:max_diagnostics], cidx[:max_diagnostics], strict=True):
        col = cols[c]
        h = cells.header(col)
        year = cells.year(r)
        v, med = arr[r, c], refs[r, c]
        k = round(math.log10(v / med))
        size = f"{10 ** abs(k):,}× too {'large' if k > 0 else 'small'}"
        size_zh = f"{'大' if k > 0 else '小'}了约 {10 ** abs(k):,} 倍"
        w_en, w_zh = cells.where(r)
        if bas[r, c] == 1:
            cmp_en, cmp_zh = f"the city's other years (median {_fmt(med)})", f"该城市其他年份（中位数 {_fmt(med)}）"
        else:
            yr = f" in {year}" if year is not None else ""
            yr_zh = f" {year} 年" if year is not None else ""
            cmp_en, cmp_zh = f"the other cities{yr} (median {_fmt(med)})", f"其他城市{yr_zh}（中位数 {_fmt(med)}）"
        out.append(Diagnostic("D715", Msg(
            f"value {_fmt(v)} in column \"{h}\" looks {size} compared with {cmp_en} ({w_en})",
            f"\"{h}\" 列的值 {_fmt(v)} 与{cmp_zh}相比{size_zh}（{w_zh}）"),
            cells.location(r, col),
            Msg("check the unit of this value (元 or 万元, % or fraction, m or km)",
                "请检查该数值的单位（元或万元、百分数或小数、米或千米）")))
    if len(rows) > max_diagnostics:
        out.append(_summary("D715", len(rows) - max_diagnostics, max_diagnostics, file,
                            "values off by a power of ten", "疑似量级错误的数值"))
    return out


# --- all together ------------------------------------------------------------------------------


def check_city_data(
    data: Any,
    *,
    ranges: Mapping[str, Range] | None = None,
    needed: Mapping[str, Sequence[str]] | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
    jump_factor: float | None = 3.0,
    unit_scale: bool = True,
    jump_columns: Iterable[str] | None = None,
    jump_noise: float | None = None,
    max_diagnostics: int = MAX_DIAGNOSTICS,
) -> list[Diagnostic]:
    """Run the checks on a :class:`~citystd.io.CityData`: D709, D707, D715, then D714 (skipping
    jumps into or out of a cell already flagged as a power-of-ten error). ``jump_factor=None``
    or ``unit_scale=False`` turn those off. ``jump_columns`` limits D714 to those columns (the
    ratio-scale ones, see :func:`ratio_scale`); None tests every column. ``jump_noise`` is
    :func:`check_year_jumps`' ``noise``."""
    values = data.values
    file = data.source.file
    out: list[Diagnostic] = []
    if needed:
        out += check_missing_variables(values.columns, needed, file=file, names=names)
    if ranges:
        out += check_ranges(values, ranges, data, file=file, max_diagnostics=max_diagnostics)
    exclude = None
    if unit_scale:
        mask, ref, basis = unit_scale_mask(values)
        out += _unit_scale_diagnostics(values, mask, ref, basis, data, None, file, max_diagnostics)
        exclude = mask
    if jump_factor is not None:
        if jump_columns is not None:
            keep = set(jump_columns)
            cols = [c for c in values.columns if c in keep]
            out += check_year_jumps(values[cols], jump_factor, data.locate, headers=data.headers, file=file,
                                    exclude=None if exclude is None else exclude[cols], noise=jump_noise,
                                    max_diagnostics=max_diagnostics)
        else:
            out += check_year_jumps(values, jump_factor, data, file=file, exclude=exclude, noise=jump_noise,
                                    max_diagnostics=max_diagnostics)
    return out
