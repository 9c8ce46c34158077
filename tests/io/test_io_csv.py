"""Reading CSV: encodings, physical line numbers, ragged rows, empty files."""

from __future__ import annotations

import pytest

from citystd.diagnostics import CitystdError, Location
from citystd.io import read_city_data

CSV = (
    "城市,年份,PM2.5,人口\n"
    "北京,2019,35,2154.2\n"
    "上海,2019,\"1,234\",2428\n"
    "广州,2019,暂无,1530\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(write_text, vocab, encoding: str) -> None:
    path = write_text(CSV, encoding=encoding)
    data = read_city_data(path, vocab)
    assert data.units == ["北京", "上海", "广州"]
    assert data.values.loc[("上海", 2019), "pm25"] == 1234.0
    assert data.diagnostics == []
    assert data.source.encoding == ("gb18030" if encoding.startswith("gb") else "utf-8")


def test_utf16_with_bom_and_tabs(write_text, vocab) -> None:
    path = write_text(CSV.replace(",", "\t").replace('"1\t234"', "1234"), name="data.txt", encoding="utf-16")
    data = read_city_data(path, vocab)
    assert data.values.loc[("上海", 2019), "pm25"] == 1234.0
    assert data.source.encoding == "utf-16"


def test_semicolons(write_text, vocab) -> None:
    data = read_city_data(write_text("city;PM10\na;1\nb;2\n"), vocab)
    assert data.values["pm10"].tolist() == [1.0, 2.0]


def test_line_numbers_are_physical_lines(write_text, vocab) -> None:
    text = (
        "city,year,PM2.5,note\n"  # 1
        "a,2019,1,\n"  # 2
        "\n"  # 3 (blank)
        'b,2019,2,"two\nlines"\n'  # 4-5
        "c,2019,x3,\n"  # 6
        "\n"  # 7
        "d,2019,12;3,\n"  # 8
    )
    data = read_city_data(write_text(text), vocab, display="data.csv")
    locs = [(d.code, d.location) for d in data.diagnostics]
    assert locs == [("D705", Location("data.csv", line=6)), ("D705", Location("data.csv", line=8))]
    assert data.diagnostics[0].message.en == "value 'x3' in column \"PM2.5\" is not a number (city c, year 2019)"
    assert str(data.diagnostics[0].location) == "data.csv:6"
    assert data.locate("b", 2019, "pm25") == Location("data.csv", line=4)
    assert data.locate("a", 2019, "pm25").line == 2
    assert data.attributes.loc[("b", 2019), "note"] == "two\nlines"


def test_line_numbers_without_multiline_values(write_text, vocab) -> None:
    text = "city,PM10\n" + "".join(f"c{i},{i}\n" for i in range(20)) + "\n\nc99,bad\n"
    data = read_city_data(write_text(text), vocab)
    assert data.diagnostics[0].location.line == 24
    assert data.locate("c0", None, "pm10").line == 2


def test_title_line_above_the_header(write_text, vocab) -> None:
    text = "2019年城市数据\n\ncity,PM10\na,1\nb,oops\n"
    data = read_city_data(write_text(text), vocab)
    assert data.source.header_row == 3
    assert [d.location.line for d in data.diagnostics] == [5]


def test_one_word_title_that_looks_like_a_header(write_text, vocab) -> None:
    data = read_city_data(write_text("城市\n城市,PM10\na,1\n"), vocab)
    assert data.source.header_row == 2
    assert data.units == ["a"]


def test_ragged_rows(write_text, vocab) -> None:
    text = "city,PM10,PM2.5\na,1,2\nb,3,4,5\nc,6,7\nd,8,9,10,11\ne,1,2,\n"
    data = read_city_data(write_text(text), vocab, display="data.csv")
    ragged = [d for d in data.diagnostics if d.code == "D710"]
    assert [d.location for d in ragged] == [Location("data.csv", line=3), Location("data.csv", line=5)]
    assert ragged[0].message.en == "line 3 has 4 cells but the header has 3; the row is ignored"
    assert ragged[0].message.zh == "第 3 行有 4 个单元格，但表头只有 3 个；该行已忽略"
    assert data.units == ["a", "c", "e"]  # a trailing empty cell (line 6) is fine
    assert data.locate("c", None, "pm10").line == 4
    assert data.has_errors


def test_ragged_first_row(write_text, vocab) -> None:
    data = read_city_data(write_text("city,PM10\na,1,2\nb,3\n"), vocab)
    assert [(d.code, d.location.line) for d in data.diagnostics] == [("D710", 2)]
    assert data.units == ["b"]


def test_short_rows_are_padded(write_text, vocab) -> None:
    data = read_city_data(write_text("city,PM10,PM2.5\na,1\nb,2,3\n"), vocab)
    assert data.values["pm10"].tolist() == [1.0, 2.0]
    assert data.diagnostics == []


def test_empty_and_header_only(write_text, vocab) -> None:
    for text in ("", "\n\n", "\ufeff"):
        with pytest.raises(CitystdError) as exc:
            read_city_data(write_text(text), vocab)
        assert exc.value.diagnostic.code == "D711"
        assert "is empty" in exc.value.diagnostic.message.en
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_text("city,PM10\n\n"), vocab, display="h.csv")
    d = exc.value.diagnostic
    assert d.code == "D711" and "header but no data rows" in d.message.en
    assert d.location == Location("h.csv", line=1)


def test_undecodable_text(write_text, vocab, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"city,PM10\n\xff\xfe\xff,1\n\x80\x80,2\n")
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    d = exc.value.diagnostic
    assert d.code == "D701"
    assert "neither UTF-8 nor GBK" in d.message.en and "UTF-8" in d.message.zh
    assert d.hint is not None


def test_workbook_with_a_csv_name(write_xlsx, vocab, tmp_path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(write_xlsx({"S": [["city", "PM10"], ["a", 1]]}).read_bytes())
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    d = exc.value.diagnostic
    assert d.code == "D701" and "Excel workbook" in d.message.en and ".xlsx" in d.hint.en


def test_unknown_extension_and_missing_file(tmp_path, vocab) -> None:
    path = tmp_path / "data.json"
    path.write_text("{}")
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    assert exc.value.diagnostic.code == "D701"
    assert "unsupported file type '.json'" in exc.value.diagnostic.message.en
    with pytest.raises(CitystdError) as exc:
        read_city_data(tmp_path / "nope.csv", vocab)
    assert exc.value.diagnostic.code == "U901" and exc.value.exit_code == 2


def test_codes_keep_leading_zeros(write_text, vocab) -> None:
    data = read_city_data(write_text("uCode,PM10\n001,1\n002,2\n"), vocab)
    assert data.units == ["001", "002"]


def test_excel_error_text_and_percent(write_text, vocab) -> None:
    data = read_city_data(write_text("city,PM10,Green coverage\na,#DIV/0!,45%\nb,1,n/a\n"), vocab)
    assert [d.code for d in data.diagnostics] == ["D706"]
    assert data.values.loc[("a", pd_na()), "green"] == 45.0


def pd_na():
    import pandas as pd

    return pd.NA
