"""Data checks: ranges (D707), missing variables (D709), year jumps (D714), unit scale (D715)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from citystd.assessment.datachecks import (
    check_city_data,
    check_missing_variables,
    check_ranges,
    check_unit_scale,
    check_year_jumps,
    unit_scale_mask,
)
from citystd.diagnostics import Location
from citystd.io import read_city_data


def frame(rows: dict[tuple[str, int | None], dict[str, float]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays(
        [pd.Index([k[0] for k in rows], dtype=object),
         pd.array([k[1] for k in rows], dtype="Int64")], names=["unit", "year"])
    return pd.DataFrame(list(rows.values()), index=index, dtype="float64")


def panel(series: dict[str, list[float]], col: str = "x", start: int = 2010) -> pd.DataFrame:
    rows = {}
    for unit, vals in series.items():
        for i, v in enumerate(vals):
            rows[(unit, start + i)] = {col: v}
    return frame(rows)


# --- D707 -------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["城市", "年份", "绿地率", "PM2.5"])
    ws.append(["北京", 2019, 45, 30])
    ws.append(["上海", 2019, 130, 28])
    ws.append(["广州", 2019, -2, None])
    path = tmp_path / "data.xlsx"
    wb.save(path)
    return path


def test_ranges_point_at_cells(workbook: Path) -> None:
    data = read_city_data(workbook, {"green": ["绿地率"], "pm25": ["PM2.5"]}, display="data.xlsx")
    out = check_ranges(data.values, {"green": (0, 100), "pm25": (0, None)}, data)
    assert [(d.code, d.location) for d in out] == [
        ("D707", Location("data.xlsx", sheet="Sheet1", cell="C3")),
        ("D707", Location("data.xlsx", sheet="Sheet1", cell="C4")),
    ]
    d = out[0]
    assert d.message.en == 'value 130 in column "绿地率" is outside the valid range [0, 100] (city 上海, year 2019)'
    assert d.message.zh == '"绿地率" 列的值 130 超出有效范围 [0, 100]（城市 上海，2019 年）'
    assert d.hint is not None and d.level.value == "error"


def test_ranges_with_a_plain_locate_function() -> None:
    values = frame({("a", None): {"x": 5.0, "y": 1.0}, ("b", None): {"x": np.nan, "y": -1.0}})
    seen = []

    def locate(unit, year, col):
        seen.append((unit, year, col))
        return Location("f.csv", line=7)

    out = check_ranges(values, {"x": (None, 4), "y": (0, None), "absent": (0, 1)}, locate,
                       headers={"x": "X (%)"})
    assert [d.message.en for d in out] == [
        'value 5 in column "X (%)" is outside the valid range ≤ 4 (city a)',
        'value -1 in column "y" is outside the valid range ≥ 0 (city b)',
    ]
    assert seen == [("a", None, "x"), ("b", None, "y")]
    assert check_ranges(values, {}) == []


def test_ranges_are_capped() -> None:
    values = frame({(f"c{i}", 2019): {"x": 200.0} for i in range(50)})
    out = check_ranges(values, {"x": (0, 100)}, file="f.csv", max_diagnostics=5)
    assert len(out) == 6
    assert out[-1].code == "D707" and "45 more" in out[-1].message.en
    assert out[-1].location == Location("f.csv")


# --- D709 -------------------------------------------------------------------------------------


def test_missing_variables() -> None:
    out = check_missing_variables(
        ["pop", "gdp"], {"pop": ["density"], "area": ["density", "green_ratio"], "beds": []},
        file="d.csv", names={"area": ["Area", "面积"]})
    assert [d.code for d in out] == ["D709", "D709"]
    assert out[0].message.en == 'variable "area" is needed by density, green_ratio, but the data has no such column'
    assert out[0].message.zh == '指标 density, green_ratio 需要变量 "area"，但数据中没有该列'
    assert out[0].hint is not None and "'area' / 'Area' / '面积'" in out[0].hint.en
    assert out[0].location == Location("d.csv")
    assert out[0].level.value == "warning"
    assert 'variable "beds" is needed' in out[1].message.en


# --- D714 -------------------------------------------------------------------------------------


def test_year_jumps() -> None:
    values = panel({"a": [100, 110, 400, 390], "b": [50, np.nan, 10, 0], "c": [-5, 20, 1, 1]})
    out = check_year_jumps(values, factor=3)
    got = [d.message.en for d in out]
    assert len(out) == 4
    assert got[0] == '"x" of a jumps from 110 (2011) to 400 (2012), ×3.64; changes of 3× or more are flagged'
    assert "b jumps from 50 (2010) to 10 (2012), ÷5" in got[1]  # across a gap
    assert "b jumps from 10 (2012) to 0 (2013), a drop to zero" in got[2]
    assert "c jumps from 20 (2011) to 1 (2012), ÷20" in got[3]  # never across a sign change
    assert all(d.code == "D714" and d.level.value == "warning" for d in out)


def test_year_jumps_unsorted_and_located() -> None:
    values = panel({"a": [1, 1, 10]}).iloc[::-1]
    calls = []
    out = check_year_jumps(values, locate=lambda u, y, c: calls.append((u, y, c)) or Location("f", line=y))
    assert len(out) == 1 and calls == [("a", 2012, "x")]
    assert out[0].message.zh == 'a 的 "x" 从 1（2011 年）跳变为 10（2012 年），增至 10 倍；变化达 3 倍及以上即提示'


def test_no_jumps_without_years() -> None:
    values = frame({("a", None): {"x": 1.0}, ("b", None): {"x": 100.0}})
    assert check_year_jumps(values) == []


# --- D715 -------------------------------------------------------------------------------------


def test_unit_scale_against_own_years() -> None:
    values = panel({"a": [100, 104, 1010, 98, 101], "b": [1, 3, 10, 30, 100], "c": [50, 52, 0.51, 49]})
    out = check_unit_scale(values)
    assert [d.message.en for d in out] == [
        'value 1010 in column "x" looks 10× too large compared with the city\'s other years (median 101) '
        "(city a, year 2012)",
        'value 0.51 in column "x" looks 100× too small compared with the city\'s other years (median 49.5) '
        "(city c, year 2012)",
    ]  # the growing series b is not flagged
    assert out[0].message.zh == '"x" 列的值 1010 与该城市其他年份（中位数 101）相比大了约 10 倍（城市 a，2012 年）'


def test_unit_scale_against_other_cities() -> None:
    tight = frame({(f"c{i}", 2019): {"pct": 40.0 + i, "pop": 10.0 ** (i % 4)} for i in range(8)}
                  | {("odd", 2019): {"pct": 0.45, "pop": 5.0}})
    out = check_unit_scale(tight)
    assert len(out) == 1
    assert "0.45" in out[0].message.en and "the other cities in 2019" in out[0].message.en
    assert "100× too small" in out[0].message.en


def test_unit_scale_ignores_near_misses() -> None:
    values = panel({"a": [100, 100, 800, 100]})  # ×8: a jump, not a power of ten
    assert check_unit_scale(values) == []
    assert len(check_year_jumps(values)) == 2


def test_check_city_data_does_not_repeat_scale_errors_as_jumps(tmp_path: Path) -> None:
    text = "city,year,PM10,PM2.5\n" + "".join(
        f"a,{y},{v},{w}\n" for y, v, w in [(2015, 100, 50), (2016, 102, 51), (2017, 1020, 52), (2018, 99, 400)])
    path = tmp_path / "d.csv"
    path.write_text(text)
    data = read_city_data(path, {"pm10": ["PM10"], "pm25": ["PM2.5"], "area": []}, display="d.csv")
    out = check_city_data(data, ranges={"pm25": (0, 300)}, needed={"area": ["density"]})
    got = [(d.code, d.location.line) for d in out]
    assert got == [("D709", None), ("D707", 5), ("D715", 4), ("D714", 5)]
    # the 10× PM10 value is reported once (D715), not also as two jumps; PM2.5 ×7.7 is a jump
    assert '"PM2.5"' in out[-1].message.en


def test_real_panel_has_no_scale_false_positives() -> None:
    path = Path(__file__).parent / "data" / "china-30cities" / "final_air_pollution_30cities.csv"
    data = read_city_data(path, None)
    assert check_unit_scale(data.values, data) == []
    jumps = check_year_jumps(data.values, 3.0, data)
    assert 0 < len(jumps) < 10  # a few real oddities (a 29-fold fall in a city's gas supply)
    mask, _ref, basis = unit_scale_mask(data.values)
    assert not mask.to_numpy().any() and set(np.unique(basis.to_numpy())) == {0}
