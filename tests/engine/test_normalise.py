from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_testing import assert_close, cross_section, panel, vec

from citystd.diagnostics import CitystdError
from citystd.engine.normalise import normalise

GP_2_50 = pd.DataFrame({"worst": [2.0], "best": [50.0]}, index=["x"])
T20 = pd.Series({"x": 20.0})
NEG = pd.Series({"x": -1})


@pytest.mark.parametrize(
    ("key", "method", "kwargs"),
    [
        ("n_minmax_0_100", "minmax", {}),
        ("n_minmax_1_100", "minmax", {"range": (1, 100)}),
        ("n_dist2max", "minmax", {"range": (0, 1)}),  # 1 − (max − x)/(max − min) is min-max on [0, 1]
        ("n_dist2max", "dist2max", {"range": (0, 1)}),
        ("n_scaled_0_200_x100", "scaled", {"bounds": (0, 200)}),  # (x − 0)/(200 − 0)·100
        # COINr's iref = 3 is the third unit, u02; COINr's cap_max defaults to FALSE, citystd's cap to true
        ("n_dist2ref_iref3", "dist2ref", {"ref": "u02", "cap": False, "range": (0, 1)}),
        ("n_dist2ref_iref3_cap", "dist2ref", {"ref": "u02", "range": (0, 1)}),
        ("Normalise_numeric_minmax_dirneg", "minmax", {"direction": NEG}),
        ("n_zscore", "zscore", {}),
        ("n_zscore_10_2", "zscore", {"mean": 10, "sd": 2}),
        ("n_goalposts_2_50_x100", "goalposts", {"goalposts": GP_2_50}),
        ("n_goalposts_2_50_x100_notrunc", "goalposts", {"goalposts": GP_2_50, "cap": False}),
        # COINr's n_dist2targ, n_fracmax and n_prank are on [0, 1]: range (0, 1) here
        ("n_dist2targ_t20", "distance_to_target", {"targets": T20, "cap": False, "range": (0, 1)}),
        ("n_dist2targ_t20_cap", "distance_to_target", {"targets": T20, "cap": True, "range": (0, 1)}),
        ("n_dist2targ_dirneg_t20", "distance_to_target", {"targets": T20, "cap": False, "range": (0, 1), "direction": NEG}),
        ("n_fracmax", "fraction_of_max", {"range": (0, 1)}),
        ("n_prank", "percentile_rank", {"range": (0, 1)}),
        ("n_rank", "rank", {}),
        ("n_borda", "borda", {}),
    ],
)
def test_matches_coinr(oracle: dict, key: str, method: str, kwargs: dict) -> None:
    out, diags = normalise(cross_section({"x": oracle["input_x"]}), method, **kwargs)
    assert_close(out["x"], oracle[key])
    assert diags == []


def test_default_range_multiplies_by_100(oracle: dict) -> None:
    data = cross_section({"x": oracle["input_x"]})
    for method, key in [("fraction_of_max", "n_fracmax"), ("percentile_rank", "n_prank")]:
        out, _ = normalise(data, method)
        assert_close(out["x"], 100 * vec(oracle[key]))
    out, _ = normalise(data, "distance_to_target", targets=T20)
    assert_close(out["x"], 100 * vec(oracle["n_dist2targ_t20_cap"]))


def test_goalposts_in_indicator_units_for_lower_is_better() -> None:
    # lower is better, worst 50, best 2: (x − 50)/(2 − 50); x = 2 → 1, 26 → 0.5, 60 → clipped 0
    gp = pd.DataFrame({"worst": [50.0], "best": [2.0]}, index=["x"])
    out, _ = normalise(cross_section({"x": [2, 26, 60, None]}), "goalposts", direction=NEG, goalposts=gp)
    assert_close(out["x"], [100, 50, 0, None])


