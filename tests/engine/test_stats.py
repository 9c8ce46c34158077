from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from engine_testing import TOL, cross_section, vec

from citystd.engine.stats import (
    kurt,
    make_records,
    parse_direction,
    sections,
    skew,
    skew_kurt,
    skew_kurt_arrays,
)


def test_skew_kurt_match_coinr(oracle: dict) -> None:
    x = pd.Series(vec(oracle["input_x"]))  # NA skipped
    assert abs(skew(x) - oracle["skew"]) < TOL
    assert abs(kurt(x) - oracle["kurt"]) < TOL


def test_check_skew_kurt_matches_coinr(oracle: dict) -> None:
    frame = cross_section({"x": oracle["input_x"]})
    got = skew_kurt(frame).loc["x"]
    want = oracle["check_SkewKurt"]
    assert bool(got["passes"]) is want["Pass"]
    assert abs(got["skew"] - want["Skew"]) < TOL
    assert abs(got["kurt"] - want["Kurt"]) < TOL


def test_hand_computed_small_sample() -> None:
    # x = 1, 2, 3, 10: mean 4, d = −3, −2, −1, 6; Σd² = 50, Σd³ = −27 − 8 − 1 + 216 = 180,
    # Σd⁴ = 81 + 16 + 1 + 1296 = 1394. g1 = √4·180/50^1.5 = 360/353.5534 = 1.018234;
    # skew = g1·√(4·3)/2 = 1.018234·1.732051 = 1.763632.
    # r = 4·1394/2500 = 2.2304; kurt = ((5)(2.2304 − 3) + 6)(3)/((2)(1)) = (−3.848 + 6)·1.5 = 3.228.
    x = pd.Series([1.0, 2.0, 3.0, 10.0])
    g1 = 2 * 180 / 50**1.5
    assert math.isclose(skew(x), g1 * math.sqrt(12) / 2, rel_tol=1e-12)
    assert math.isclose(kurt(x), 3.228, rel_tol=1e-12)


def test_all_columns_at_once_equal_one_by_one() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.lognormal(size=(40, 6)), columns=list("abcdef"))
    frame.iloc[3, 2] = np.nan
    sk, ku = skew(frame), kurt(frame)
    for c in frame.columns:
        assert math.isclose(sk[c], skew(frame[c]), rel_tol=1e-12)
        assert math.isclose(ku[c], kurt(frame[c]), rel_tol=1e-12)


def test_too_few_points_and_constant_are_na() -> None:
    assert math.isnan(skew(pd.Series([1.0, 2.0])))  # n < 3
    assert not math.isnan(skew(pd.Series([1.0, 2.0, 4.0])))
    assert math.isnan(kurt(pd.Series([1.0, 2.0, 4.0])))  # n < 4
    assert math.isnan(skew(pd.Series([5.0] * 6)))  # constant: 0/0
    assert bool(skew_kurt(pd.DataFrame({"c": [5.0] * 6}))["passes"].iloc[0])  # undefined ⇒ passes


def test_parse_direction_words_and_numbers() -> None:
    sign, tgt = parse_direction(pd.Series({"a": 1, "b": -1, "c": "target", "d": "lower"}), ["a", "b", "c", "d"])
    assert sign.tolist() == [1.0, -1.0, 1.0, -1.0]
    assert tgt.tolist() == [False, False, True, False]


def test_sections_group_years_and_na_year() -> None:
    idx = pd.MultiIndex.from_arrays(
        [["a", "b", "a", "c"], pd.array([2020, pd.NA, 2019, 2020], dtype="Int64")], names=["unit", "year"]
    )
    groups = [sorted(g.tolist()) for g in sections(idx)]
    assert groups == [[2], [0, 3], [1]]  # 2019, 2020, <NA>


def test_make_records_row_then_column_order() -> None:
    idx = pd.MultiIndex.from_arrays([["a", "b"], pd.array([2020, 2021], dtype="Int64")], names=["unit", "year"])
    mask = np.array([[False, True], [True, True]])
    rec = make_records(idx, ["x", "y"], mask, np.zeros((2, 2)), np.ones((2, 2)), "treat", "log")
    assert list(rec.columns) == ["unit", "year", "indicator", "stage", "action", "before", "after"]
    assert rec[["unit", "indicator"]].values.tolist() == [["a", "y"], ["b", "x"], ["b", "y"]]
    assert rec["year"].tolist() == [2020, 2021, 2021]


def test_huge_values_give_the_skew_and_kurtosis_of_the_values_scaled() -> None:
    """Skewness and kurtosis are scale-free: values near the float limit (d⁴ overflows) give the
    same numbers (to rounding) as the values at their own scale, with no overflow warning; an
    infinity still gives NA."""
    rng = np.random.default_rng(0)
    x = rng.lognormal(0, 1, (50, 3))
    x[3, 1] = np.nan
    small = skew_kurt_arrays(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = skew_kurt_arrays(x * 2.0**1000)
        with_inf = skew_kurt_arrays(np.where(np.arange(50)[:, None] == 0, [1.0, 1.0, np.inf], x * 1e300))
    np.testing.assert_allclose(huge[0], small[0], rtol=1e-13)
    np.testing.assert_allclose(huge[1], small[1], rtol=1e-13)
    assert np.isnan(with_inf[0][2]) and np.isnan(with_inf[1][2])
    assert np.isfinite(with_inf[0][:2]).all()
