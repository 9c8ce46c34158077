from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_testing import assert_close, cross_section, panel, vec

from citystd.engine.stats import skew_kurt
from citystd.engine.treat import boxcox, treat


def test_winsorise_default_matches_coinr(oracle: dict) -> None:
    data = cross_section({"x": oracle["input_x"]})
    out, records = treat(data)
    assert_close(out["x"], oracle["winsorise_default"]["x"])
    assert_close(out["x"], oracle["Treat_numeric_default"])
    # COINr: nwin = 1 and point 12 (value 100) is "winhi"
    treated = [i for i, t in enumerate(oracle["winsorise_default"]["treated"]) if t == "winhi"]
    assert records["unit"].tolist() == [f"u{i:02d}" for i in treated]
    assert records["action"].tolist() == ["winsorised_high"]
    assert records[["before", "after"]].values.tolist() == [[100.0, 30.0]]
    assert len(records) == oracle["winsorise_default"]["nwin"]


def test_winsorise_winmax2_matches_coinr(oracle: dict) -> None:
    out, records = treat(cross_section({"x": oracle["input_x"]}), winmax=2)
    assert_close(out["x"], oracle["winsorise_winmax2"]["x"])
    assert len(records) == oracle["winsorise_winmax2"]["nwin"]


def test_log_fallback_is_coinr_log_ct_of_the_original(oracle: dict) -> None:
    # winmax 0: no winsorising allowed, the column fails, so log_CT applies to the original column
    out, records = treat(cross_section({"x": oracle["input_x"]}), winmax=0)
    assert_close(out["x"], oracle["log_CT"])
    assert set(records["action"]) == {"log"} and len(records) == 12  # every non-NA cell


def test_log_applies_to_original_values_after_failed_winsorising() -> None:
    # 20 values: eighteen between 1.00 and 1.17 plus two huge points; winmax 1 cannot fix it
    x = [1.0 + 0.01 * i for i in range(18)] + [1000.0, 5000.0]
    data = cross_section({"x": x})
    out, records = treat(data, winmax=1)
    orig = np.array(x)
    expected = np.log(orig - orig.min() + 0.01 * (orig.max() - orig.min()))
    assert_close(out["x"], expected)
    assert set(records["action"]) == {"log"}
    assert records["before"].tolist() == x  # before = original, not winsorised


def test_fallback_none_keeps_the_winsorised_column() -> None:
    x = [1.0 + 0.01 * i for i in range(18)] + [1000.0, 5000.0]
    out, records = treat(cross_section({"x": x}), winmax=1, fallback="none")
    assert out["x"].max() == 1000.0 and records["action"].tolist() == ["winsorised_high"]


def test_negative_skew_winsorises_low_side(oracle: dict) -> None:
    neg = [None if v is None else -v for v in oracle["input_x"]]
    out, records = treat(cross_section({"x": neg}))
    assert_close(out["x"], [None if v is None else -v for v in oracle["winsorise_default"]["x"]])
    assert records["action"].tolist() == ["winsorised_low"]


def test_ties_move_together_and_may_pass_winmax() -> None:
    # two points tie at the maximum: both are replaced in one round
    x = [float(i) for i in range(1, 19)] + [500.0, 500.0]
    out, records = treat(cross_section({"x": x}), winmax=1)
    assert (out["x"].iloc[-2:] == 18.0).all()
    assert len(records) == 2 and set(records["action"]) == {"winsorised_high"}


def test_passing_columns_untouched_and_all_columns_treated_together(oracle: dict) -> None:
    rng = np.random.default_rng(0)
    cols = {"ok": rng.normal(size=13).tolist(), "x": oracle["input_x"], "y": [None if v is None else 2 * v for v in oracle["input_x"]]}
    data = cross_section(cols)
    out, records = treat(data)
    assert_close(out["ok"], data["ok"].to_numpy())
    assert_close(out["x"], oracle["winsorise_default"]["x"])
    assert_close(out["y"], 2 * vec(oracle["winsorise_default"]["x"]))
    assert sorted(records["indicator"]) == ["x", "y"]
    # one-by-one equals all-at-once
    for c in data.columns:
        single, _ = treat(data[[c]])
        assert_close(out[c], single[c].to_numpy())


