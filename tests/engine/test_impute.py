from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_testing import assert_close, cross_section, panel, vec

from citystd.diagnostics import CitystdError
from citystd.engine.impute import impute


@pytest.mark.parametrize(
    ("method", "key"),
    [("mean", "i_mean"), ("median", "i_median"), ("group_mean", "i_mean_grp"), ("group_median", "i_median_grp")],
)
def test_cross_sectional_methods_match_coinr(oracle: dict, method: str, key: str) -> None:
    data = cross_section({"x": oracle["input_x_with_nas"]})
    by = pd.Series(oracle["input_group"], index=data.index) if method.startswith("group") else None
    out, records = impute(data, method, by=by)
    assert_close(out["x"], oracle[key])
    n_missing = int(np.isnan(vec(oracle["input_x_with_nas"])).sum())
    assert len(records) == n_missing
    assert set(records["action"]) == {f"imputed:{method}"}
    assert records["before"].isna().all()


def test_non_na_values_never_change_and_input_not_mutated(oracle: dict) -> None:
    data = cross_section({"x": oracle["input_x_with_nas"]})
    copy = data.copy()
    out, _ = impute(data, "mean")
    known = ~np.isnan(vec(oracle["input_x_with_nas"]))
    assert (out["x"].to_numpy()[known] == data["x"].to_numpy()[known]).all()
    pd.testing.assert_frame_equal(data, copy)


def test_group_missing_or_without_data_stays_na() -> None:
    data = cross_section({"x": [1, None, None, 3, None]})
    by = pd.Series(["a", "a", None, "a", "b"], index=data.index)  # u02 has no group; group b has no data
    out, records = impute(data, "group_mean", by=by)
    assert_close(out["x"], [1, 2, None, 3, None])
    assert records["unit"].tolist() == ["u01"]


def test_group_labels_may_be_indexed_by_unit() -> None:
    data = cross_section({"x": [1, None, 5, None]})
    by = pd.Series({"u00": "n", "u01": "n", "u02": "s", "u03": "s"})
    out, _ = impute(data, "group_median", by=by)
    assert_close(out["x"], [1, 1, 5, 5])


def test_statistics_are_taken_within_each_year() -> None:
    data = panel(
        {
            ("a", 2020): {"x": 1},
            ("b", 2020): {"x": 3},
            ("c", 2020): {"x": None},
            ("a", 2021): {"x": 10},
            ("b", 2021): {"x": 30},
            ("c", 2021): {"x": None},
        }
    )
    out, records = impute(data, "mean")
    assert out.loc[("c", 2020), "x"] == 2.0  # (1 + 3)/2
    assert out.loc[("c", 2021), "x"] == 20.0  # (10 + 30)/2
    assert records["year"].tolist() == [2020, 2021]


def test_indicator_subset() -> None:
    data = cross_section({"x": [1, None, 3], "y": [None, 2, 4]})
    out, records = impute(data, "mean", indicators=["y"])
    assert np.isnan(out["x"].iloc[1])
    assert out["y"].iloc[0] == 3.0
    assert records["indicator"].tolist() == ["y"]
    with pytest.raises(CitystdError) as e:
        impute(data, "mean", indicators=["nope"])
    assert e.value.diagnostic.code == "E801"


def _series_panel() -> pd.DataFrame:
    # unit a: _ 1 _ _ 4 (2015–2019); unit b: 1 _ 3 _ _ ; unit c: no data
    vals = {"a": [None, 1, None, None, 4], "b": [1, None, 3, None, None], "c": [None] * 5}
    return panel({(u, 2015 + i): {"x": v} for u, vs in vals.items() for i, v in enumerate(vs)})


def _x(out: pd.DataFrame, unit: str) -> list[float]:
    return out.xs(unit, level="unit")["x"].tolist()


def test_latest_carries_forward_and_optionally_backward() -> None:
    out, records = impute(_series_panel(), "latest")
    assert _x(out, "a")[1:] == [1, 1, 1, 4] and np.isnan(_x(out, "a")[0])
    assert _x(out, "b") == [1, 1, 3, 3, 3]
    assert np.isnan(_x(out, "c")).all()
    assert len(records) == 2 + 3
    out, _ = impute(_series_panel(), "latest", both=True)
    assert _x(out, "a") == [1, 1, 1, 1, 4]


def test_latest_max_gap_limits_how_far_a_value_is_carried() -> None:
    out, _ = impute(_series_panel(), "latest", both=True, max_gap=1)
    # a: 2015 ← 2016 (1 year back), 2017 ← 2016 (1 year), 2018 is 2 years from 2016: left NA
    assert _x(out, "a")[:3] == [1, 1, 1] and np.isnan(_x(out, "a")[3])
    assert _x(out, "b")[:4] == [1, 1, 3, 3] and np.isnan(_x(out, "b")[4])


def test_linear_interpolates_and_holds_ends_flat() -> None:
    out, records = impute(_series_panel(), "linear")
    # a: 2017 = 1 + (4 − 1)(2017 − 2016)/(2019 − 2016) = 2; 2018 = 3; 2015 held at 1
    assert _x(out, "a") == [1, 1, 2, 3, 4]
    # b: 2016 = 1 + (3 − 1)·1/2 = 2; 2018, 2019 held at 3
    assert _x(out, "b") == [1, 2, 3, 3, 3]
    assert set(records["action"]) == {"imputed:linear"}


def test_linear_uses_years_not_rows() -> None:
    data = panel({("a", 2010): {"x": 0}, ("a", 2011): {"x": None}, ("a", 2020): {"x": 10}})
    out, _ = impute(data, "linear")
    assert out.loc[("a", 2011), "x"] == 1.0  # 0 + 10·(2011 − 2010)/(2020 − 2010)


def test_linear_max_gap_skips_long_gaps_entirely() -> None:
    out, _ = impute(_series_panel(), "linear", max_gap=1)
    # a's interior gap 2017–2018 is 2 years long: not filled; 2015 is 1 year before 2016: filled
    assert _x(out, "a")[0] == 1 and np.isnan(_x(out, "a")[2:4]).all()
    # b's 2016 gap is 1 year: filled; 2018 is 1 year after 2017: held, 2019 is 2 years: NA
    assert _x(out, "b")[:4] == [1, 2, 3, 3] and np.isnan(_x(out, "b")[4])


def test_panel_methods_leave_cross_sectional_rows_alone() -> None:
    data = cross_section({"x": [1, None]})
    out, records = impute(data, "latest", both=True)
    assert np.isnan(out["x"].iloc[1]) and records.empty


def test_unsorted_rows_are_handled() -> None:
    data = _series_panel().sample(frac=1.0, random_state=3)
    out, _ = impute(data, "linear")
    assert out.loc[("a", 2017), "x"] == 2.0
    assert out.index.equals(data.index)