def test_goalposts_for_a_target_indicator() -> None:
    # target t = 20, worst = 40 ⇒ distance |40 − 20| = 20 scores 0:
    # x = 20 → 1 − 0/20 = 1; 10 → 1 − 10/20 = 0.5; 30 → 0.5; 45 → 1 − 25/20 < 0 → 0; 0 → 1 − 20/20 = 0
    gp = pd.DataFrame({"worst": [40.0], "best": [20.0]}, index=["x"])
    data = cross_section({"x": [20, 10, 30, 45, 0]})
    out, _ = normalise(data, "goalposts", direction=pd.Series({"x": "target"}), goalposts=gp, targets=T20)
    assert_close(out["x"], [100, 50, 50, 0, 0])
    # without an explicit target the goalposts' best is the target
    out2, _ = normalise(data, "goalposts", direction=pd.Series({"x": "target"}), goalposts=gp)
    assert_close(out2["x"], [100, 50, 50, 0, 0])
    # uncapped: 45 → 1 − 25/20 = −0.25 → −25
    out3, _ = normalise(data, "goalposts", direction=pd.Series({"x": "target"}), goalposts=gp, cap=False)
    assert out3["x"].iloc[3] == pytest.approx(-25.0, abs=1e-12)


def test_distance_to_target_with_direction_target() -> None:
    # target 20: x̃ = −|x − 20| = −10, −5, 0, −10, −15; min = −15; t̃ = 0;
    # (x̃ + 15)/(0 + 15)·100 = 33.33…, 66.67…, 100, 33.33…, 0
    data = cross_section({"x": [10, 15, 20, 30, 35]})
    out, _ = normalise(data, "distance_to_target", direction=pd.Series({"x": "target"}), targets=T20)
    assert_close(out["x"], [100 / 3, 200 / 3, 100, 100 / 3, 0])


def test_tiers_default_scores_and_directions() -> None:
    th = pd.DataFrame({"green": [80.0, 10.0], "yellow": [60.0, 20.0], "orange": [40.0, 30.0]}, index=["hi", "lo"])
    data = cross_section({"hi": [90, 80, 70, 60, 50, 30, None], "lo": [5, 10, 15, 25, 35, 30, 20]})
    out, _ = normalise(data, "tiers", direction=pd.Series({"hi": 1, "lo": -1}), thresholds=th)
    g, y, o = 100.0, 200 / 3, 100 / 3
    # hi: ≥80 green, ≥60 yellow, ≥40 orange, else red; lo: ≤10 green, ≤20 yellow, ≤30 orange
    assert_close(out["hi"], [g, g, y, y, o, 0, None])
    assert_close(out["lo"], [g, g, y, o, 0, o, y])


def test_tiers_custom_scores_scaled_into_range() -> None:
    th = pd.DataFrame({"green": [80.0], "yellow": [60.0], "orange": [40.0]}, index=["x"])
    data = cross_section({"x": [90, 70, 50, 10]})
    # scores on 0–100 mapped into [1, 11]: 1 + s/100·10 → 11, 7, 4, 1
    out, _ = normalise(data, "tiers", thresholds=th, scores=[100, 60, 30, 0], range=(1, 11))
    assert_close(out["x"], [11, 7, 4, 1])


def test_constant_column_is_reported_not_zero() -> None:
    data = cross_section({"c": [5, 5, 5], "x": [1, 2, 3]})
    for method in ("minmax", "zscore"):
        out, diags = normalise(data, method)
        assert out["c"].isna().all()
        assert not out["x"].isna().any()
        assert [d.code for d in diags] == ["E801"]
        assert "c" in diags[0].message.en and "c" in diags[0].message.zh


def test_single_unit_per_year_is_reported_with_its_year() -> None:
    data = panel({("a", 2020): {"x": 1}, ("b", 2020): {"x": 3}, ("a", 2021): {"x": 2}})
    out, diags = normalise(data, "minmax")
    assert out.loc[("a", 2020), "x"] == 0 and out.loc[("b", 2020), "x"] == 100
    assert np.isnan(out.loc[("a", 2021), "x"])
    assert len(diags) == 1 and "2021" in diags[0].message.en and "2021" in diags[0].message.zh
    out, diags = normalise(data, "percentile_rank")
    assert np.isnan(out.loc[("a", 2021), "x"]) and diags[0].code == "E801"


