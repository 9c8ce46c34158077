"""Ranks (methods.md §8): 1 = best (highest score), ties share the smallest rank ("sport"
ranking: 1, 2, 2, 4), NA unranked, ranked within each year (rows with an ``<NA>`` year are one
cross-section).
"""

from __future__ import annotations

import pandas as pd

from citystd.engine.stats import section_codes


def rank(scores: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Sport ranks of every column within each year, as nullable integers (``<NA>`` for NA)."""
    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    codes = section_codes(frame.index)
    values = pd.DataFrame(frame.to_numpy(dtype=float), columns=range(frame.shape[1]))
    ranks = values.groupby(codes, sort=False).rank(method="min", ascending=False)
    out = pd.DataFrame(ranks.to_numpy(), index=frame.index, columns=frame.columns).astype("Int64")
    if isinstance(scores, pd.Series):
        return out.iloc[:, 0].rename(scores.name)
    return out
