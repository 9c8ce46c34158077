from __future__ import annotations

import pandas as pd
from engine_testing import cross_section, panel

from citystd.engine.screen import screen, screen_diagnostics


def _data() -> pd.DataFrame:
    # availability over 4 indicators: u00 4/4, u01 3/4, u02 2/4, u03 0/4 (all NA)
    return cross_section(
        {
            "a": [1, 2, None, None],
            "b": [0, 0, 0, None],
            "c": [3, None, None, None],
            "d": [0, 5, 7, None],
        }
    )


def test_min_coverage_drops_units_below_share() -> None:
    data = _data()
    kept, dropped = screen(data, min_coverage=0.75)
    assert kept.index.get_level_values("unit").tolist() == ["u00", "u01"]
    assert dropped["unit"].tolist() == ["u02", "u03"]
    assert dropped["availability"].tolist() == [0.5, 0.0]
    assert set(dropped["reason"]) == {"min_coverage"}
    assert list(kept.columns) == list(data.columns)


def test_exactly_at_threshold_is_kept() -> None:
    kept, dropped = screen(_data(), min_coverage=0.5)  # u02 has exactly 2/4
    assert "u02" in kept.index.get_level_values("unit")
    assert dropped["unit"].tolist() == ["u03"]


def test_min_nonzero() -> None:
    # non-zero share among non-NA: u00 2/4, u01 2/3, u02 1/2, u03 no data → 0
    kept, dropped = screen(_data(), min_nonzero=0.6)
    assert kept.index.get_level_values("unit").tolist() == ["u01"]
    assert dropped.set_index("unit")["nonzero_share"].to_dict() == {"u00": 0.5, "u02": 0.5, "u03": 0.0}
    assert set(dropped["reason"]) == {"min_nonzero"}


def test_both_reasons_are_named() -> None:
    _, dropped = screen(_data(), min_coverage=0.75, min_nonzero=0.6)
    assert dropped.set_index("unit")["reason"].to_dict() == {
        "u00": "min_nonzero",
        "u02": "min_coverage+min_nonzero",
        "u03": "min_coverage+min_nonzero",
    }


def test_indicator_subset_and_no_mutation() -> None:
    data = _data()
    copy = data.copy()
    kept, _ = screen(data, indicators=["a", "c"], min_coverage=1.0)
    assert kept.index.get_level_values("unit").tolist() == ["u00"]
    pd.testing.assert_frame_equal(data, copy)


def test_panel_rows_are_screened_per_year_and_reported() -> None:
    data = panel({("a", 2020): {"x": 1, "y": None}, ("a", 2021): {"x": 1, "y": 2}, ("b", 2020): {"x": 3, "y": 4}})
    kept, dropped = screen(data, min_coverage=1.0)
    assert len(kept) == 2
    assert dropped[["unit", "year"]].values.tolist() == [["a", 2020]]
    diags = screen_diagnostics(dropped)
    assert [d.code for d in diags] == ["E809"]
    assert "a (2020)" in diags[0].message.en and "50%" in diags[0].message.en
    assert "单元 a" in diags[0].message.zh


def test_default_keeps_everything() -> None:
    kept, dropped = screen(_data())
    assert len(kept) == 4 and dropped.empty
    assert list(dropped.columns) == ["unit", "year", "availability", "nonzero_share", "reason"]
