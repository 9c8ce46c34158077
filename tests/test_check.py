"""`citystd check`: completeness and data quality without scoring; D716 empty values; the D714
jump test limited to ratio-scale columns and to changes beyond counting noise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from citystd.assessment.datachecks import check_missing_values, check_year_jumps, ratio_scale
from citystd.cli import app
from citystd.diagnostics import Location

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "tests" / "fixtures" / "score"
runner = CliRunner()


def panel(cols: dict[str, list[float]], units: tuple[str, ...] = ("a",), start: int = 2019) -> pd.DataFrame:
    n = len(next(iter(cols.values()))) // len(units)
    index = pd.MultiIndex.from_arrays(
        [pd.Index([u for u in units for _ in range(n)], dtype=object),
         pd.array([start + k for _ in units for k in range(n)], dtype="Int64")], names=["unit", "year"])
    return pd.DataFrame(cols, index=index, dtype="float64")


# --- ratio scale ---------------------------------------------------------------------------------------


def test_ratio_scale() -> None:
    assert ratio_scale(0, None, ["人", "persons"])
    assert ratio_scale(0, 500, "µg/m³")
    assert not ratio_scale(-100, 100, "%")  # a growth rate: its zero is "no change"
    assert not ratio_scale(None, 5, "比值")  # no lower bound: may be negative
    assert ratio_scale(None, None, "")  # no range at all: not known to be interval-scale
    assert not ratio_scale(0, 100, ["百分点", "percentage points"])  # a difference of percentages
    assert not ratio_scale(0, 1, ["是/否（1/0）", "yes/no (1/0)"])
    assert not ratio_scale(0, 2, "级")


def test_growth_rates_are_not_jumps_in_check(tmp_path: Path) -> None:
    """gdp_real_growth 2 % → 6.5 % is an ordinary swing: D714 must not flag it; a population ÷10 it must."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "lib.yaml").write_text("""citystd: 1
domains:
  - {id: economy, name: {zh: 经济, en: Economy}}
variables:
  - {id: population, name: {zh: 常住人口, en: Population}, unit: {zh: 人, en: persons}, range: [1, 50000000]}
  - {id: gdp_real_growth, name: {zh: 实际增长率, en: Real growth}, unit: "%", range: [-100, 100]}
indicators:
  - id: growth
    name: {zh: 增长, en: Growth}
    definition: {zh: 增长。, en: Growth.}
    domain: economy
    unit: "%"
    direction: higher
    formula: gdp_real_growth * population / population
    range: [-100, 100]
    goalposts: {worst: 0, best: 8}
framework:
  id: g
  version: "1.0.0"
  name: {zh: 增长, en: Growth}
  tree:
    - {id: economy, name: {zh: 经济, en: Economy}, children: [{indicator: growth}]}
""", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("city,year,population,gdp_real_growth\nA,2020,5000000,2.0\nA,2021,5000000,6.5\n"
                    "A,2022,1200000,1.8\nA,2023,5010000,5.9\n", encoding="utf-8")
    r = runner.invoke(app, ["check", str(data), "--library", str(lib), "-f", "g", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jumps = [d for d in doc["diagnostics"] if d["code"] == "D714"]
    assert {d["line"] for d in jumps} == {4, 5} and all("population" in d["message"] for d in jumps)
    r = runner.invoke(app, ["check", str(data), "--library", str(lib), "-f", "g", "--jump-factor", "0",
                            "--format", "json"])
    assert not [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "D714"]


def test_counting_noise() -> None:
    values = panel({"x": [1, 0, 2, 7, 40, 10, 0.1, 0.4]}, units=("a", "b"))
    plain = check_year_jumps(values, 3.0)
    noisy = check_year_jumps(values, 3.0, noise=3.0)
    assert len(plain) == 5  # 1→0, 2→7 (a); 40→10, 10→0.1 … see below
    kept = [d.message.en for d in noisy]
    assert not any("from 1 (2019) to 0" in m or "from 2 (2021) to 7" in m for m in kept)  # counting noise
    assert any("from 40 (2019) to 10" in m for m in kept)  # 30 > 3·√40
    assert any("from 0.1 (2021) to 0.4" in m for m in kept)  # not whole numbers: the ratio alone decides


# --- D716 --------------------------------------------------------------------------------------------


def test_missing_values_grouped_per_city_and_column() -> None:
    values = panel({"pop": [1, np.nan, np.nan, 4, np.nan, 5], "gdp": [1, 2, 3, 4, np.nan, 6]},
                   units=("a", "b"))
    calls: list[tuple] = []

    def locate(u: object, y: object, c: object) -> Location:
        calls.append((u, y, c))
        return Location("f", line=int(y) - 2000) if y is not None else Location("f")

    out = check_missing_values(values, {"pop": ["density"], "gdp": ["gdp_pc"]}, locate, file="f",
                               headers={"pop": "人口"})
    msgs = [d.message.en for d in out]
    # b 2020 is empty in both columns: one finding for the row; the rest per city and column
    assert msgs[0] == "no value at all for the framework's 2 items (city b, year 2020)"
    assert msgs[1] == 'no value for "人口" (pop) of a in 2020, 2021; density cannot be computed there'
    assert len(out) == 2 and out[1].location == Location("f", line=20)  # the first empty cell
    assert all(d.code == "D716" and d.level.value == "warning" for d in out)
    assert out[1].message.zh == 'a 的 "人口" (pop) 在 2020, 2021 年没有数值；density 因此无法计算'
    # a cell already reported as not a number is not "empty"
    flagged = [Location("f", line=20)]
    out = check_missing_values(values, {"pop": ["density"]}, locate, file="f", flagged=flagged)
    assert [d.location for d in out][:1] == [Location("f", line=21)]
    assert check_missing_values(values.fillna(1), {"pop": []}) == []


# --- the command ---------------------------------------------------------------------------------------


def check(*args: str):
    return runner.invoke(app, ["check", *args])


def test_clean_file_exits_0_and_reports_completeness() -> None:
    r = check(str(LIB / "cities.csv"), "--library", str(LIB), "-f", "demo", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "Completeness for Demo framework (demo): 5 cities" in r.stdout
    assert "Economy" in r.stdout and "total" in r.stdout
    assert "D716" in r.stderr and "Carrow" in r.stderr  # its PM2.5 is empty (—)


def test_errors_exit_1_in_every_format() -> None:
    base = [str(LIB / "cities_bad.csv"), "--library", str(LIB), "-f", "demo"]
    for fmt in ("human", "json", "github"):
        assert check(*base, "--format", fmt).exit_code == 1
    doc = json.loads(check(*base, "--format", "json").stdout)
    assert doc["errors"] == 3 and {d["code"] for d in doc["diagnostics"]} >= {"D704", "D705", "D707"}
    assert doc["framework"]["id"] == "demo" and len(doc["framework"]["sha256"]) == 64
    comp = doc["completeness"]
    assert comp["overall"]["indicators"] == 3
    assert [d["id"] for d in comp["domains"]] == ["economy", "environment"]
    ur = next(i for i in comp["indicators"] if i["id"] == "unemployment_rate")
    assert ur["status"] == "partial" and ur["values"] == 3 and ur["rows"] == 4  # Brindle's '12,3'
    gh = check(*base, "--format", "github").stdout
    assert gh.count("::error ") == 3 and "file=" in gh and "line=3" in gh


def test_completeness_names_the_missing_columns(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("city,year,population,green_area,pm25\nA,2022,100000,1500000,30\nA,2023,100000,1600000,\n",
                    encoding="utf-8")
    r = check(str(data), "--library", str(LIB), "-f", "demo", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    by_id = {i["id"]: i for i in doc["completeness"]["indicators"]}
    assert by_id["unemployment_rate"]["status"] == "none"
    assert by_id["unemployment_rate"]["missing_columns"] == ["labour_force", "unemployed"]
    assert by_id["pm25"]["status"] == "partial" and by_id["pm25"]["share"] == 0.5
    assert by_id["park_area_per_capita"]["status"] == "complete"
    eco = doc["completeness"]["domains"][0]
    assert (eco["complete"], eco["partial"], eco["none"], eco["share"]) == (0, 0, 1, 0.0)
    assert doc["years"] == [2022, 2023] and doc["cities"] == 1
    codes = [d["code"] for d in doc["diagnostics"]]
    assert codes.count("D709") == 2 and codes.count("D716") == 1
    r = check(str(data), "--library", str(LIB), "-f", "demo", "--lang", "zh")
    assert "无法计算的指标" in r.stdout and "unemployment_rate" in r.stdout and "缺少：labour_force" in r.stdout


@pytest.mark.parametrize(("args", "code"), [
    (["--format", "sarif"], 2), (["--jump-factor", "1"], 2), (["--layout", "tall"], 2), (["--lang", "fr"], 2),
])
def test_usage_errors(args: list[str], code: int) -> None:
    assert check(str(LIB / "cities.csv"), "--library", str(LIB), "-f", "demo", *args).exit_code == code


def test_missing_file_exits_2(tmp_path: Path) -> None:
    r = check(str(tmp_path / "nope.csv"), "--library", str(LIB), "-f", "demo")
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_builtin_example_is_clean() -> None:
    r = check(str(ROOT / "examples" / "cities-2019-2023.csv"), "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    # no growth-rate swings, no counting noise: the generated panel has nothing suspicious
    assert doc["diagnostics"] == [] and doc["completeness"]["overall"]["share"] == 1.0
