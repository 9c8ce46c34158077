from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engine_testing import cross_section

from citystd.diagnostics import CitystdError
from citystd.engine.rate import colour_levels, indicator_colours, node_colours

TH = pd.DataFrame(
    {"green": [80.0, 10.0, 5.0], "yellow": [60.0, 20.0, 10.0], "orange": [40.0, 30.0, 20.0]},
    index=["hi", "lo", "tg"],
)


def test_indicator_colours_in_each_direction() -> None:
    data = cross_section(
        {
            "hi": [80, 79.9, 60, 40, 39, None],
            "lo": [10, 10.1, 20, 30, 31, 5],
            # target 50, thresholds are distances (TH: green 5, yellow 10, orange 20):
            # |x − 50| = 0 green, 3 green, 8 yellow, 15 orange, 25 red, 20 orange (on the line)
            "tg": [50, 47, 58, 65, 75, 30],
        }
    )
    direction = pd.Series({"hi": 1, "lo": -1, "tg": "target"})
    colours = indicator_colours(data, TH, direction, targets=pd.Series({"tg": 50.0}))
    assert colours["hi"].tolist() == ["green", "yellow", "yellow", "orange", "red", "gray"]
    assert colours["lo"].tolist() == ["green", "yellow", "yellow", "orange", "red", "green"]
    assert colours["tg"].tolist() == ["green", "green", "yellow", "orange", "red", "orange"]


def test_target_thresholds_closer_is_better() -> None:
    th = pd.DataFrame({"green": [2.0], "yellow": [5.0], "orange": [15.0]}, index=["tg"])
    # distances to the target 50: green ≤ 2, yellow ≤ 5, orange ≤ 15.
    # x = 50 (0) green, 53 (3) yellow, 60 (10) orange, 70 (20) red
    data = cross_section({"tg": [50, 53, 60, 70]})
    c = indicator_colours(data, th, pd.Series({"tg": "target"}), pd.Series({"tg": 50.0}))
    assert c["tg"].tolist() == ["green", "yellow", "orange", "red"]


def test_missing_thresholds_raise() -> None:
    data = cross_section({"x": [1.0]})
    with pytest.raises(CitystdError) as e:
        colour_levels(data, TH)
    assert e.value.diagnostic.code == "E807"


def _children(rows: list[list[str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(rows[0]))], dtype=object)


def test_mean_colour_rounds_down_and_red_share() -> None:
    kids = _children(
        [
            ["green", "green", "green"],  # mean 3 → green
            ["green", "green", "yellow"],  # mean 8/3 = 2.67 → ⌊⌋ 2 → yellow
            ["green", "yellow", "orange"],  # mean 2 → yellow
            ["green", "green", "red"],  # 1/3 red is not more than a third; mean 2 → yellow
            ["green", "red", "red"],  # 2/3 red → red
            ["green", "orange", None],  # 2 of 3 with data; mean 2 → yellow
            ["red", None, None],  # 1 of 3 with data < ½ → gray
            ["green", "green", "green"],
        ]
    )
    got = node_colours(kids, "mean_colour").tolist()
    assert got == ["green", "yellow", "yellow", "yellow", "red", "yellow", "gray", "green"]


def test_red_share_counts_children_with_data() -> None:
    kids = _children([["red", "green", None, None]])  # coverage ½ → rated; 1 of 2 red > ⅓ → red
    assert node_colours(kids).tolist() == ["red"]
    assert node_colours(kids, red_share=0.5).tolist() == ["orange"]  # mean 1.5 → ⌊⌋ 1
    assert node_colours(kids, min_coverage=0.75).tolist() == ["gray"]


def test_two_worst_rounds_half_up() -> None:
    kids = _children(
        [
            ["green", "yellow", "green"],  # two worst 2, 3 → 2.5 → 3 green
            ["red", "orange", "green"],  # 0, 1 → 0.5 → 1 orange
            ["red", "red", "green"],  # 0, 0 → red
            ["green", None, None],  # coverage ⅓ → gray
            ["yellow", "green", None],  # 2, 3 → green
            ["orange", "green", "green"],  # 1, 3 → 2 yellow
        ]
    )
    assert node_colours(kids, "two_worst").tolist() == ["green", "orange", "red", "gray", "green", "yellow"]


