"""The reader's side of `citystd template` (citystd.io.template_layout): the marker, the one-city
layout's cells, and what happens when a template has been tampered with."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from citystd.assessment.template import build_xlsx
from citystd.diagnostics import CitystdError, Location
from citystd.io import read_city_data
from citystd.io.template_layout import read_marker
from citystd.library.select import load_framework

LIB = Path(__file__).resolve().parents[1] / "fixtures" / "score"
VOCAB = {"unemployed": ["失业人员数"], "labour_force": ["劳动力人口"], "green_area": ["公园绿地面积"],
         "population": ["常住人口"], "pm25": ["PM2.5 年均浓度"]}


def template(tmp_path: Path, edit=None, **kw) -> Path:
    lib, fw = load_framework("demo", [LIB])
    wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(lib, fw, lang="zh", years=kw.get("years", [2022, 2023]),
                                                      cities=kw.get("cities", ["甲市"]))))
    ws = wb["数据"]
    ws["F6"], ws["G6"], ws["F10"], ws["G10"] = 100, 110, 30, 28
    if edit:
        edit(wb)
    path = tmp_path / "t.xlsx"
    wb.save(path)
    return path


def test_marker() -> None:
    assert read_marker([["citystd-template", "v1"], ["framework", "demo"], ["header_row", 5.0]]) == {
        "version": "v1", "framework": "demo", "header_row": "5"}
    assert read_marker([["city", "year"]]) is None and read_marker([]) is None


def test_cells_are_the_template_cells(tmp_path: Path) -> None:
    data = read_city_data(template(tmp_path), VOCAB, display="t.xlsx")
    assert data.source.layout == "template" and data.source.sheet == "数据" and data.source.header_row == 5
    assert data.units == ["甲市"] and data.years == [2022, 2023]
    assert data.values.loc[("甲市", 2023), "unemployed"] == 110
    assert data.locate("甲市", 2022, "unemployed") == Location("t.xlsx", sheet="数据", cell="F6")
    assert data.locate("甲市", 2023, "pm25") == Location("t.xlsx", sheet="数据", cell="G10")
    assert data.locate("甲市", 2023, None) == Location("t.xlsx", sheet="数据", cell="G5")  # the year's header
    assert data.source_row("甲市", 2022, "population") == 9
    assert data.header("pm25") == "PM2.5 年均浓度"


def test_unknown_and_repeated_rows(tmp_path: Path) -> None:
    def edit(wb):
        ws = wb["数据"]
        ws["B7"] = "labour_forse"  # a typo in the id column
        ws["B8"] = "unemployed"  # the same id again

    data = read_city_data(template(tmp_path, edit), VOCAB, display="t.xlsx")
    found = {(d.code, d.location.cell): d for d in data.diagnostics}
    assert set(found) == {("D703", "B7"), ("D704", "B8")}
    assert "labour_forse" in found[("D703", "B7")].message.en
    assert found[("D703", "B7")].hint is not None and "labour_force" in found[("D703", "B7")].hint.en
    assert "labour_force" not in data.values.columns and list(data.values.columns).count("unemployed") == 1


def test_a_year_heading_two_columns(tmp_path: Path) -> None:
    def edit(wb):
        wb["数据"]["G5"] = 2022

    data = read_city_data(template(tmp_path, edit), VOCAB, display="t.xlsx")
    assert [(d.code, d.location.cell) for d in data.diagnostics] == [("D704", "G5")]
    assert data.years == [2022]


@pytest.mark.parametrize(("edit", "code"), [
    (lambda wb: wb["_citystd"].cell(row=1, column=2, value="v9"), "D712"),  # unknown version
    (lambda wb: wb["_citystd"].cell(row=6, column=2, value=999), "D712"),  # header row gone
    (lambda wb: [wb["数据"].cell(row=5, column=c, value="年") for c in (6, 7)], "D712"),  # no year columns
    (lambda wb: wb["_citystd"].cell(row=5, column=2, value="Sheet9"), "D712"),  # data sheet renamed
])
def test_broken_templates_say_so(tmp_path: Path, edit, code: str) -> None:
    with pytest.raises(CitystdError) as exc:
        read_city_data(template(tmp_path, edit), VOCAB)
    assert exc.value.diagnostic.code == code


def test_layout_and_sheet_options_bypass_the_template(tmp_path: Path) -> None:
    path = template(tmp_path)
    try:
        data = read_city_data(path, VOCAB, layout="wide")
        assert data.source.layout != "template"
    except CitystdError:
        pass  # read as an ordinary table it may not make sense: that is the user's choice
    assert read_city_data(path, VOCAB, sheet="数据").source.layout == "template"


def test_ordinary_workbooks_with_a_sheet_of_that_name(tmp_path: Path, write_xlsx) -> None:
    path = write_xlsx({"Sheet1": [["city", "pm25"], ["A", 30]], "_citystd": [["not", "a marker"]]})
    data = read_city_data(path, VOCAB)
    assert data.source.layout == "wide" and data.values.loc[("A", None), "pm25"] == 30
