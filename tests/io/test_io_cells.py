"""Cell values: what people type into spreadsheets, as numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from citystd.io.cells import (
    clean_text,
    column_letter,
    header_key,
    header_key_without_unit,
    parse_numbers,
    parse_years,
)


def one(cell: object) -> tuple[float, bool, bool]:
    p = parse_numbers(pd.Series([cell], dtype=object))
    return float(p.values[0]), bool(p.not_number[0]), bool(p.excel_error[0])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", 12.0),
        ("113 ", 113.0),
        ("  792.06 ", 792.06),
        ("1,234.5", 1234.5),
        ("12,345,678", 12345678.0),
        ("１２３．４", 123.4),
        ("１，２３４", 1234.0),
        ("1，234", 1234.0),
        ("45%", 45.0),
        ("45 %", 45.0),
        ("４５％", 45.0),
        ("−5", -5.0),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        (3.25, 3.25),
        (7, 7.0),
    ],
)
def test_numbers(cell: object, expected: float) -> None:
    value, bad, err = one(cell)
    assert value == pytest.approx(expected)
    assert not bad and not err


@pytest.mark.parametrize(
    "cell", ["", "  ", "-", "--", "—", "——", "–", "N/A", "NA", "n/a", "..", "...", "…", "暂无", "无数据", "无",
             "null", "None", "NULL", "nan", None, np.nan],
)
def test_missing_markers_are_silent(cell: object) -> None:
    value, bad, err = one(cell)
    assert math.isnan(value) and not bad and not err


@pytest.mark.parametrize("cell", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#n/a"])
def test_excel_errors_are_missing_with_a_warning(cell: str) -> None:
    value, bad, err = one(cell)
    assert math.isnan(value) and err and not bad


@pytest.mark.parametrize("cell", ["12,3x", "12,3", "1,23,4", "abc", "inf", "TRUE", "12.5(估)", "约12", "1.2.3"])
def test_not_a_number(cell: str) -> None:
    value, bad, err = one(cell)
    assert math.isnan(value) and bad and not err


def test_flagged_cells_keep_their_original_text() -> None:
    p = parse_numbers(pd.Series(["1", " 12,3x ", "#DIV/0!", "2"], dtype=object))
    assert p.text.to_dict() == {1: " 12,3x ", 2: "#DIV/0!"}
    assert p.n_flagged == 2
    assert np.isnan(p.values[1]) and p.values[3] == 2.0


def test_numeric_columns_pass_through() -> None:
    p = parse_numbers(pd.Series([1.0, np.nan, 3.5]))
    assert p.values.tolist()[0] == 1.0 and np.isnan(p.values[1])
    assert p.n_flagged == 0
    p = parse_numbers(pd.Series([1.0, np.inf]))
    assert p.not_number.tolist() == [False, True]


def test_arrow_strings() -> None:
    p = parse_numbers(pd.Series(["1", "2 ", "x", None], dtype="str"))
    assert p.values[:2].tolist() == [1.0, 2.0]
    assert p.not_number.tolist() == [False, False, True, False]


def test_years() -> None:
    years, bad = parse_years(pd.Series(["2019", "2019年", 2018.0, "20l9", None, 2019.5, 12], dtype=object))
    assert years.tolist()[:3] == [2019, 2019, 2018]
    assert bad.tolist() == [False, False, False, True, True, True, True]


def test_clean_text() -> None:
    out = clean_text(pd.Series([" 北京 ", 110000.0, "n/a", None, "#REF!", "0012"], dtype=object))
    assert out.tolist() == ["北京", "110000", None, None, None, "0012"]


def test_header_keys() -> None:
    assert header_key(" Pm２.５ ") == header_key("PM2.5") == "pm2.5"
    assert header_key("Pop_Density") == header_key("pop density") == "popdensity"
    assert header_key("GDP  per\tcapita") == "gdppercapita"
    assert header_key_without_unit("人均GDP（元）") == header_key("人均GDP")
    assert header_key_without_unit("PM2.5 (μg/m³)") == "pm2.5"
    assert header_key_without_unit("PM2.5") is None


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 3, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "D", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
