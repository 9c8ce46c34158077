"""Calibration of the built-in library on the 297 cities (docs/calibration.md).

The real data (the 2024 city statistical yearbook and the census) are not in a user's clone, so these
tests check the committed output of ``tools/calibrate.py`` against the library instead: the quantile
table is in step with the goalposts, every calibrated bound is what the rule gives on the committed
distribution, no scored indicator leaves half of the cities at 0 or at 100, and no two scored
indicators of a node correlate above 0.9. The rule itself is tested by hand on small vectors, and
the script's own table on a synthetic cross-section.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citystd.library import calibration as cal
from citystd.library.load import Library, builtin_path, load_library
from citystd.library.rules import context_ids, effective_weights, iter_leaves

ROOT = Path(__file__).resolve().parents[1]
QUANTILES = ROOT / "docs" / "calibration" / "quantiles.csv"
REDUNDANCY = ROOT / "docs" / "calibration" / "redundancy.csv"
DATA_SET = "中国城市统计年鉴2024"


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library([builtin_path()])[0]


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, str]]:
    with QUANTILES.open(encoding="utf-8", newline="") as fh:
        return {r["indicator"]: r for r in csv.DictReader(fh)}


def f(v: str) -> float:
    return float(v) if v != "" else float("nan")


# ---------------------------------------------------------------- the rule, by hand

def test_nice_keeps_two_significant_figures() -> None:
    assert cal.nice(38123) == 38000 and cal.nice(0.1297) == 0.13 and cal.nice(-1.266) == -1.3
    assert cal.nice(0) == 0 and cal.nice(99.96) == 100 and cal.nice(0.000751703) == 0.00075


def test_quantiles_and_rule_bounds_by_hand() -> None:
    cross = pd.DataFrame({"up": np.arange(1.0, 41.0), "down": np.arange(1.0, 41.0)})
    q = cal.quantiles(cross, {"up": "higher", "down": "lower"})
    # numpy's linear percentiles of 1..40: p2.5 = 1 + 0.025·39 = 1.975, p97.5 = 39.025
    assert q.loc["up", "n"] == 40 and q.loc["up", "p2_5"] == pytest.approx(1.975)
    assert q.loc["up", "p50"] == pytest.approx(20.5) and q.loc["up", "p97_5"] == pytest.approx(39.025)
    assert q.loc["up", "best5"] == pytest.approx(38.0) and q.loc["down", "best5"] == pytest.approx(3.0)
    assert cal.rule_bounds(q.loc["up"], "higher") == (2.0, 38.0)
    assert cal.rule_bounds(q.loc["down"], "lower") == (39.0, 3.0)


def test_the_target_rule() -> None:
    cross = pd.DataFrame({"ratio": [0.5, 0.9, 1.0, 1.1, 1.3, 1.6, 2.0] * 6})
    q = cal.quantiles(cross, {"ratio": "target"}, {"ratio": 1.0})
    d = float(np.percentile(np.abs(cross["ratio"] - 1.0), 97.5))
    assert q.loc["ratio", "dist_p97_5"] == pytest.approx(d)
    assert cal.rule_bounds(q.loc["ratio"], "target", 1.0) == (cal.nice(1.0 + d), 1.0)


def test_shares_at_0_and_100_use_the_engines_goalposts() -> None:
    cross = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7, 8, 10]})
    bounds = pd.DataFrame({"direction": ["higher"], "worst": [2.0], "best": [8.0]}, index=["x"])
    s = cal.shares(cross, bounds)
    assert s.loc["x", "share_0"] == pytest.approx(0.3) and s.loc["x", "share_100"] == pytest.approx(0.2)
    lower = pd.DataFrame({"direction": ["lower"], "worst": [8.0], "best": [2.0]}, index=["x"])
    s = cal.shares(cross, lower)
    assert s.loc["x", "share_0"] == pytest.approx(0.2) and s.loc["x", "share_100"] == pytest.approx(0.3)


def test_cross_section_takes_the_latest_well_covered_year() -> None:
    idx = pd.MultiIndex.from_product([["a", "b", "c", "d", "e"], [2010, 2020, 2023]], names=["unit", "year"])
    v = pd.DataFrame({"census": np.nan, "yearbook": np.nan}, index=idx)
    v.loc[(slice(None), 2010), "census"] = [1, 2, 3, 4, 5]
    v.loc[(slice(None), 2020), "census"] = [1, 2, 3, 4, np.nan]  # 4 of 5: still ≥ 80 %
    v.loc[(slice(None), 2023), "yearbook"] = [9, 8, 7, 6, 5]
    cross = cal.cross_section(v, ["a", "b", "c", "d", "e"], prefer_year=2023)
    assert cross.attrs["years"] == {"census": 2020, "yearbook": 2023}
    assert cross["census"].tolist()[:4] == [1, 2, 3, 4]


def test_data_ends_read_the_written_rule() -> None:
    assert cal.data_ends(cal.RULE, "higher") == [("worst", "rule_worst"), ("best", "rule_best")]
    assert cal.data_ends(f"{cal.RULE_WORST}; best = GB 3095-2012 Grade I", "lower") == [("worst", "rule_worst")]
    assert cal.data_ends(cal.RULE_TARGET, "target") == [("worst", "rule_worst")]


# ---------------------------------------------------------------- the committed output and the library

def test_the_quantile_table_is_in_step_with_the_library(lib: Library, rows: dict[str, dict[str, str]]) -> None:
    for iid, r in rows.items():
        ind = lib.indicators[iid]
        assert (r["context"] == "true") == ind.context, iid
        if ind.context:
            continue
        assert ind.goalposts is not None, iid
        assert (f(r["worst"]), f(r["best"])) == (ind.goalposts.worst, ind.goalposts.best), \
            f"{iid}: goalposts changed since tools/calibrate.py ran; run it again"


def test_every_bound_calibrated_on_the_yearbook_is_what_the_rule_gives(lib: Library,
                                                                       rows: dict[str, dict[str, str]]) -> None:
    calibrated = [i for i, ind in lib.indicators.items() if ind.goalposts is not None and ind.goalposts.basis is not None
                  and ind.goalposts.basis.kind == "calibration" and (ind.goalposts.basis.source or "").startswith(DATA_SET)]
    assert len(calibrated) >= 35
    for iid in calibrated:
        ind = lib.indicators[iid]
        assert iid in rows, f"{iid} is calibrated on the yearbook but not in {QUANTILES.name}"
        q = pd.Series({k: f(v) for k, v in rows[iid].items() if k not in ("indicator", "direction", "context", "basis",
                                                                             "rule", "calibrated_here")})
        target = ind.target.value if ind.target is not None else None
        worst, best = cal.rule_bounds(q, ind.direction, target)
        ends = cal.data_ends(ind.goalposts.basis.rule or "", ind.direction)
        assert ends, f"{iid}: the rule names no end calibrated on the data"
        got = {"worst": ind.goalposts.worst, "best": ind.goalposts.best}
        want = {"worst": worst, "best": best}
        for end, _ in ends:
            assert got[end] == pytest.approx(want[end]), (iid, end)


def test_no_scored_indicator_gives_half_of_the_cities_the_same_score_of_0_or_100(
        rows: dict[str, dict[str, str]]) -> None:
    scored = {i: r for i, r in rows.items() if r["context"] == "false"}
    assert len(scored) >= 35
    for iid, r in scored.items():
        assert f(r["share_0"]) < cal.MAX_SHARE and f(r["share_100"]) < cal.MAX_SHARE, iid
        # the same from the distribution itself: the median city scores strictly between 0 and 100
        q = pd.Series({"p50": f(r["p50"])})
        assert cal.leaves_room(q, r["direction"], f(r["worst"]), f(r["best"])), iid
        assert int(r["n"]) >= 100 and int(r["year"]) in (2020, 2023)


def test_every_scored_indicator_of_core_is_calibrated_on_the_297_cities(lib: Library,
                                                                          rows: dict[str, dict[str, str]]) -> None:
    core = lib.frameworks["core"]
    weights = effective_weights(core, context_ids(lib))
    scored = [i for i, w in weights.items() if w > 0]
    assert len(scored) >= 25
    for iid in scored:
        assert iid in rows, iid
        basis = lib.indicators[iid].goalposts.basis
        assert basis is not None and basis.kind == "calibration" and basis.region == "CN", iid


def test_no_two_scored_indicators_of_a_node_correlate_above_0_9(lib: Library) -> None:
    red = pd.read_csv(REDUNDANCY)
    assert len(red) > 0 and set(red["framework"]) >= {"core", "action-plan"}
    ctx = context_ids(lib)
    for r in red.itertuples():
        fw = lib.frameworks[r.framework]
        weight = {leaf.indicator: leaf.weight for leaf in iter_leaves(fw.tree)}
        both = all(weight[i] > 0 and i not in ctx for i in (r.a, r.b))
        assert bool(r.both_scored) == both, f"{r.framework}: weights changed since tools/calibrate.py ran"
        assert not (both and abs(r.spearman) > 0.9), (r.framework, r.node, r.a, r.b)


# ---------------------------------------------------------------- the script

def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("calibrate_tool", ROOT / "tools" / "calibrate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_script_without_the_shared_data_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _tool().main(["--yearbook", str(tmp_path / "none"), "--census", str(tmp_path / "none.csv"), "--check"]) == 2
    assert "needs the shared data" in capsys.readouterr().err


def test_the_scripts_table_on_a_synthetic_cross_section(lib: Library) -> None:
    tool = _tool()
    rng = np.random.default_rng(7)
    cities = [f"c{k}" for k in range(150)]
    idx = pd.MultiIndex.from_product([cities, [2023]], names=["unit", "year"])
    derived = pd.DataFrame({"gdp_per_capita": rng.lognormal(11, 0.5, 150),
                            "pm25_concentration": rng.normal(30, 8, 150).clip(5),
                            "sewage_centralised_treatment_rate": rng.uniform(90, 100, 150)}, index=idx)
    t = tool.table(lib, derived, cities)
    assert list(t.index) == ["gdp_per_capita", "pm25_concentration", "sewage_centralised_treatment_rate"]
    assert t.loc["sewage_centralised_treatment_rate", "context"] and np.isnan(t.loc["sewage_centralised_treatment_rate",
                                                                                       "share_0"])
    q = cal.quantiles(derived.xs(2023, level="year")[["gdp_per_capita"]], {"gdp_per_capita": "higher"})
    assert (t.loc["gdp_per_capita", "rule_worst"], t.loc["gdp_per_capita", "rule_best"]) == cal.rule_bounds(
        q.loc["gdp_per_capita"], "higher")
    assert 0 <= t.loc["pm25_concentration", "share_0"] < 1
