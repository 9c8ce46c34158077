"""Yearbook tables as printed: the real excerpts of tests/data/china-city-yearbook-2024 (CSV) and the
same layout written as a workbook with merged cells (openpyxl)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from citystd.diagnostics import Location
from citystd.io import read_city_data
from citystd.io.inputs import read_inputs
from citystd.io.vocabulary import Vocabulary
from citystd.library.load import builtin_path, load_library

DATA = Path(__file__).resolve().parents[1] / "data"
EXCERPT = DATA / "china-city-yearbook-2024" / "中国城市统计年鉴2024（节选）"
CENSUS = DATA / "china-census" / "census_city_2010-2020_excerpt.csv"
CITIES = ["北京市", "天津市", "石家庄市", "唐山市", "太原市"]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    lib, _ = load_library([builtin_path()])
    return Vocabulary.from_library(lib)


def read(name: str, vocab: Vocabulary):
    return read_city_data(EXCERPT / name, vocab, display=name)


def test_population_table(vocab) -> None:
    d = read("2-1_人口数.csv", vocab)
    assert d.source.dialect == "yearbook"
    assert d.units == CITIES  # the group rows 河北省 and 山西省 are not cities; indents are gone
    assert d.years == [2023]  # from the folder: the 2024 edition reports 2023
    assert [x.code for x in d.diagnostics] == ["D730"]
    v = d.values
    assert v.loc[("北京市", 2023), "population"] == 21_860_000  # printed 2186 万人
    assert v.loc[("石家庄市", 2023), "population_districts"] == 5_780_000  # 市辖区 578 万人
    assert v.loc[("太原市", 2023), "urbanization_rate_resident"] == 89.50
    assert d.attributes.loc[("石家庄市", 2023), "province"] == "河北省"
    assert d.attributes.loc[("太原市", 2023), "province"] == "山西省"
    assert d.attributes.loc[("石家庄市", 2023), "City"] == "Shijiazhuang"
    assert d.columns["population"].scope == "whole_city" and d.columns["population_districts"].scope == "districts"
    assert (d.columns["population"].unit, d.columns["population"].factor) == ("万人", 1e4)
    assert d.locate("石家庄市", 2023, "population") == Location("2-1_人口数.csv", line=12)
    assert d.columns["population_districts"].location == Location("2-1_人口数.csv", line=8)  # its 市辖区 cell
    codes = read_inputs([EXCERPT / "2-1_人口数.csv"], vocab).codes  # the register, as score and check use it
    assert codes is not None and codes["北京市"] == "110000" and codes["太原市"] == "140100"


def test_gdp_in_yi_yuan_and_gdp_per_capita(vocab) -> None:
    d = read("2-6_地区生产总值.csv", vocab)
    v = d.values
    assert v.loc[("北京市", 2023), "gdp"] == 437_610_000  # 43 761 亿元 in 万元
    assert v.loc[("唐山市", 2023), "gdp_districts"] == 53_010_000
    assert v.loc[("石家庄市", 2023), "gdp_per_capita"] == 67_099  # the printed 人均地区生产总值 (元), read directly
    assert v.loc[("石家庄市", 2023), "gdp_per_capita_districts"] == 81_615
    assert v.loc[("太原市", 2023), "gdp_real_growth"] == 3.80


def test_computed_gdp_per_capita_agrees_with_the_printed_one(vocab) -> None:
    """GDP (亿元 → 万元) ÷ year-end population (万人 → 人) against the printed per-capita GDP, which
    divides by the average population: equal within the population difference (under 2 %)."""
    from citystd.engine.derive import derive

    lib, _ = load_library([builtin_path()])
    d = read_inputs([EXCERPT / "2-1_人口数.csv", EXCERPT / "2-6_地区生产总值.csv"], vocab)
    printed = d.values["gdp_per_capita"]
    computed, _ = derive(d.values.drop(columns=["gdp_per_capita"]), lib, ["gdp_per_capita"])
    ratio = computed["gdp_per_capita"] / printed
    assert ratio.notna().all() and ((ratio - 1).abs() < 0.02).all(), ratio.to_dict()
    assert computed.loc[("北京市", 2023), "gdp_per_capita"] == pytest.approx(43761e8 / 2186e4)


def test_title_scope_units_and_sub_items(vocab) -> None:
    air = read("2-5_空气质量状况和污水及生活垃圾处理率(全市).csv", vocab)
    assert air.values.loc[("北京市", 2023), "pm25_concentration"] == 32
    assert air.values.loc[("石家庄市", 2023), "air_quality_good_days_ratio"] == 62.00
    assert air.columns["pm25_concentration"].scope == "whole_city"  # from the title (全市)
    budget = read("2-8_地方一般公共预算收支状况(全市).csv", vocab)
    assert budget.columns["public_budget_revenue"].unit == "万元"  # the 单位 line
    assert budget.values.loc[("北京市", 2023), "education_expenditure"] == 12279032  # a sub-item (其中)
    gas = read("2-30_天然气供应及利用情况(市辖区).csv", vocab)
    assert list(gas.values.columns) == ["natural_gas_supply_districts", "natural_gas_residential_districts"]


def test_three_row_header_and_mixed_scopes(vocab) -> None:
    sales = read("2-11_商品房销售面积.csv", vocab)
    assert set(sales.values.columns) == {
        "commercial_housing_sales_area", "commercial_housing_sales_area_districts", "residential_housing_sales_area",
        "residential_housing_sales_area_districts", "housing_area_for_sale", "housing_area_for_sale_districts"}
    roads = read("2-26_市政公用事业.csv", vocab)
    assert {"road_area_districts", "sewer_pipe_length_districts", "highway_length", "expressway_length"} \
        <= set(roads.values.columns)
    assert roads.values.loc[("北京市", 2023), "road_area_districts"] == 17037


def test_a_district_column_never_fills_a_whole_city_variable() -> None:
    vocab = Vocabulary.from_library(load_library([builtin_path()])[0])
    lib_only_whole = Vocabulary([t for t in vocab.terms.values() if t.id != "population_districts"])
    d = read_city_data(EXCERPT / "2-1_人口数.csv", lib_only_whole, display="2-1.csv")
    assert "population" in d.values.columns and d.values.loc[("石家庄市", 2023), "population"] == 11_230_000
    (msg,) = [x for x in d.diagnostics if x.code == "D703"]
    assert "measured over the districts under the city" in msg.message.en and "'population'" not in msg.message.en
    assert '"population" has its name but is measured over the whole city' in msg.message.en


def test_the_folder_is_one_data_set(vocab) -> None:
    d = read_inputs([EXCERPT], vocab)
    assert d.units == CITIES and d.years == [2023]
    assert len(d.sources) == 7 and d.source.dialect == "merged"
    assert [x.code for x in d.diagnostics].count("D730") == 1  # once, not once per file
    assert d.locate("唐山市", 2023, "gdp").file.endswith("2-6_地区生产总值.csv")
    assert d.locate("唐山市", 2023, "population").file.endswith("2-1_人口数.csv")
    assert d.codes is not None and d.codes["唐山市"] == "130200"


def test_yearbook_with_census(vocab) -> None:
    d = read_inputs([EXCERPT / "2-1_人口数.csv", CENSUS], vocab)
    assert d.years == [2010, 2020, 2023]
    v = d.values
    assert v.loc[("北京市", 2020), "population"] == 21_893_095  # the census, in persons
    assert v.loc[("北京市", 2023), "population"] == 21_860_000  # the yearbook
    assert v.loc[("唐山市", 2010), "population_share_65_plus"] == 9.19
    assert v.loc[("石家庄市", 2020), "household_size"] == 2.82
    # the census row 北京市 (code 110100) and the yearbook's 北京市 are one city (110000)
    assert d.codes is not None and d.codes["北京市"] == "110000"
    outdated = [x for x in d.diagnostics if x.code == "D737"]
    assert len(outdated) == 1 and "三沙市" in outdated[0].message.en and "2012" in outdated[0].message.en


def write_population_xlsx(path: Path) -> Path:
    """Table 2-1's layout as a workbook: title rows, merged header cells, group rows, indents."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet9"
    rows = [
        [], ["2-1人口数"], [], ["Permanent Resident Population"], [],
        ["城 市", "City", "常住人口（万人） Permanent Resident Population (10 000 persons)", None, None],
        [None, None, None, None, "常住人口城镇化率(%) Urbanization Rate of Permanent Resident Population(%)"],
        [None, None, "全市 Total City", "市辖区 Districts under City", "全市 Total City"],
        ["北京市", "Beijing", "2186", "2186", "87.83"],
        ["河北省", "Hebei"],
        ["  石家庄市", "  Shijiazhuang", "1123", "578", "72.28"],
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    ws.merge_cells("C6:D6")  # 常住人口 over 全市 and 市辖区
    ws.merge_cells("A6:A8")
    ws.merge_cells("B6:B8")
    ad = wb.create_sheet("更多数据")
    ad["A1"] = "advertisement"
    wb.save(path)
    return path


def test_the_same_layout_in_a_workbook(tmp_path: Path, vocab) -> None:
    folder = tmp_path / "中国城市统计年鉴2024"
    folder.mkdir()
    d = read_city_data(write_population_xlsx(folder / "2-1_人口数.xlsx"), vocab, display="2-1.xlsx")
    assert d.units == ["北京市", "石家庄市"] and d.years == [2023]
    assert d.values.loc[("石家庄市", 2023), "population_districts"] == 5_780_000
    assert d.locate("石家庄市", 2023, "population_districts") == Location("2-1.xlsx", sheet="Sheet9", cell="D11")
    assert d.columns["urbanization_rate_resident"].location == Location("2-1.xlsx", sheet="Sheet9", cell="E7")
    assert str(Location("2-1.xlsx", sheet="Sheet9")) == "2-1.xlsx:Sheet9"  # never "Sheet9!None"
