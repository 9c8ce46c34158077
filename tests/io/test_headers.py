"""Column headers as statistics print them (citystd.io.headers)."""

from __future__ import annotations

import pytest

from citystd.io.headers import (
    parse_header,
    scope_of_label,
    split_bilingual,
    strip_variant,
    title_scope,
    unit_line,
)
from citystd.textkeys import header_key


def test_yearbook_header_with_scope_row() -> None:
    h = parse_header(["常住人口（万人） Permanent Resident Population (10 000 persons)", "市辖区 Districts under City"])
    assert (h.scope, h.unit, h.unit_from) == ("districts", "万人", "header")
    assert header_key("常住人口") in h.keys and header_key("Permanent Resident Population") in h.keys


def test_a_column_under_a_carried_group_header_is_named_by_its_own_cell() -> None:
    h = parse_header(["常住人口（万人） Permanent …", "常住人口城镇化率(%) Urbanization Rate (%)", "全市 Total City"])
    assert (h.scope, h.unit) == ("whole_city", "%")
    assert h.keys.index(header_key("常住人口城镇化率")) < len(h.keys)


def test_brackets_that_are_not_units_stay_in_the_name() -> None:
    h = parse_header(["高新技术企业数(国家级)(个) The Number of High-tech Enterprises(national level)(unit)"])
    assert h.unit == "个" and header_key("高新技术企业数(国家级)") in h.keys
    h = parse_header(["地区生产总值（当年价格） （亿元） Gross Regional Product （Current Prices） （100 000 000 yuan）"])
    assert h.unit == "亿元"  # the Chinese unit first


def test_a_header_printed_on_two_rows_is_one_name() -> None:
    h = parse_header(["商品房销售面积", "Sales Area of Commercial Residential Building", "全市 Total City"])
    assert h.scope == "whole_city" and header_key("商品房销售面积") in h.keys


def test_table_unit_and_scope() -> None:
    assert unit_line("单位：万元") == "万元" and unit_line("单位:人") == "人"
    assert unit_line("单位：平方公里                      (sq.km)") == "平方公里"
    assert unit_line("2-1人口数") is None
    h = parse_header(["专利授权数 Number of Patent Authorizations"], table_scope="whole_city", table_unit="件")
    assert (h.scope, h.unit, h.unit_from) == ("whole_city", "件", "table")
    assert title_scope("2-8地方一般公共预算收支状况(全市)") == "whole_city"
    assert title_scope("Supply and Consumption of Natural Gas (Districts under City)") == "districts"


@pytest.mark.parametrize(("text", "scope"), [("全市 Total City", "whole_city"), ("市辖区", "districts"),
                                             ("Districts under City", "districts"), ("城区", "urban_area"),
                                             ("建成区", "built_up_area"), ("常住人口", None)])
def test_scope_labels(text: str, scope: str | None) -> None:
    assert scope_of_label(text) == scope


def test_a_one_row_header_is_never_only_a_scope() -> None:
    assert parse_header(["built_up_area"]).keys[0] == "builtuparea"


def test_two_languages_and_variants() -> None:
    assert split_bilingual("常住人口 Permanent Resident Population") == ("常住人口", "Permanent Resident Population")
    assert split_bilingual("人均GDP") == ("人均GDP", "")  # not 人均 + GDP
    assert split_bilingual("PM2.5") == ("", "PM2.5")
    assert strip_variant("GDP_插值") == ("GDP", "interpolated")
    assert strip_variant("gdp (interpolated)") == ("gdp", "interpolated")
    assert strip_variant("人口") == ("人口", None)
    assert parse_header(["PM10（毫克/立方米）"]).unit == "毫克/立方米"