def test_pooled_uses_all_years_together() -> None:
    data = panel({("a", 2020): {"x": 0}, ("b", 2020): {"x": 10}, ("a", 2021): {"x": 5}, ("b", 2021): {"x": 20}})
    per_year, _ = normalise(data, "minmax")
    pooled, _ = normalise(data, "minmax", pooled=True)
    assert per_year["x"].tolist() == [0, 100, 0, 100]
    assert pooled["x"].tolist() == [0, 50, 25, 100]  # min 0, max 20 over both years
    ranks, _ = normalise(data, "rank", pooled=True)
    assert ranks["x"].tolist() == [1, 3, 2, 4]


def test_fraction_of_max_undefined_for_nonpositive_max() -> None:
    out, diags = normalise(cross_section({"x": [1, 2, 4]}), "fraction_of_max", direction=NEG)
    assert out["x"].isna().all() and diags[0].code == "E801"


def test_indicator_without_data_is_a_warning() -> None:
    out, diags = normalise(cross_section({"x": [None, None], "y": [1, 2]}), "minmax")
    assert out["x"].isna().all()
    assert [d.code for d in diags] == ["E804"]


def test_missing_metadata_raises() -> None:
    data = cross_section({"x": [1, 2, 3]})
    with pytest.raises(CitystdError) as e:
        normalise(data, "goalposts")
    assert e.value.diagnostic.code == "E806"
    with pytest.raises(CitystdError) as e:
        normalise(data, "distance_to_target")
    assert e.value.diagnostic.code == "E805"
    with pytest.raises(CitystdError) as e:
        normalise(data, "tiers")
    assert e.value.diagnostic.code == "E807"
    with pytest.raises(CitystdError) as e:
        normalise(data, "minmax", direction=pd.Series({"x": "target"}))
    assert e.value.diagnostic.code == "E805"


def test_zero_width_goalposts_reported() -> None:
    gp = pd.DataFrame({"worst": [3.0], "best": [3.0]}, index=["x"])
    out, diags = normalise(cross_section({"x": [1, 2]}), "goalposts", goalposts=gp)
    assert out["x"].isna().all() and diags[0].code == "E801"


def test_input_not_mutated() -> None:
    data = cross_section({"x": [3, 1, 2]})
    copy = data.copy()
    normalise(data, "minmax", direction=NEG)
    pd.testing.assert_frame_equal(data, copy)


# ---------------------------------------------------------------- dist2max, dist2ref, scaled


def test_dist2max_by_hand() -> None:
    # (2, 4, 10): 1 − (10 − x)/8 → 0, 0.25, 1; lower is better: x̃ = −x, max −2, min −10 → 1, 0.75, 0
    data = cross_section({"x": [2, 4, 10, None]})
    assert_close(normalise(data, "dist2max")[0]["x"], [0, 25, 100, None])
    assert_close(normalise(data, "dist2max", direction=NEG)[0]["x"], [100, 75, 0, None])
    out, diags = normalise(cross_section({"x": [3, 3]}), "dist2max")
    assert out["x"].isna().all() and [d.code for d in diags] == ["E801"]


def test_dist2ref_modes_by_hand() -> None:
    # reference B = 8; min 2. range: 1 − (8 − x)/(8 − 2): A 4 → 1/3, C 11 → 1.5 (capped 1), D 2 → 0
    data = cross_section({"x": [4, 8, 11, 2]}, ["A", "B", "C", "D"])
    out, diags = normalise(data, "dist2ref", ref="B")
    assert_close(out["x"], [100 / 3, 100, 100, 0]) and diags == []
    assert_close(normalise(data, "dist2ref", ref="B", cap=False)[0]["x"], [100 / 3, 100, 150, 0])
    # ratio x/8: 0.5, 1, 1.375, 0.25; difference x − 8 in the indicator's units
    assert_close(normalise(data, "dist2ref", ref="B", ref_mode="ratio", cap=False)[0]["x"], [50, 100, 137.5, 25])
    assert_close(normalise(data, "dist2ref", ref="B", ref_mode="ratio", range=(0, 1))[0]["x"], [0.5, 1, 1, 0.25])
    assert_close(normalise(data, "dist2ref", ref="B", ref_mode="difference")[0]["x"], [-4, 0, 3, -6])


