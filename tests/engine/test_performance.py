"""A guard against Python loops over rows or columns: 10,000 units × 300 indicators."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from citystd.engine.aggregate import aggregate
from citystd.engine.normalise import normalise
from citystd.engine.rank import rank
from citystd.engine.treat import treat


def test_treat_normalise_aggregate_10000_by_300_is_fast() -> None:
    rng = np.random.default_rng(0)
    n, k = 10_000, 300
    idx = pd.MultiIndex.from_arrays(
        [[f"u{i}" for i in range(n)], pd.array([2020] * n, dtype="Int64")], names=["unit", "year"]
    )
    x = rng.lognormal(sigma=1.0, size=(n, k))
    x[rng.random((n, k)) < 0.05] = np.nan
    data = pd.DataFrame(x, index=idx, columns=[f"i{j}" for j in range(k)])
    start = time.perf_counter()
    treated, records = treat(data)
    scores, diags = normalise(treated, "minmax")
    index = aggregate(scores, None, "arithmetic", min_coverage=0.5, node="index")
    ranks = rank(index)
    elapsed = time.perf_counter() - start
    assert not diags and len(records) > 0 and ranks.notna().all()
    assert elapsed < 15.0, f"took {elapsed:.1f} s (about 1 s expected)"
