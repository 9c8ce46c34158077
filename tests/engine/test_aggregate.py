from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_testing import TOL, cross_section, panel

from citystd.diagnostics import CitystdError
from citystd.engine.aggregate import aggregate, dominance, fill_scores, outranking


def _one_row(values: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame([[np.nan if v is None else v for v in values]], columns=list("abcde")[: len(values)])


@pytest.mark.parametrize(("method", "key"), [("arithmetic", "a_amean"), ("geometric", "a_gmean"), ("harmonic", "a_hmean")])
def test_means_match_coinr(oracle: dict, method: str, key: str) -> None:
    got = aggregate(_one_row(oracle["input_v"]), oracle["input_w"], method).iloc[0]
    assert abs(got - oracle[key]) < TOL


@pytest.mark.parametrize(("method", "key"), [("arithmetic", "a_amean_with_na"), ("geometric", "a_gmean_with_na")])
def test_means_with_na_match_coinr(oracle: dict, method: str, key: str) -> None:
    # COINr's "with NA" input: v = (10, NA, 30, 40, 50), same weights; the NA child and its weight drop:
    # arithmetic (1·10 + 1·30 + 1·40 + 3·50)/6 = 230/6 = 38.33…
    v = list(oracle["input_v"])
    v[1] = None
    got = aggregate(_one_row(v), oracle["input_w"], method).iloc[0]
    assert abs(got - oracle[key]) < TOL


def test_copeland_and_outranking_match_coinr(oracle: dict) -> None:
    x = pd.DataFrame(oracle["copeland_input"])
    o = outranking(x, oracle["copeland_w"])
    np.testing.assert_allclose(o.to_numpy(), np.array(oracle["outrank_matrix"]), atol=TOL)
    got = aggregate(x, oracle["copeland_w"], "copeland")
    np.testing.assert_allclose(got.to_numpy(), oracle["a_copeland"], atol=TOL)


def test_weights_as_series_are_aligned_by_name(oracle: dict) -> None:
    x = pd.DataFrame(oracle["copeland_input"])
    w = pd.Series({"c": 2.0, "a": 1.0, "b": 1.0})
    np.testing.assert_allclose(aggregate(x, w, "copeland").to_numpy(), oracle["a_copeland"])


def test_copeland_na_comparisons_add_zero() -> None:
    # units p, q, r on children a, b (equal weights ½): p = (3, NA), q = (1, 5), r = (2, 1)
    # o_pq = ½ (a: 3 > 1; b: NA adds 0) → sign 0; o_pr = ½ → 0   ⇒ p = 0
    # o_qp = 0 (a: 1 < 3; b: NA) → −1; o_qr = ½ (b) → 0          ⇒ q = −1
    # o_rp = 0 → −1; o_rq = ½ (a) → 0                             ⇒ r = −1
    x = pd.DataFrame({"a": [3.0, 1.0, 2.0], "b": [np.nan, 5.0, 1.0]}, index=["p", "q", "r"])
    assert aggregate(x, None, "copeland").tolist() == [0.0, -1.0, -1.0]
    # …and the result does not depend on the order of the units
    assert aggregate(x.iloc[::-1], None, "copeland").tolist() == [-1.0, -1.0, 0.0]


def test_topsis_hand_computed() -> None:
    # equal weights: v = ½x; best (½, ½), worst (0, 0)
    # u1 (1, 0): D⁺ = √(0 + ¼) = ½, D⁻ = √(¼ + 0) = ½ → 50; u2 (0, 1) → 50; u3 (1, 1): D⁺ = 0 → 100
    x = cross_section({"a": [1, 0, 1], "b": [0, 1, 1]})
    np.testing.assert_allclose(aggregate(x, None, "topsis").to_numpy(), [50, 50, 100], atol=1e-12)
    # weights 3:1 → v = (¾a, ¼b): u1: D⁺ = ¼, D⁻ = ¾ → 75; u2: D⁺ = ¾, D⁻ = ¼ → 25; u3 → 100
    np.testing.assert_allclose(aggregate(x, [3, 1], "topsis").to_numpy(), [75, 25, 100], atol=1e-12)


def test_topsis_degenerate_raises() -> None:
    with pytest.raises(CitystdError) as e:
        aggregate(cross_section({"a": [1, 1], "b": [2, 2]}), None, "topsis", node="env")
    assert e.value.diagnostic.code == "E801" and "env" in e.value.diagnostic.message.en


def test_weighted_median_hand_computed() -> None:
    x = pd.DataFrame(
        [
            [10.0, 20.0, 30.0, 40.0],  # equal weights: cumulative ¼, ½ → 20 (lower middle value)
            [40.0, 10.0, 30.0, 20.0],
            [np.nan, 10.0, 30.0, 20.0],
        ],
        columns=list("abcd"),
    )
    assert aggregate(x.iloc[[0]], None, "median").iloc[0] == 20.0
    # weights (1, 2, 1, 3): sorted 10 (2), 20 (3), 30 (1), 40 (1); total 7, half 3.5; cumulative 2, 5 → 20
    # row 3 drops a: 10 (2), 20 (3), 30 (1); total 6, half 3; cumulative 2, 5 → 20
    assert aggregate(x, [1, 2, 1, 3], "median").tolist()[1:] == [20.0, 20.0]
    # weights (1, 1, 4, 1): sorted 10 (1), 20 (1), 30 (4), 40 (1); half 3.5; cumulative 1, 2, 6 → 30
    assert aggregate(x.iloc[[1]], [1, 1, 4, 1], "median").iloc[0] == 30.0


def test_geometric_and_harmonic_name_bad_units() -> None:
    x = cross_section({"a": [1, 0, 2], "b": [1, 1, -1]}, units=["lyon", "nice", "metz"])
    with pytest.raises(CitystdError) as e:
        aggregate(x, None, "geometric", node="env")
    d = e.value.diagnostic
    assert d.code == "E802" and "nice" in d.message.en and "metz" in d.message.en and "lyon" not in d.message.en
    assert "env" in d.message.zh
    with pytest.raises(CitystdError) as e:
        aggregate(x, None, "harmonic", node="env")
    assert "nice" in e.value.diagnostic.message.en and "metz" not in e.value.diagnostic.message.en


def test_min_coverage_by_count_of_children() -> None:
    x = cross_section({"a": [1, 1, None], "b": [3, None, None], "c": [5, None, 7]})
    # coverage 3/3, 1/3, 1/3
    assert aggregate(x, None, "arithmetic", min_coverage=0.5).tolist()[0] == 3.0
    assert np.isnan(aggregate(x, None, "arithmetic", min_coverage=0.5).to_numpy()[1:]).all()
    assert aggregate(x, None, "arithmetic", min_coverage=1 / 3).tolist() == [3.0, 1.0, 7.0]


def test_zero_weight_children_are_not_scored() -> None:
    x = cross_section({"a": [2, 4], "b": [-5, None]})
    # b has weight 0: ignored, even for the geometric mean and for coverage
    assert aggregate(x, [1, 0], "geometric", min_coverage=1.0).tolist() == [2.0, 4.0]


def test_all_na_row_is_na() -> None:
    x = cross_section({"a": [None, 1], "b": [None, 3]})
    out = aggregate(x, None, "arithmetic")
    assert np.isnan(out.iloc[0]) and out.iloc[1] == 2.0


def test_copeland_is_computed_within_each_year() -> None:
    data = panel(
        {
            ("a", 2020): {"x": 1, "y": 1},
            ("b", 2020): {"x": 2, "y": 2},
            ("a", 2021): {"x": 9, "y": 9},
            ("b", 2021): {"x": 3, "y": 3},
        }
    )
    out = aggregate(data, None, "copeland")
    assert out.tolist() == [-1.0, 1.0, 1.0, -1.0]


def test_weight_errors() -> None:
    x = cross_section({"a": [1], "b": [2]})
    with pytest.raises(CitystdError):
        aggregate(x, [1, 2, 3])
    with pytest.raises(CitystdError) as e:
        aggregate(x, [1, -1])
    assert e.value.diagnostic.code == "T503"
    with pytest.raises(CitystdError):
        aggregate(x, pd.Series({"a": 1.0}))


def test_fill_scores_mean_and_group_mean() -> None:
    s = cross_section({"s": [10, 20, None, 40, None]})["s"]
    filled, records = fill_scores(s, "mean")
    # mean over units with a score: (10 + 20 + 40)/3 = 23.33…
    assert filled.iloc[2] == pytest.approx(70 / 3) and filled.iloc[4] == pytest.approx(70 / 3)
    assert records["action"].tolist() == ["filled:mean"] * 2
    by = pd.Series(["n", "n", "n", "s", None], index=s.index)
    filled, _ = fill_scores(s, "group_mean", by)
    assert filled.iloc[2] == 15.0 and np.isnan(filled.iloc[4])


# ---------------------------------------------------------------- power mean, outranking, dominance


@pytest.mark.parametrize(("p", "key"), [(2, "a_genmean_p2"), (1, "a_amean"), (0, "a_gmean"), (-1, "a_hmean")])
def test_power_mean_matches_coinr(oracle: dict, p: float, key: str) -> None:
    # COINr's a_genmean(x, w, p = 2); p = 1, 0, −1 are its arithmetic, geometric, harmonic means
    got = aggregate(_one_row(oracle["input_v"]), oracle["input_w"], "power", p=p).iloc[0]
    assert abs(got - oracle[key]) < TOL


def test_power_mean_by_hand() -> None:
    # (20, 80), equal weights: p = 2 → √((400 + 6400)/2) = √3400; p = 0.5 → ((√20 + √80)/2)² = 45;
    # p = −2 → ((1/400 + 1/6400)/2)^(−½) = √(12800/17); weights (3, 1), p = 2 → √((3·400 + 6400)/4) = √1900
    two = pd.DataFrame({"a": [20.0], "b": [80.0]})
    assert aggregate(two, method="power", p=2).iloc[0] == pytest.approx(np.sqrt(3400), rel=1e-14)
    assert aggregate(two, method="power", p=0.5).iloc[0] == pytest.approx(45, rel=1e-14)
    assert aggregate(two, method="power", p=-2).iloc[0] == pytest.approx(np.sqrt(12800 / 17), rel=1e-14)
    assert aggregate(two, [3, 1], method="power", p=2).iloc[0] == pytest.approx(np.sqrt(1900), rel=1e-14)
    # a missing child is dropped and the weights renormalised, as for the other means
    three = pd.DataFrame({"a": [20.0], "b": [np.nan], "c": [80.0]})
    assert aggregate(three, method="power", p=2).iloc[0] == pytest.approx(np.sqrt(3400), rel=1e-14)


def test_power_mean_domain_errors() -> None:
    x = pd.DataFrame({"a": [10.0, 0.0, -5.0], "b": [20.0, 5.0, 5.0]}, index=["A", "B", "C"])
    with pytest.raises(CitystdError) as exc:
        aggregate(x, method="power", p=-1, node="n")
    assert exc.value.diagnostic.code == "E802" and "B, C" in exc.value.diagnostic.message.en
    with pytest.raises(CitystdError) as exc:
        aggregate(x, method="power", p=2, node="n")
    assert exc.value.diagnostic.code == "E802" and "units: C" in exc.value.diagnostic.message.en
    assert aggregate(x, method="power", p=1).tolist() == [15, 2.5, 0]  # p = 1: any values
    with pytest.raises(CitystdError):
        aggregate(x, method="power")  # no exponent


def test_outranking_row_sums_match_coinr(oracle: dict) -> None:
    x = pd.DataFrame(oracle["copeland_input"])
    got = aggregate(x, oracle["copeland_w"], "outranking")
    np.testing.assert_allclose(got.to_numpy(), np.array(oracle["outrank_matrix"]).sum(axis=1), atol=TOL)


def test_outranking_by_hand() -> None:
    # Aston (80, 60, 70), Brindle (70, 70, 60), Carrow (60, 90, 50), equal weights:
    # o(A,B) = 2/3, o(A,C) = 2/3 → 4/3; o(B,A) = 1/3, o(B,C) = 2/3 → 1; o(C,A) = o(C,B) = 1/3 → 2/3
    x = pd.DataFrame({"c1": [80.0, 70, 60], "c2": [60.0, 70, 90], "c3": [70.0, 60, 50]}, index=list("ABC"))
    assert np.allclose(aggregate(x, method="outranking"), [4 / 3, 1, 2 / 3])
    # each pair shares one unit of weight, so without ties or NA the sums add to n(n − 1)/2
    assert aggregate(x, method="outranking").sum() == pytest.approx(3)


def test_dominance_pairs() -> None:
    # A beats C on every child: one dominant pair of three
    x = pd.DataFrame({"c1": [80.0, 70, 60], "c2": [60.0, 70, 50], "c3": [70.0, 60, 50]}, index=list("ABC"))
    assert dominance(x) == (2, pytest.approx(2 / 3))  # A ≻ C and B ≻ C
    x.loc["B", "c1"] = 80.0  # a tie on c1: B no longer strictly better than A, still better than C
    assert dominance(x)[0] == 2
    x.loc["C", "c3"] = 90.0
    assert dominance(x) == (0, 0.0)
    assert dominance(x.iloc[:1])[0] == 0