def test_dist2ref_lower_is_better() -> None:
    # PM2.5, lower is better, the twin city B has 20: ratio r/x = 20/40 = 0.5 for A, 20/10 = 2 → capped 1
    data = cross_section({"pm25": [40, 20, 10]}, ["A", "B", "C"])
    lower = pd.Series({"pm25": "lower"})
    assert_close(normalise(data, "dist2ref", direction=lower, ref="B", ref_mode="ratio")[0]["pm25"], [50, 100, 100])
    # difference x̃ − r̃ = −x + 20: A −20 (worse by 20 µg/m³), C +10
    assert_close(normalise(data, "dist2ref", direction=lower, ref="B", ref_mode="difference")[0]["pm25"],
                 [-20, 0, 10])
    # range: x̃ = −x, min x̃ = −40 (A); 1 − (−20 − x̃)/(−20 + 40): A 0, B 1, C 1.5 → 1
    assert_close(normalise(data, "dist2ref", direction=lower, ref="B")[0]["pm25"], [0, 100, 100])


def test_dist2ref_uses_the_reference_of_the_same_year() -> None:
    data = panel({("A", 2022): {"x": 5}, ("B", 2022): {"x": 10}, ("A", 2023): {"x": 9}, ("B", 2023): {"x": 12}})
    out, _ = normalise(data, "dist2ref", ref="B", ref_mode="ratio")
    assert_close(out["x"], [50, 100, 75, 100])
    # pooled: min over both years (5), the reference still of the row's own year
    out, _ = normalise(data, "dist2ref", ref="B", pooled=True, cap=False)
    assert_close(out["x"], [0, 100, 400 / 7, 100])


def test_dist2ref_undefined_cases() -> None:
    data = cross_section({"x": [4, None, 6], "y": [2, 1, 3]}, ["A", "B", "C"])
    out, diags = normalise(data, "dist2ref", ref="B")
    # x: the reference has no value; y: the reference is at the minimum
    assert out.isna().all().all() and [d.code for d in diags] == ["E801", "E801"]
    out, diags = normalise(cross_section({"x": [4, -2, 6]}, ["A", "B", "C"]), "dist2ref", ref="B", ref_mode="ratio")
    assert out["x"].isna().all() and "reference" in diags[0].message.en
    target = pd.Series({"x": "target"})
    _, diags = normalise(cross_section({"x": [4, 2]}, ["A", "B"]), "dist2ref", ref="B", ref_mode="ratio",
                         direction=target, targets=pd.Series({"x": 3.0}))
    assert [d.code for d in diags] == ["E801"]


def test_dist2ref_unknown_reference_is_e810_with_a_hint() -> None:
    with pytest.raises(CitystdError) as exc:
        normalise(cross_section({"x": [1, 2]}, ["Hangzhou", "Ningbo"]), "dist2ref", ref="Hangzou")
    d = exc.value.diagnostic
    assert d.code == "E810" and "Hangzou" in d.message.en and d.hint is not None and "Hangzhou" in d.hint.en


def test_scaled_by_hand() -> None:
    # bounds [0, 50]: higher (x − 0)/50, lower (50 − x)/50; not clipped (COINr's n_scaled)
    data = cross_section({"x": [10, 25, 60, None]})
    assert_close(normalise(data, "scaled", bounds=(0, 50))[0]["x"], [20, 50, 120, None])
    assert_close(normalise(data, "scaled", bounds=(0, 50), direction=NEG)[0]["x"], [80, 50, -20, None])
    assert_close(normalise(data, "scaled", bounds=(0, 50), range=(1, 11))[0]["x"], [3, 6, 13, None])
    _, diags = normalise(data, "scaled", bounds=(0, 50), direction=pd.Series({"x": "target"}),
                         targets=pd.Series({"x": 20.0}))
    assert [d.code for d in diags] == ["E801"]
    with pytest.raises(CitystdError):
        normalise(data, "scaled")
