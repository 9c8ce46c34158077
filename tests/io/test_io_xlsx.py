"""Reading workbooks: the sheet that holds the data, exact cell references, bad workbooks."""

from __future__ import annotations

import hashlib
import math
import os

import pytest

from citystd.diagnostics import CitystdError, Location
from citystd.io import read_city_data


def city_rows() -> list[list]:
    """A wide panel whose cell D12 (row 12, column D = "PM2.5") holds '12,3x'."""
    rows: list[list] = [["城市", "年份", "人均GDP", "PM2.5", "Green coverage", "region"]]
    cities = ["北京", "上海", "广州", "深圳", "成都"]
    for i, year in enumerate((2018, 2019)):
        for j, c in enumerate(cities):
            rows.append([c, year, 100000 + 1000 * j + i, 30.0 + j, f"{40 + j}%", "东部" if j < 4 else "西部"])
    rows.append(["重庆", 2019, "1,234.5", "12,3x", "#DIV/0!", "西部"])  # row 12
    return rows


def test_reads_a_chinese_sheet_with_exact_cells(write_xlsx, vocab) -> None:
    path = write_xlsx({"说明": [["填写说明：每个城市一行"]], "数据": city_rows()})
    data = read_city_data(path, vocab, display="data.xlsx")

    assert data.source.sheet == "数据"  # the instructions sheet is passed over
    assert data.source.layout == "wide"
    assert data.source.header_row == 1
    assert data.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert list(data.values.columns) == ["gdp_pc", "pm25", "green"]
    assert data.values.index.names == ["unit", "year"]
    assert str(data.values.index.get_level_values("year").dtype) == "Int64"
    assert (data.values.dtypes == "float64").all()
    assert data.values.loc[("上海", 2019), "green"] == 41.0  # '41%' → 41
    assert data.values.loc[("重庆", 2019), "gdp_pc"] == 1234.5  # text number with a separator
    assert math.isnan(data.values.loc[("重庆", 2019), "pm25"])
    assert data.attributes.loc[("成都", 2018), "region"] == "西部"

    by_code = {d.code: d for d in data.diagnostics}
    assert sorted(by_code) == ["D705", "D706"]
    bad = by_code["D705"]
    assert bad.location == Location(file="data.xlsx", sheet="数据", cell="D12")
    assert str(bad.location) == "data.xlsx:数据!D12"
    assert bad.message.en == "value '12,3x' in column \"PM2.5\" is not a number (city 重庆, year 2019)"
    assert bad.message.zh == "\"PM2.5\" 列的值 '12,3x' 不是数字（城市 重庆，2019 年）"
    assert bad.hint is not None
    excel = by_code["D706"]
    assert excel.location.cell == "E12"
    assert "#DIV/0!" in excel.message.en and "Green coverage" in excel.message.en

    assert data.locate("重庆", 2019, "pm25") == Location("data.xlsx", sheet="数据", cell="D12")
    assert data.locate("北京", 2018, "gdp_pc") == Location("data.xlsx", sheet="数据", cell="C2")
    assert data.locate("成都", 2019, "green").cell == "E11"
    assert data.locate("成都", 2019, "region").cell == "F11"
    assert data.locate("nowhere", 2019, "pm25") == Location("data.xlsx", sheet="数据")
    assert data.header("pm25") == "PM2.5"
    assert data.source_row("重庆", 2019) == 12
    assert data.locate("重庆", 2019) == Location("data.xlsx", sheet="数据", cell="A12")


def test_title_rows_and_offset_table(write_xlsx, vocab) -> None:
    rows = [
        ["2019年城市统计数据"],
        [None],
        [None, "城市", "PM2.5", "人口"],
        [None, "北京", "35", "2154.2"],
        [None, None, None, None],
        [None, "上海", "bad", 2428],
    ]
    path = write_xlsx({"Sheet1": rows})
    data = read_city_data(path, vocab, display="t.xlsx")
    assert data.source.header_row == 3
    assert data.values.loc[("北京", pd_na()), "pm25"] == 35.0
    assert [str(d.location) for d in data.diagnostics] == ["t.xlsx:Sheet1!C6"]
    assert data.locate("上海", None, "pop").cell == "D6"


