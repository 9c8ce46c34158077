from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from engine_testing import panel
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.engine.trend import cagr, on_track, progress, slope


def _data() -> pd.DataFrame:
    rows = {
        # a grows 10% a year, observed 2015, 2017, 2019: 100, 121, 146.41
        ("a", 2015): {"x": 100.0},
        ("a", 2016): {"x": None},
        ("a", 2017): {"x": 121.0},
        ("a", 2018): {"x": None},
        ("a", 2019): {"x": 146.41},
        # b falls: 50, 45, 40 (2015–2017)
        ("b", 2015): {"x": 50.0},
        ("b", 2016): {"x": 45.0},
        ("b", 2017): {"x": 40.0},
        # c: one observation only, already beyond the target
        ("c", 2019): {"x": 250.0},
    }
    return panel(rows)


def test_cagr_hand_computed() -> None:
    out = cagr(_data())
    # a: (146.41/100)^{1/(2019 − 2015)} − 1 = 1.4641^{1/4} − 1 = 1.1 − 1 = 0.1
    assert out.loc["a", "x"] == pytest.approx(0.1, abs=1e-12)
    # b: (40/50)^{1/2} − 1 = √0.8 − 1 = −0.105573
    assert out.loc["b", "x"] == pytest.approx(math.sqrt(0.8) - 1, abs=1e-12)
    assert np.isnan(out.loc["c", "x"])  # one year of data


def test_slope_hand_computed() -> None:
    out = slope(_data())
    # a: years 2015, 2017, 2019 (ȳ 2017), values 100, 121, 146.41 (x̄ 122.47):
    # Σ(y − ȳ)(x − x̄) = (−2)(100 − 122.47) + 0 + 2(146.41 − 122.47) = 2·46.41 = 92.82; Σ(y − ȳ)² = 8
    # slope = 92.82/8 = 11.6025 per year
    assert out.loc["a", "x"] == pytest.approx(11.6025, abs=1e-9)
    assert out.loc["b", "x"] == pytest.approx(-5.0, abs=1e-12)  # 50, 45, 40
    assert np.isnan(out.loc["c", "x"])


def test_progress_to_target() -> None:
    out = progress(_data(), pd.Series({"x": 200.0}), base_year=2015)
    # a: (146.41 − 100)/(200 − 100) = 0.4641; b: (40 − 50)/(200 − 50) = −0.0667; c: no base-year value
    assert out.loc["a", "x"] == pytest.approx(0.4641, abs=1e-12)
    assert out.loc["b", "x"] == pytest.approx(-10 / 150, abs=1e-12)
    assert np.isnan(out.loc["c", "x"])
    mid = progress(_data(), pd.Series({"x": 200.0}), base_year=2015, year=2017)
    assert mid.loc["a", "x"] == pytest.approx(0.21, abs=1e-12)  # (121 − 100)/100


def test_on_track_status() -> None:
    t = pd.Series({"x": 200.0})
    out = on_track(_data(), t, target_year=2030)
    # a: achieved (146.41 − 100)/4 = 11.6025 a year; needed (200 − 146.41)/(2030 − 2019) = 4.8718 → on track
    # b: achieved −5 a year, needed (200 − 40)/13 > 0 → worsening; c: 250 ≥ 200 → achieved
    assert out["x"].to_dict() == {"a": "on_track", "b": "worsening", "c": "achieved"}
    # target 400 by 2030: a needs (400 − 146.41)/11 = 23.05 a year; 11.6025/23.05 = 0.503 → moderately improving
    assert on_track(_data(), pd.Series({"x": 400.0}), 2030).loc["a", "x"] == "moderately_improving"
    # target 1000 by 2030: 11.6025/77.6 = 0.15 → stagnating
    assert on_track(_data(), pd.Series({"x": 1000.0}), 2030).loc["a", "x"] == "stagnating"


def test_on_track_lower_is_better_and_deadline() -> None:
    t = pd.Series({"x": 30.0})
    out = on_track(_data(), t, target_year=2019, direction=pd.Series({"x": -1}))
    # b falls 5 a year; needs (30 − 40)/(2019 − 2017) = −5 a year → q = 1 → on track
    assert out.loc["b", "x"] == "on_track"
    # a rises while it should fall: worsening; c (250) is above the target 30: one year only → unknown
    assert out.loc["a", "x"] == "worsening" and out.loc["c", "x"] == "unknown"
    late = on_track(_data(), t, target_year=2017, direction=pd.Series({"x": -1}))
    assert late.loc["b", "x"] == "stagnating"  # deadline reached, not achieved, moving toward it


def test_on_track_from_a_base_year() -> None:
    out = on_track(_data(), pd.Series({"x": 200.0}), target_year=2030, base_year=2017)
    # a: (146.41 − 121)/2 = 12.705 a year vs 4.87 needed → on track; b has no data after its base year
    assert out.loc["a", "x"] == "on_track" and out.loc["b", "x"] == "unknown"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(2015, 2020),
                          st.lists(st.one_of(st.none(), st.floats(-100, 100)), min_size=2, max_size=2)),
                min_size=1, max_size=30, unique_by=lambda r: (r[0], r[1])))
def test_per_unit_reductions_equal_pandas_groupby(rows: list) -> None:
    """The reduceat reductions equal pandas' groupby aggregations (NaN skipped) for every unit."""
    from citystd.engine.trend import Panel

    index = pd.MultiIndex.from_arrays([[f"u{u}" for u, _, _ in rows], pd.array([y for _, y, _ in rows], dtype="Int64")],
                                      names=["unit", "year"])
    data = pd.DataFrame([[np.nan if v is None else v for v in vals] for _, _, vals in rows], index=index,
                        columns=["a", "b"], dtype=float)
    p = Panel(data)
    frame = pd.DataFrame(p.x)
    for how in ("first", "last", "sum", "mean", "min", "max"):
        expected = frame.groupby(p.codes, sort=True).agg(how).to_numpy(dtype=float)
        np.testing.assert_allclose(p.per_unit(p.x, how), expected, rtol=1e-12, atol=1e-12, err_msg=how)
