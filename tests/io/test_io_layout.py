"""Wide and long tables, header matching, city and year columns, duplicates, Parquet."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from citystd.diagnostics import CitystdError, Location
from citystd.io import read_city_data

NA = pd.NA


def test_wide_cross_sectional(write_text, vocab) -> None:
    data = read_city_data(write_text("city,PM2.5,region\na,1,east\nb,2,west\n"), vocab)
    assert data.source.layout == "wide"
    assert data.values.index.tolist() == [("a", NA), ("b", NA)]
    assert data.years == []
    assert data.attributes["region"].tolist() == ["east", "west"]


def test_header_matching_is_loose(write_text, vocab) -> None:
    text = "城市, pm２.５ ,gdp_PER  capita,人均GDP（元）,POPULATION\na,1,2,3,4\n"
    data = read_city_data(write_text(text), vocab)
    # "人均GDP（元）" is gdp_pc too: the second column for an id is reported and ignored
    assert list(data.values.columns) == ["pm25", "gdp_pc", "pop"]
    assert data.headers == {"pm25": "pm２.５", "gdp_pc": "gdp_PER  capita", "pop": "POPULATION"}
    dup = [d for d in data.diagnostics if d.code == "D703"]
    assert len(dup) == 1 and "人均GDP（元）" in dup[0].message.en


def test_unit_in_brackets(write_text, vocab) -> None:
    data = read_city_data(write_text("城市,人均GDP（元）,PM2.5 (μg/m³)\na,1,2\n"), vocab)
    assert list(data.values.columns) == ["gdp_pc", "pm25"]


def test_misspelt_header_did_you_mean(write_text, vocab) -> None:
    data = read_city_data(write_text("city,PM2,5x,Populaton,tier\na,1,2,3,A\n"), vocab, display="d.csv")
    unknown = {d.message.en.split('"')[1]: d for d in data.diagnostics if d.code == "D703"}
    assert set(unknown) == {"PM2", "5x", "Populaton"}  # numeric unknown columns; "tier" is an attribute
    pop = unknown["Populaton"]
    assert pop.hint is not None and pop.hint.en == "did you mean 'Population' (pop)?"  # names the id
    assert pop.hint.zh == "是否应为 'Population'（pop）？"
    assert pop.location == Location("d.csv", line=1)
    assert pop.level.value == "warning"
    assert list(data.attributes.columns) == ["PM2", "5x", "Populaton", "tier"]


def test_misspelt_header_in_xlsx_points_at_the_header_cell(write_xlsx, vocab) -> None:
    path = write_xlsx({"Sheet1": [["city", "PM10", "Populaton"], ["a", 1, 2]]})
    data = read_city_data(path, vocab, display="x.xlsx")
    (d,) = data.diagnostics
    assert d.code == "D703" and d.location == Location("x.xlsx", sheet="Sheet1", cell="C1")


def test_duplicate_rows_name_both_rows(write_text, vocab) -> None:
    text = "city,year,PM10\na,2019,1\nb,2019,2\na,2019,3\na,2018,4\n"
    data = read_city_data(write_text(text), vocab, display="d.csv")
    (d,) = data.diagnostics
    assert d.code == "D704"
    assert d.location == Location("d.csv", line=4)
    assert d.message.en == 'city "a", year 2019, appears twice: line 2 and line 4; only line 2 is used'
    assert "第 2 行和第 4 行" in d.message.zh
    assert data.values.loc[("a", 2019), "pm10"] == 1.0
    assert len(data.values) == 3


def test_duplicate_rows_in_xlsx(write_xlsx, vocab) -> None:
    path = write_xlsx({"S": [["city", "PM10"], ["a", 1], ["a", 2]]})
    (d,) = read_city_data(path, vocab, display="x.xlsx").diagnostics
    assert d.code == "D704" and d.location == Location("x.xlsx", sheet="S", cell="A3")
    assert "row 2 and row 3" in d.message.en


def test_id_column(write_text, vocab) -> None:
    text = "code,name,PM10\n110000,北京,1\n310000,上海,2\n"
    assert read_city_data(write_text(text), vocab).units == ["北京", "上海"]  # "name" before "code"
    data = read_city_data(write_text(text), vocab, id_column="code")
    assert data.units == ["110000", "310000"]
    assert data.attributes["name"].tolist() == ["北京", "上海"]
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_text(text), vocab, id_column="cdoe")
    d = exc.value.diagnostic
    assert d.code == "D702" and d.hint is not None and "code" in d.hint.en


def test_no_city_column(write_text, vocab) -> None:
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_text("PM10,PM2.5\n1,2\n"), vocab)
    assert exc.value.diagnostic.code == "D702"


def test_unnamed_text_column_is_the_city(write_text, vocab) -> None:
    data = read_city_data(write_text(",PM10\na,1\nb,2\n"), vocab)
    assert data.units == ["a", "b"]


def test_row_without_city_and_bad_year(write_text, vocab) -> None:
    text = "city,year,PM10\na,2019,1\n,2019,2\nb,20l9,3\nc,,4\n"
    data = read_city_data(write_text(text), vocab, display="d.csv")
    got = [(d.code, d.location.line) for d in data.diagnostics]
    assert got == [("D702", 3), ("D713", 4), ("D713", 5)]
    assert "20l9" in data.diagnostics[1].message.en
    assert data.units == ["a"]


def test_long_layout_by_names(write_text, vocab) -> None:
    text = (
        "uCode,Time,iCode,Value,uName\n"
        "BJ,2019,PM2.5,35,北京\n"
        "BJ,2019,pop,2154,北京\n"
        "SH,2019,pop,x,上海\n"
        "SH,2019,Pm25,31,上海\n"
        "SH,2019,PM 2.5,33,上海\n"
        "SH,2019,GDP_pc,,上海\n"
        "SH,2019,unknown thing,1,上海\n"
    )
    data = read_city_data(write_text(text), vocab, display="l.csv")
    assert data.source.layout == "long"
    assert list(data.values.columns) == ["pm25", "pop", "gdp_pc"]
    assert data.values.loc[("BJ", 2019), "pop"] == 2154.0
    assert data.values.loc[("SH", 2019), "pm25"] == 31.0
    assert math.isnan(data.values.loc[("SH", 2019), "pop"])
    assert data.values.loc[("SH", 2019), "gdp_pc"] != data.values.loc[("SH", 2019), "gdp_pc"]  # empty
    assert data.attributes.loc[("SH", 2019), "uName"] == "上海"
    got = [(d.code, d.location.line) for d in data.diagnostics]
    assert ("D705", 4) in got and ("D704", 6) in got and ("D703", 8) in got
    d704 = next(d for d in data.diagnostics if d.code == "D704")
    assert d704.message.en == '"PM 2.5" of city "SH", year 2019, appears twice: line 5 and line 6; only line 5 is used'
    d705 = next(d for d in data.diagnostics if d.code == "D705")
    assert d705.message.en == "value 'x' of \"pop\" in column \"Value\" is not a number (city SH, year 2019)"
    assert data.locate("SH", 2019, "pm25").line == 5
    assert data.locate("BJ", 2019, "pop").line == 3
    assert data.locate("SH", 2019, "gdp_pc").line == 7
    assert data.locate("BJ", 2019, "gdp_pc") == Location("l.csv")  # no such record in the file
    assert data.locate("BJ", 2019).line == 2  # the unit-year's first record
    assert data.headers == {"pm25": "PM2.5", "pop": "pop", "gdp_pc": "GDP_pc"}


def test_long_layout_in_xlsx_cells(write_xlsx, vocab) -> None:
    rows = [["城市", "年份", "指标", "数值"], ["北京", 2019, "PM2.5", 35], ["北京", 2019, "人口", "2,154"]]
    data = read_city_data(write_xlsx({"长表": rows}), vocab, display="l.xlsx")
    assert data.source.layout == "long"
    assert data.locate("北京", 2019, "pop") == Location("l.xlsx", sheet="长表", cell="D3")
    assert data.values.loc[("北京", 2019), "pop"] == 2154.0


def test_long_layout_by_content(write_text, vocab) -> None:
    text = "city,year,what,amount_2\na,2019,PM10,1\na,2019,PM2.5,2\nb,2019,PM10,3\n"
    data = read_city_data(write_text(text), vocab)
    assert data.source.layout == "long"
    assert data.values.loc[("b", 2019), "pm10"] == 3.0


def test_layout_can_be_forced(write_text, vocab) -> None:
    text = "city,indicator,value\na,PM10,1\n"
    assert read_city_data(write_text(text), vocab).source.layout == "long"
    wide = read_city_data(write_text(text), vocab, layout="wide")
    assert wide.source.layout == "wide"
    assert any(d.code == "D712" for d in wide.diagnostics)  # nothing matches as wide
    with pytest.raises(CitystdError) as exc:
        read_city_data(write_text("city,PM10\na,1\n"), vocab, layout="long")
    assert exc.value.diagnostic.code == "D712"


def test_open_vocabulary(write_text) -> None:
    data = read_city_data(write_text("city,x1,x2,region\na,1,2,e\nb,3,oops,w\n"), None)
    assert list(data.values.columns) == ["x1", "x2"]
    assert list(data.attributes.columns) == ["region"]
    assert [d.code for d in data.diagnostics] == ["D705"]


def test_parquet(tmp_path, vocab) -> None:
    df = pd.DataFrame({"city": ["a", "b", "c"], "year": [2019, 2019, 2020], "PM10": [1.0, np.nan, 3.0],
                       "PM2.5": ["4", "n/a", "bad"], "tier": ["A", "B", "B"]})
    path = tmp_path / "d.parquet"
    df.to_parquet(path)
    data = read_city_data(path, vocab, display="d.parquet")
    assert data.source.format == "parquet"
    assert data.values.loc[("c", 2020), "pm10"] == 3.0
    assert data.values.loc[("a", 2019), "pm25"] == 4.0
    (d,) = data.diagnostics
    assert d.code == "D705" and d.location == Location("d.parquet")
    assert "(city c, year 2020)" in d.message.en
    assert data.source_row("c", 2020) == 3
    df.set_index("city").to_parquet(path)  # a named index is a column too
    assert read_city_data(path, vocab).units == ["a", "b", "c"]


def test_corrupt_parquet(tmp_path, vocab) -> None:
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(CitystdError) as exc:
        read_city_data(path, vocab)
    assert exc.value.diagnostic.code == "D701"


def test_diagnostics_are_capped(write_text, vocab) -> None:
    text = "city,PM10\n" + "".join(f"c{i},x\n" for i in range(30))
    data = read_city_data(write_text(text), vocab, max_diagnostics=10)
    assert len(data.diagnostics) == 11
    assert "20 more" in data.diagnostics[-1].message.en