def pd_na():
    import pandas as pd

    return pd.NA


def test_footnotes_under_the_table_are_not_cities(write_xlsx, vocab) -> None:
    rows = [["城市", "PM10"], ["北京", 1], ["上海", None], [None], ["注：数据来源于统计年鉴。"],
            ["Source: NBS"], ["* provisional"]]
    data = read_city_data(write_xlsx({"S": rows}), vocab)
    assert data.units == ["北京", "上海"]
    assert data.diagnostics == []


def test_sheet_by_name_index_and_did_you_mean(write_xlsx, vocab) -> None:
    path = write_xlsx({"A": [["city", "PM10"], ["x", 1]], "Sheet2": [["city", "PM10"], ["y", 2]]})
    assert read_city_data(path, vocab, sheet="Sheet2").units == ["y"]
    assert read_city_data(path, vocab, sheet=1).units == ["y"]
    assert read_city_data(path, vocab, sheet="sheet2").units == ["y"]  # case-insensitive fallback
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab, sheet="Sheet3")
    d = exc.value.diagnostic
    assert d.code == "D701"
    assert "'Sheet3'" in d.message.en and "'Sheet2'" in d.message.en
    assert d.hint is not None and "Sheet2" in d.hint.en


def test_hidden_and_empty_sheets_are_passed_over(write_xlsx, vocab) -> None:
    path = write_xlsx({"lists": [["city", "PM10"], ["hidden", 1]], "empty": [], "data": [["city", "PM10"], ["x", 1]]},
                      hidden=["lists"])
    data = read_city_data(path, vocab)
    assert data.source.sheet == "data"


def test_excel_error_cells_written_as_errors(write_xlsx, vocab, tmp_path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["city", "PM10", "PM2.5"])
    ws.append(["a", 1, 2])
    ws.append(["b", "#N/A", 3])
    ws["B3"].data_type = "e"
    ws.append(["c", None, "#REF!"])  # a row whose only value is an error is not dropped
    ws["C4"].data_type = "e"
    path = tmp_path / "err.xlsx"
    wb.save(path)
    data = read_city_data(path, vocab, display="err.xlsx")
    assert [(d.code, d.location.cell) for d in data.diagnostics] == [("D706", "B3"), ("D706", "C4")]
    assert data.units == ["a", "b", "c"]


def test_header_only_and_empty_workbook(write_xlsx, vocab) -> None:
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_xlsx({"Sheet1": [["city", "PM10"]]}), vocab)
    assert exc.value.diagnostic.code == "D711"
    assert "no data rows" in exc.value.diagnostic.message.en
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_xlsx({"Sheet1": []}, name="e.xlsx"), vocab)
    assert exc.value.diagnostic.code == "D711"


def test_corrupt_xlsx(tmp_path, vocab) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(os.urandom(2048))
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab, display="data.xlsx")
    d = exc.value.diagnostic
    assert d.code == "D701" and d.location == Location("data.xlsx")
    assert "not a valid .xlsx workbook" in d.message.en
    assert "工作簿" in d.message.zh and d.hint is not None


def test_password_protected_xlsx(tmp_path, vocab) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + os.urandom(4096))
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    d = exc.value.diagnostic
    assert d.code == "D701"
    assert "password-protected" in d.message.en and "密码" in d.message.zh
    assert d.hint is not None and "password" in d.hint.en


def test_text_with_xlsx_name(tmp_path, vocab) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><table><tr><td>city</td></tr></table></html>")
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    assert exc.value.diagnostic.code == "D701"
    assert "web page" in exc.value.diagnostic.message.en


def test_input_file_is_not_modified(write_xlsx, vocab) -> None:
    path = write_xlsx({"数据": city_rows()})
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_city_data(path, vocab)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
