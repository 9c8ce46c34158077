from __future__ import annotations

import pandas as pd
from engine_testing import cross_section, panel

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
