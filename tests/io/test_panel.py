"""Research panels: columns per variable and year reshaped, codes, variants, formula cells,
units in headers, percent signs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from citystd.diagnostics import Location, Severity, count
from citystd.io import read_city_data
from citystd.io.inputs import read_inputs
from citystd.io.vocabulary import Term, Vocabulary

CENSUS = Path(__file__).resolve().parents[1] / "data" / "china-census" / "census_city_2010-2020_excerpt.csv"

VOCAB = Vocabulary([
    Term("population", ("常住人口", "Resident population"), ("popu",), "whole_city", ("人",)),
    Term("population_share_65_plus", ("65岁及以上人口占比",), ("age_65",), "whole_city", ("%",)),
    Term("gdp", ("地区生产总值",), ("GDP",), "whole_city", ("万元",)),
    Term("pm10_concentration", ("可吸入颗粒物年平均浓度",), ("PM10",), "whole_city", ("µg/m³",)),
    Term("green_share", ("绿化覆盖率",), (), "whole_city", ("%",)),
    Term("beds", ("床位数",), (), "whole_city", ("张",)),
])


def test_census_panel_is_reshaped_by_year() -> None:
    d = read_city_data(CENSUS, VOCAB, display="census.csv")
    assert d.source.dialect == "panel"
    assert d.years == [2010, 2020]
    assert d.values.loc[("北京市", 2020), "population"] == 21_893_095
    assert d.values.loc[("北京市", 2010), "population"] == 19_612_368
    assert d.values.loc[("唐山市", 2020), "population_share_65_plus"] == 15.98
    assert d.locate("北京市", 2010, "population") == Location("census.csv", line=2)
    assert d.codes is not None and d.codes["北京市"] == "110100"  # the code column, as written
    unknown = [x.message.en for x in d.diagnostics if x.code == "D703"]
    assert unknown and not [m for m in unknown if "province_code" in m]  # an identifier, not data


def test_panel_cells_keep_their_own_column(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "panel"
    for row in (["city", "city_code", "popu_2010", "popu_2020", "gdp_2010", "gdp_2020"],
                ["北京市", "110000", 100, 110, 5, 6], ["天津市", "120000", 80, 90, 3, 4]):
        ws.append(row)
    wb.save(tmp_path / "p.xlsx")
    d = read_city_data(tmp_path / "p.xlsx", VOCAB, display="p.xlsx")
    assert d.values.loc[("天津市", 2020), "gdp"] == 4
    assert d.locate("天津市", 2020, "gdp") == Location("p.xlsx", sheet="panel", cell="F3")
    assert d.locate("天津市", 2010, "population") == Location("p.xlsx", sheet="panel", cell="C3")


def test_the_pm10_case_milligrams_become_micrograms(tmp_path: Path) -> None:
    p = tmp_path / "air.csv"
    p.write_text("城市,年份,PM10（毫克/立方米）\n北京,2008,0.123\n", encoding="utf-8")
    d = read_city_data(p, VOCAB)
    assert d.values.loc[("北京", 2008), "pm10_concentration"] == pytest.approx(123.0)
    assert (d.columns["pm10_concentration"].unit, d.columns["pm10_concentration"].factor) == ("毫克/立方米", 1000.0)


def test_a_unit_of_another_dimension_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("城市,地区生产总值（万人）\n北京,3\n", encoding="utf-8")
    d = read_city_data(p, VOCAB, display="bad.csv")
    assert "gdp" not in d.values.columns
    (e,) = [x for x in d.diagnostics if x.code == "D731"]
    assert e.level is Severity.ERROR
    assert e.message.en == ('column "地区生产总值（万人）" is in 万人 (count), but "gdp" is measured in 万元 (money); '
                            "the column is not used")
    assert e.location == Location("bad.csv", line=1)


def test_a_percent_sign_in_a_column_not_in_percent(tmp_path: Path) -> None:
    p = tmp_path / "pct.csv"
    p.write_text("城市,床位数,绿化覆盖率\n甲,12%,40%\n乙,7,41\n", encoding="utf-8")
    d = read_city_data(p, VOCAB, display="pct.csv")
    (w,) = [x for x in d.diagnostics if x.code == "D733"]
    assert w.level is Severity.WARNING and w.location == Location("pct.csv", line=2)
    assert "'12%' in column \"床位数\"" in w.message.en
    assert d.values.loc[("甲", pd_na()), "green_share"] == 40  # a % column takes its percent sign silently


def pd_na():
    import pandas as pd

    return pd.NA


def test_published_and_interpolated_versions(tmp_path: Path) -> None:
    p = tmp_path / "v.csv"
    p.write_text("城市,年份,GDP_插值,GDP\n甲,2020,10,\n甲,2021,11,11.5\n", encoding="utf-8")
    d = read_city_data(p, VOCAB, display="v.csv")
    assert d.headers["gdp"] == "GDP"  # the published series wins
    (w,) = [x for x in d.diagnostics if x.code == "D735"]
    assert "--column gdp='GDP_插值'" in w.hint.en
    chosen = read_city_data(p, VOCAB, choose={"gdp": "GDP_插值"})
    assert chosen.headers["gdp"] == "GDP_插值" and chosen.values.loc[("甲", 2020), "gdp"] == 10


def test_formula_cells_without_a_saved_value_are_named(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["城市", "床位数", "绿化覆盖率"])
    ws.append(["甲", 10, "=1+1"])
    ws.append(["乙", "=B2*2", 40])
    wb.save(tmp_path / "f.xlsx")  # openpyxl stores formulas without their values
    d = read_city_data(tmp_path / "f.xlsx", VOCAB, display="f.xlsx")
    (w,) = [x for x in d.diagnostics if x.code == "D732"]
    assert "数据!C2, 数据!B3" in w.message.en and "LibreOffice" in w.hint.en
    assert w.location == Location("f.xlsx", sheet="数据", cell="C2")


def test_summary_counts_what_was_found(tmp_path: Path) -> None:
    p = tmp_path / "many.csv"
    p.write_text("城市,床位数\n" + "".join(f"c{i},x\n" for i in range(25)), encoding="utf-8")
    d = read_city_data(p, VOCAB, max_diagnostics=10)
    listed = [x for x in d.diagnostics if x.code == "D705" and not x.more]
    (summary,) = [x for x in d.diagnostics if x.more]
    assert len(listed) == 10 and summary.more == 15 and count(d.diagnostics) == (25, 0)
    assert summary.to_dict()["more"] == 15


def test_inputs_merge_and_conflicts(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("城市,年份,床位数,地区生产总值\n北京,2023,100,5\n天津,2023,80,4\n", encoding="utf-8")
    b.write_text("city,year,beds,pm10_concentration\nBeijing,2023,100,70\nTianjin,2023,81,60\n", encoding="utf-8")
    d = read_inputs([a, b], VOCAB)
    assert d.units == ["北京", "天津"]  # Beijing is 北京 (110000): one city, named as the first input names it
    assert d.values.loc[("北京", 2023), "pm10_concentration"] == 70
    (c,) = [x for x in d.diagnostics if x.code == "D734"]
    assert c.level is Severity.ERROR and "80" in c.message.en and "81" in c.message.en
    assert "a.csv:3" in c.message.en and "b.csv:3" in c.message.en  # both places
    preferred = read_inputs([a, b], VOCAB, prefer=[b])
    assert not [x for x in preferred.diagnostics if x.code == "D734"]
    assert preferred.values.loc[("天津", 2023), "beds"] == 81
    assert preferred.locate("天津", 2023, "beds").file.endswith("b.csv")


def test_folders_files_that_match_nothing_and_usage_errors(tmp_path: Path) -> None:
    from citystd.diagnostics import CitystdError

    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "2-10_x.csv").write_text("城市,床位数\n甲,2\n", encoding="utf-8")
    (folder / "2-2_y.csv").write_text("城市,地区生产总值\n甲,3\n", encoding="utf-8")
    (folder / "1-1_list.csv").write_text("地区,城市合计\n全国,694\n", encoding="utf-8")
    (folder / "~$lock.xlsx").write_bytes(b"")
    d = read_inputs([folder], VOCAB)
    assert [s.file.rsplit("/", 1)[-1] for s in d.sources] == ["2-2_y.csv", "2-10_x.csv"]  # natural order
    (skipped,) = [x for x in d.diagnostics if x.code == "D736"]
    assert skipped.level is Severity.WARNING and "1-1_list.csv" in skipped.message.en
    named = read_inputs([folder / "1-1_list.csv", folder / "2-2_y.csv"], VOCAB)
    (err,) = [x for x in named.diagnostics if x.code == "D736"]
    assert err.level is Severity.ERROR  # a file named as data that matches nothing is an error
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CitystdError) as exc:
        read_inputs([empty], VOCAB)
    assert exc.value.diagnostic.code == "U920" and exc.value.exit_code == 2
    with pytest.raises(CitystdError) as exc:
        read_inputs([folder], VOCAB, prefer=[tmp_path / "other.csv"])
    assert exc.value.diagnostic.code == "U921"
