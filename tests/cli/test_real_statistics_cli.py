"""Real statistics through the command line: yearbook tables and the census as one data set, the
PM10 case, codes in the results, what `check` says is computable."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from citystd.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
EXCERPT = DATA / "china-city-yearbook-2024" / "中国城市统计年鉴2024（节选）"
CENSUS = DATA / "china-census" / "census_city_2010-2020_excerpt.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [*args, "--lang", "en"])


def test_the_pm10_case_scores_123_micrograms(tmp_path: Path) -> None:
    p = tmp_path / "air.csv"
    p.write_text("城市,年份,PM10（毫克/立方米）\n北京,2008,0.123\n上海,2008,0.081\n", encoding="utf-8")
    r = run("score", str(p), "-f", "iso37120", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    beijing = next(x for x in doc["results"] if x["city"] == "北京")
    assert beijing["code"] == "110000"
    assert beijing["indicators"]["pm10_concentration"]["value"] == 123.0
    assert beijing["indicators"]["pm10_concentration"]["score"] < 100  # not a perfect score for 0.123


def test_yearbook_folder_and_census_are_one_data_set() -> None:
    r = run("score", str(EXCERPT), str(CENSUS), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["input"]["layout"] == "merged" and len(doc["input"]["sources"]) == 8
    assert {s["dialect"] for s in doc["input"]["sources"]} == {"yearbook", "panel"}
    rows = {(x["city"], x["year"]): x for x in doc["results"]}
    assert rows[("石家庄市", 2023)]["code"] == "130100"
    assert rows[("石家庄市", 2023)]["indicators"]["gdp_per_capita"]["value"] == 67099  # as printed
    assert rows[("北京市", 2020)]["indicators"]["urbanization_rate_resident"]["value"] == \
        19166433 / 21893095 * 100  # the census: urban ÷ resident population
    assert list(rows[("北京市", 2023)])[:3] == ["city", "code", "year"]


def test_conflicting_inputs_stop_the_score_until_one_is_preferred(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("城市,年份,常住人口,医院床位数\n北京,2023,21860000,130831\n", encoding="utf-8")
    b.write_text("城市,年份,常住人口\n北京市,2023,21850000\n", encoding="utf-8")
    r = run("score", str(a), str(b))
    assert r.exit_code == 1
    assert "D734" in r.output and "21860000" in r.output.replace(",", "") and "21850000" in r.output.replace(",", "")
    r = run("score", str(a), str(b), "--prefer", str(b), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["results"][0]["indicators"]["hospital_beds_per_100k"]["value"] == 130831 / 21850000 * 100000
    r = run("score", str(a), "--prefer", str(tmp_path / "c.csv"))
    assert r.exit_code == 2 and "U921" in r.output


def test_a_file_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "other.csv"
    p.write_text("城市,某个指标\n甲,1\n", encoding="utf-8")
    r = run("score", str(p))
    assert r.exit_code == 1 and "D712" in r.output
    r = run("score", str(p), str(CENSUS))
    assert r.exit_code == 1 and "D736" in r.output


def test_check_tells_what_is_computable_and_where_the_rest_is_published() -> None:
    r = run("check", str(EXCERPT / "2-6_地区生产总值.csv"), "--format", "json")
    doc = json.loads(r.stdout)
    by_id = {i["id"]: i for i in doc["completeness"]["indicators"]}
    assert by_id["gdp_per_capita"]["status"] == "complete"
    beds = by_id["hospital_beds_per_100k"]
    assert beds["status"] == "none" and beds["missing_columns"] == ["inpatient_beds", "population"]
    assert beds["sources"]["population"][0].startswith("中国城市统计年鉴 2-1")
    cities = {c["city"]: c for c in doc["completeness"]["cities"]}
    assert cities["太原市"]["code"] == "140100" and cities["太原市"]["computable"] >= 1
    assert "gdp_per_capita" not in cities["太原市"]["missing"]
    assert {c["id"] for c in doc["columns"]} >= {"gdp", "gdp_districts", "gdp_per_capita"}
    gdp = next(c for c in doc["columns"] if c["id"] == "gdp")
    assert (gdp["unit"], gdp["factor"], gdp["scope"]) == ("亿元", 10000.0, "whole_city")
    human = run("check", str(EXCERPT / "2-6_地区生产总值.csv"))
    assert "published in 中国城市统计年鉴" in human.stdout and "Indicators computable per city" in human.stdout


def test_check_of_an_empty_template_exits_1(tmp_path: Path) -> None:
    t = tmp_path / "t.xlsx"
    assert run("template", "-f", "sdg11", "-o", str(t)).exit_code == 0
    r = run("check", str(t), "-f", "sdg11")
    assert r.exit_code == 1 and "D711" in r.output


def test_column_option_is_checked() -> None:
    r = run("score", str(CENSUS), "--column", "nonsense")
    assert r.exit_code == 2 and "ID=HEADER" in r.output
    r = run("score", str(CENSUS), "--column", "populaton=popu")
    assert r.exit_code == 2 and "population" in r.output