def test_treated_columns_pass_or_were_logged() -> None:
    rng = np.random.default_rng(7)
    data = cross_section({f"c{i}": rng.lognormal(sigma=2.0, size=60).tolist() for i in range(8)})
    out, records = treat(data)
    logged = set(records.loc[records["action"] == "log", "indicator"])
    sk = skew_kurt(out)
    for c in data.columns:
        assert c in logged or bool(sk.loc[c, "passes"])


def test_each_year_is_treated_separately(oracle: dict) -> None:
    x = vec(oracle["input_x"])[:12]
    rows = {(f"u{i:02d}", 2020): {"x": v} for i, v in enumerate(x)}
    rows.update({(f"u{i:02d}", 2021): {"x": float(i)} for i in range(12)})
    out, records = treat(panel(rows))
    assert records["year"].tolist() == [2020]
    assert out.xs(2021, level="year")["x"].tolist() == [float(i) for i in range(12)]


def test_clip_percentile() -> None:
    # x = 1..11 plus 100 (n = 12). numpy/R type 7: p-th percentile at position h = (n − 1)p/100.
    # 2.5%: h = 0.275 → 1 + 0.275·(2 − 1) = 1.275; 97.5%: h = 10.725 → 11 + 0.725·(100 − 11) = 75.525
    x = [float(i) for i in range(1, 12)] + [100.0]
    out, records = treat(cross_section({"x": x}), method="clip_percentile")
    assert out["x"].iloc[0] == pytest.approx(1.275, abs=1e-12)
    assert out["x"].iloc[-1] == pytest.approx(75.525, abs=1e-12)
    assert records["action"].tolist() == ["clipped_low", "clipped_high"]


def test_indicators_subset_and_no_mutation(oracle: dict) -> None:
    data = cross_section({"x": oracle["input_x"], "y": oracle["input_x"]})
    copy = data.copy()
    out, records = treat(data, indicators=["y"])
    assert_close(out["x"], data["x"].to_numpy())
    assert set(records["indicator"]) == {"y"}
    pd.testing.assert_frame_equal(data, copy)


def test_constant_and_short_columns_are_left_alone() -> None:
    data = cross_section({"c": [3, 3, 3, 3, 3], "s": [1, 2, 1000, None, None]})
    out, records = treat(data)
    assert records.empty
    pd.testing.assert_frame_equal(out, data)


def test_boxcox_matches_coinr(oracle: dict) -> None:
    # COINr's boxcox(x, lambda = 0.5) with its default makepos = TRUE: shifted to start at 1
    x = vec(oracle["input_x"])[:, None]
    assert_close(boxcox(x, 0.5)[:, 0], oracle["boxcox_l0.5"])


def test_boxcox_fallback_by_hand() -> None:
    # x = 1…10, 30, 100 fails; winmax 0 → Box-Cox of the original values, shifted by 1 − min = 0:
    # λ = 0.5: 2(√x − 1): 1 → 0, 4 → 2, 100 → 18; λ = 0: ln x; λ = 2: (x² − 1)/2
    x = cross_section({"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100]})
    out, rec = treat(x, winmax=0, fallback="boxcox", boxcox_lambda=0.5)
    assert_close(out["x"].to_numpy()[[0, 3, 11]], [0, 2, 18])
    assert set(rec["action"]) == {"boxcox"} and len(rec) == 12
    out, _ = treat(x, winmax=0, fallback="boxcox", boxcox_lambda=0)
    assert_close(out["x"], np.log(x["x"].to_numpy()))
    # shifted: (−1, 0, …) starts at 1 after x − min + 1
    shifted = cross_section({"x": [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 28, 98]})
    out, _ = treat(shifted, winmax=0, fallback="boxcox", boxcox_lambda=2)
    assert_close(out["x"].to_numpy()[[0, 1, 11]], [0, 1.5, (100**2 - 1) / 2])


def test_boxcox_fallback_needs_lambda() -> None:
    with pytest.raises(Exception, match="λ"):
        treat(cross_section({"x": [1, 2, 3]}), fallback="boxcox")
