"""Screen units by data availability (methods.md §2).

For each row (a unit in one year; for cross-sectional data simply a unit), over the indicator
columns ``indicators`` (default: all columns):

- availability = (#non-NA) / (#indicators)  (= 1 − #NA / #indicators);
- ``min_coverage: p`` drops the row when availability < p;
- ``min_nonzero: q`` drops the row when (#non-zero non-NA) / (#non-NA) < q (a row with no data
  has share 0).

Dropped rows are returned with their reason, never silently lost; :func:`screen_diagnostics`
turns them into E809 warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg
from citystd.engine.stats import select_columns, unit_values, year_values

DROPPED_COLUMNS = ["unit", "year", "availability", "nonzero_share", "reason"]


def screen(
    data: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    min_coverage: float = 0.0,
    min_nonzero: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows whose availability is below ``min_coverage`` (or non-zero share below ``min_nonzero``).

    Returns ``(kept, dropped)``: ``kept`` is ``data`` without the dropped rows (all columns kept);
    ``dropped`` has columns ``unit, year, availability, nonzero_share, reason`` where ``reason`` is
    ``min_coverage``, ``min_nonzero`` or ``min_coverage+min_nonzero``.
    """
    cols = select_columns(data, indicators, "screen")
    x = data[cols].to_numpy(dtype=float)
    k = len(cols)
    valid = ~np.isnan(x)
    n_valid = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        availability = n_valid / k if k else np.ones(len(data))
        nonzero = (valid & (x != 0)).sum(axis=1)
        nonzero_share = np.where(n_valid > 0, nonzero / np.maximum(n_valid, 1), 0.0)
    low_cov = availability < min_coverage
    low_nz = nonzero_share < min_nonzero if min_nonzero is not None else np.zeros(len(data), dtype=bool)
    drop = low_cov | low_nz
    reason = np.where(low_cov & low_nz, "min_coverage+min_nonzero", np.where(low_cov, "min_coverage", "min_nonzero"))
    dropped = pd.DataFrame(
        {
            "unit": unit_values(data.index)[drop],
            "year": pd.array(np.asarray(year_values(data.index), dtype=object)[drop], dtype="Int64"),
            "availability": availability[drop],
            "nonzero_share": nonzero_share[drop],
            "reason": reason[drop].astype(object),
        },
        columns=DROPPED_COLUMNS,
    )
    return data.loc[~drop].copy(), dropped


def screen_diagnostics(dropped: pd.DataFrame) -> list[Diagnostic]:
    """One E809 warning per dropped row, naming the unit, year, availability and reason."""
    out = []
    for row in dropped.itertuples(index=False):  # reporting only, not a hot path
        when = "" if pd.isna(row.year) else f" ({row.year})"
        pct = f"{row.availability:.0%}"
        nz = f"{row.nonzero_share:.0%}"
        if row.reason == "min_nonzero":
            en = f"unit {row.unit}{when} dropped: only {nz} of its values are non-zero"
            zh = f"单元 {row.unit}{when} 被筛除：非零值仅占 {nz}"
        else:
            en = f"unit {row.unit}{when} dropped: data availability {pct} is below the minimum"
            zh = f"单元 {row.unit}{when} 被筛除：数据可得率 {pct} 低于下限"
        out.append(Diagnostic("E809", Msg(en, zh)))
    return out