def test_node_colours_accept_levels() -> None:
    levels = pd.DataFrame({"a": [3.0, 0.0], "b": [2.0, np.nan]})
    assert node_colours(levels).tolist() == ["yellow", "red"]


SDSN = Path(__file__).resolve().parents[1] / "data" / "euro-cities-sdg-2019"  # copied with its SOURCE.md


def test_sdsn_european_cities_dashboard() -> None:
    """Indicator colours reproduce SDSN's dashboard; goal colours as documented in rate.py."""
    d = pd.read_csv(SDSN / "ods_index_and_dashboard.csv")
    cb = pd.read_csv(SDSN / "ods_codebook.csv")
    raw = {}
    for r in cb.itertuples():
        col = next(c for c in d.columns if c.startswith(f"{r.short} :"))
        raw[r.short] = pd.to_numeric(d[col], errors="coerce").to_numpy()
    data = pd.DataFrame(raw)
    best, worst = cb["Best Value"].to_numpy(), cb["Worst Value"].to_numpy()
    g, red = cb["Green Threshold"].to_numpy(), cb["Red Threshold"].to_numpy()
    th = pd.DataFrame({"green": g, "yellow": (g + red) / 2, "orange": red}, index=cb["short"])
    direction = pd.Series(np.where(best > worst, 1, -1), index=cb["short"])
    ours = indicator_colours(data, th, direction)
    published = pd.DataFrame({r.short: d[f"Dashboard: {r.Indicator}"].to_numpy() for r in cb.itertuples()})
    rated = published.notna().to_numpy()
    agree = int((ours.to_numpy()[rated] == published.to_numpy()[rated]).sum())
    assert rated.sum() == 2277 and agree >= 2276  # as SOURCE.md reports: 2,276 of 2,277
    assert (ours.to_numpy()[~rated] == "gray").all()  # no value ⇒ gray (the published cell is blank)

    matches = {"mean_colour": 0, "two_worst": 0}
    for sdg in sorted(set(cb["SDG"])):
        kids = published[cb.loc[cb["SDG"] == sdg, "short"]]
        for how in matches:
            matches[how] += int((node_colours(kids, how).to_numpy() == d[f"Dashboard SDG{sdg}"].to_numpy()).sum())
    assert matches == {"mean_colour": 579, "two_worst": 593}  # of 675: see the rate module docstring


def test_scale_levels_and_the_sdsn_node_rule() -> None:
    """Continuous levels: worst 0, orange 1, yellow 2, green 3, best 4, linear between, clamped."""
    from citystd.engine.rate import node_colours_scaled, scale_levels

    th = pd.DataFrame({"green": [80.0, 10.0], "yellow": [60.0, 20.0], "orange": [40.0, 30.0]}, index=["hi", "lo"])
    gp = pd.DataFrame({"worst": [0.0, 50.0], "best": [100.0, 0.0]}, index=["hi", "lo"])
    data = cross_section({"hi": [100, 70, 50, 20, -5, None], "lo": [0, 15, 25, 40, 60, 5]})
    lv = scale_levels(data, th, gp, pd.Series({"hi": 1, "lo": -1}))
    # hi: 70 is halfway from yellow 60 (2) to green 80 (3) → 2.5; 50 → 1.5; 20 halfway 0→40 → 0.5; −5 → 0
    assert lv["hi"].tolist()[:5] == [4.0, 2.5, 1.5, 0.5, 0.0]
    assert np.isnan(lv["hi"].iloc[5])
    # lo (lower is better; worst 50, orange 30, yellow 20, green 10, best 0): 15 → 2.5, 25 → 1.5, 40 → 0.5
    assert lv["lo"].tolist() == [4.0, 2.5, 1.5, 0.5, 0.0, 3.5]
    # two lowest (a, b): both ≥ 3 green; both < 1 red; else mean ≥ 2 yellow, else orange
    scale = pd.DataFrame({"a": [3.2, 0.5, 2.5, 1.0, 3.5], "b": [3.9, 0.9, 1.5, 2.5, np.nan],
                          "c": [4.0, 4.0, 4.0, 0.9, np.nan]})
    assert node_colours_scaled(scale).tolist() == ["green", "red", "yellow", "orange", "gray"]
