from __future__ import annotations

import numpy as np
import pandas as pd
from engine_testing import cross_section, panel
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.engine.rank import rank


def test_sport_ranking_ties_share_smallest_rank() -> None:
    scores = cross_section({"index": [70, 90, 80, 80, None, 10]})
    r = rank(scores)
    assert r["index"].tolist() == [4, 1, 2, 2, pd.NA, 5]
    assert str(r["index"].dtype) == "Int64"


def test_series_input_and_name_kept() -> None:
    s = cross_section({"idx": [1, 3, 2]})["idx"]
    r = rank(s)
    assert isinstance(r, pd.Series) and r.name == "idx" and r.tolist() == [3, 1, 2]


def test_ranked_within_each_year() -> None:
    data = panel(
        {
            ("a", 2020): {"s": 1},
            ("b", 2020): {"s": 2},
            ("a", 2021): {"s": 5},
            ("b", 2021): {"s": 4},
            ("c", 2021): {"s": 5},
        }
    )
    assert rank(data)["s"].tolist() == [2, 1, 1, 3, 1]


def test_all_columns_at_once() -> None:
    data = cross_section({"x": [1, 2], "y": [2, 1]})
    r = rank(data)
    assert r["x"].tolist() == [2, 1] and r["y"].tolist() == [1, 2]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([2020, 2021, None]),
                          st.lists(st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.5, 2.0, 50.0, float("inf"),
                                                                          float("-inf")]),
                                             st.floats(-1e6, 1e6)), min_size=3, max_size=3)),
                min_size=0, max_size=25))
def test_equals_pandas_min_rank_within_each_year(rows: list) -> None:
    """The numpy ranking equals pandas' rank(method="min", ascending=False) per year, NA unranked."""
    years = [y for y, _ in rows]
    index = pd.MultiIndex.from_arrays([[f"u{i}" for i in range(len(rows))], pd.array(years, dtype="Int64")],
                                      names=["unit", "year"])
    data = pd.DataFrame([[np.nan if v is None else v for v in vals] for _, vals in rows] or None,
                        index=index, columns=["a", "b", "c"], dtype=float)
    got = rank(data)
    key = pd.Series(years, dtype=object).fillna(-1).to_numpy()
    expected = data.reset_index(drop=True).groupby(key).rank(method="min", ascending=False)
    for col in data.columns:
        assert got[col].astype("Float64").tolist() == pd.array(expected[col], dtype="Float64").tolist()


def test_large_cross_section_with_ties_and_infinities_equals_pandas() -> None:
    """Thousands of units (numpy's vectorised sort, not its small-array path), many ties, ±inf and NA."""
    rng = np.random.default_rng(5)
    pool = np.array([0.0, -0.0, 1.5, 2.0, 50.0, np.inf, -np.inf, np.nan])
    values = np.column_stack([rng.choice(pool, 5000), rng.normal(size=5000).round(1), rng.random(5000)])
    values[rng.random(values.shape) < 0.1] = np.nan
    data = cross_section({"a": values[:, 0], "b": values[:, 1], "c": values[:, 2]})
    got = rank(data)
    expected = data.rank(method="min", ascending=False)
    for col in data.columns:
        assert got[col].astype("Float64").tolist() == pd.array(expected[col], dtype="Float64").tolist()
