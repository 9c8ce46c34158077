"""`citystd template`: a template is generated, filled with openpyxl as a user would (mistakes
included), scored with no options, and every finding points at the template's own cell."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from citystd.assessment.template import parse_cities, parse_years, range_text
from citystd.cli import app
from citystd.io import read_city_data

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "tests" / "fixtures" / "score"
runner = CliRunner()


def make(tmp_path: Path, *args: str, name: str = "template.xlsx") -> Path:
    out = tmp_path / name
    lang = [] if "--lang" in args else ["--lang", "zh"]
    r = runner.invoke(app, ["template", "--library", str(LIB), "-f", "demo", "-o", str(out), *lang, *args])
    assert r.exit_code == 0, r.output
    return out


def score(path: Path, *args: str):
    return runner.invoke(app, ["score", str(path), "--library", str(LIB), "-f", "demo", *args])


def issues(result) -> dict[tuple[str, str], dict]:
    doc = json.loads(result.stdout)
    return {(i["code"], f"{i.get('sheet')}!{i.get('cell')}"): i for i in doc["issues"] if not i["code"].startswith("E")}


# --- the workbook as built ---------------------------------------------------------------------------


def test_one_city_layout(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2022-2023", "--lang", "zh")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填报说明", "数据", "指标", "_citystd"]
    assert wb["_citystd"].sheet_state == "hidden" and wb["_citystd"]["A1"].value == "citystd-template"
    ws = wb["数据"]
    header = [c.value for c in ws[5]]
    assert header[:7] == ["序号", "标识", "名称", "单位", "有效范围", 2022, 2023]
    assert header[7:9] == ["数据来源", "备注"]
    ids = [ws.cell(row=r, column=2).value for r in range(6, 11)]
    assert ids == ["unemployed", "labour_force", "green_area", "population", "pm25"]  # the tree's order
    assert ws["C6"].value == "失业人员数" and ws["J6"].value == "Unemployed persons" and ws["D6"].value == "人"
    assert ws["E9"].value == "[1, 50000000]" and ws["E6"].value == "≥ 0"
    assert "失业人员" in ws["C6"].comment.text and "Unemployed persons" in ws["C6"].comment.text  # definition
    assert "Annual mean concentration" in ws["C10"].comment.text
    assert ws["L6"].value == "unemployment_rate" and ws["L10"].value == "（直接填报本指标）"
    # frozen panes, protection: headers locked, input cells (years, source, remark, city) unlocked
    assert ws.freeze_panes == "F6"
    assert ws.protection.sheet
    assert ws["B6"].protection.locked and ws["F5"].protection.locked
    for ref in ("C2", "F6", "G10", "H6", "I10"):
        assert not ws[ref].protection.locked, ref
    # data validation on every year cell: a decimal within the row's range, bilingual message
    covered: dict[str, object] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord]:
                for cell in row:
                    covered[cell.coordinate] = dv
    for r in range(6, 11):
        for col in "FG":
            dv = covered[f"{col}{r}"]
            assert dv.type == "decimal" and dv.allow_blank and dv.errorStyle == "stop"
            assert "请输入" in dv.error and "Enter" in dv.error
    pm = covered["G10"]
    assert (pm.operator, pm.formula1, pm.formula2) == ("between", "0", "500")
    assert (covered["F6"].operator, covered["F6"].formula1) == ("greaterThanOrEqual", "0")
    assert "H6" not in covered  # the data source is text
    assert "citystd score" in "\n".join(str(c.value) for c in wb["填报说明"]["A"])


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    a = make(tmp_path, "--years", "2023", "--cities", "示范市", name="a.xlsx").read_bytes()
    b = make(tmp_path, "--years", "2023", "--cities", "示范市", name="b.xlsx").read_bytes()
    assert a == b


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2023", "--cities", "=HYPERLINK(\"http://x\")")
    ws = openpyxl.load_workbook(path)["数据" if "数据" in openpyxl.load_workbook(path).sheetnames else "Data"]
    assert ws["C2"].data_type == "s" and ws["C2"].value.startswith("=")
    data = read_city_data(path, {"pm25": ["pm25"]})
    assert data.units == ['=HYPERLINK("http://x")']


# --- filled as a user would, mistakes included ------------------------------------------------------------


def fill(path: Path, values: dict[str, object], city: str | None = "示范市") -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    if city is not None:
        ws["C2"] = city
    for ref, v in values.items():
        ws[ref] = v
    out = path.with_name("filled.xlsx")
    wb.save(out)
    return out


GOOD = {"F6": 40000, "G6": 39000, "F7": 1300000, "G7": 1310000, "F8": 36000000, "G8": 36500000,
        "F9": 2400000, "G9": 2410000, "F10": 31, "G10": 28, "H6": "市统计年鉴 2024"}


def test_filled_template_scores_with_no_options(tmp_path: Path) -> None:
    filled = fill(make(tmp_path, "--years", "2022-2023"), GOOD)
    r = score(filled, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["input"]["layout"] == "template" and doc["input"]["sheet"] in ("数据", "Data")
    rows = {(x["city"], x["year"]): x for x in doc["results"]}
    assert set(rows) == {("示范市", 2022), ("示范市", 2023)}
    u = rows[("示范市", 2023)]["indicators"]["unemployment_rate"]["value"]
    assert u == pytest.approx(39000 / 1310000 * 100)
    assert doc["issues"] == []


def test_mistakes_point_at_their_cells(tmp_path: Path) -> None:
    mistakes = {**GOOD, "G6": "约四万",  # text in a number cell
                "G10": 650,  # out of range (PM2.5 0–500)
                "G8": None}  # an empty required cell
    filled = fill(make(tmp_path, "--years", "2022-2023"), mistakes)
    r = score(filled)
    assert r.exit_code == 1
    assert "数据!G6" in r.stderr and "数据!G10" in r.stderr
    r = score(filled, "--format", "json", "--keep-going")
    assert r.exit_code == 0, r.output
    found = issues(r)
    assert set(found) == {("D705", "数据!G6"), ("D707", "数据!G10"), ("D716", "数据!G8")}
    assert found[("D705", "数据!G6")]["file"] == str(filled)
    assert "约四万" in found[("D705", "数据!G6")]["message"] and "2023" in found[("D705", "数据!G6")]["message"]
    assert "650" in found[("D707", "数据!G10")]["message"]
    d716 = found[("D716", "数据!G8")]["message"]
    assert "green_area" in d716 and "2023" in d716 and "park_area_per_capita" in d716
    # the human output names the file once and each finding by its cell
    r = score(filled, "--keep-going", "--lang", "zh")
    assert f"{filled}" in r.stderr and "数据!G8" in r.stderr


def test_empty_city_cell_uses_the_file_name(tmp_path: Path) -> None:
    filled = fill(make(tmp_path, "--years", "2023"), {"F6": 40000, "F7": 1300000, "F8": 3.6e7, "F9": 2.4e6,
                                                       "F10": 28}, city=None)
    r = score(filled, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["results"][0]["city"] == "filled"
    assert issues(r)[("D702", "数据!C2")]["severity"] == "warning"


def test_city_given_when_made(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2023", "--cities", "示范市")
    wb = openpyxl.load_workbook(path)
    assert wb.worksheets[1]["C2"].value == "示范市"


def test_an_empty_year_is_left_out(tmp_path: Path) -> None:
    good = {k: v for k, v in GOOD.items() if k != "H6"}
    filled = fill(make(tmp_path, "--years", "2021-2023"), good)  # columns F (2021) and G (2022) only
    wb = openpyxl.load_workbook(filled)
    ws = wb.worksheets[1]
    assert ws["F5"].value == 2021
    r = score(filled, "--format", "json", "--keep-going")
    doc = json.loads(r.stdout)
    assert sorted(x["year"] for x in doc["results"]) == [2021, 2022]  # H (2023) is empty
    assert ("D716", "数据!H5") in issues(r)


def test_english_template(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2023", "--lang", "en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["Instructions", "Data", "Indicators"]
    ws = wb["Data"]
    assert ws["C6"].value == "Unemployed persons" and ws["I6"].value == "失业人员数"
    filled = fill(path, {"F6": "n/a", "F7": 1300000, "F8": 3.6e7, "F9": 2.4e6, "F10": "#N/A"})
    r = score(filled, "--format", "json")
    found = issues(r)
    assert ("D716", "Data!F6") in found  # n/a is a missing value, so the cell is empty
    assert ("D706", "Data!F10") in found and ("D716", "Data!F10") not in found  # an error value is not empty


# --- several cities ---------------------------------------------------------------------------------


def test_multi_city_template(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2022-2023", "--cities", "甲市,乙市")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    assert [c.value for c in ws[7]][:7] == ["城市", "年份", "unemployed", "labour_force", "green_area",
                                            "population", "pm25"]
    assert [ws.cell(row=r, column=1).value for r in range(8, 12)] == ["甲市", "甲市", "乙市", "乙市"]
    assert ws["C3"].value == "失业人员数" and ws["C5"].value == "人" and ws.freeze_panes == "C8"
    assert not ws["C8"].protection.locked and ws["A8"].protection.locked
    rows = {8: [40000, 1300000, 3.6e7, 2.4e6, 30], 9: [39000, 1310000, 3.65e7, 2.41e6, 28],
            10: [9000, 300000, 9.5e6, 560000, "十二"], 11: [9100, 301000, None, 561000, 800]}
    for r, vals in rows.items():
        for c, v in enumerate(vals, start=3):
            ws.cell(row=r, column=c, value=v)
    ws["H8"] = "统计年鉴"
    wb.save(path)
    r = score(path, "--format", "json", "--keep-going")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {(x["city"], x["year"]) for x in doc["results"]} == {("甲市", 2022), ("甲市", 2023), ("乙市", 2022),
                                                                ("乙市", 2023)}
    assert set(issues(r)) == {("D705", "数据!G10"), ("D707", "数据!G11"), ("D716", "数据!E11")}


# --- csv ---------------------------------------------------------------------------------------------------


def test_csv_template_round_trip(tmp_path: Path) -> None:
    path = make(tmp_path, "--years", "2023", "--cities", "示范市", name="t.csv")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["variable"] for r in rows] == ["unemployed", "labour_force", "green_area", "population", "pm25"]
    assert rows[0]["name_zh"] == "失业人员数" and rows[4]["range"] == "[0, 500]"
    values = {"unemployed": "40000", "labour_force": "1300000", "green_area": "36000000", "population": "2400000",
              "pm25": "28"}
    for r in rows:
        r["value"] = values[r["variable"]]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    r = score(path, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["results"][0]["city"] == "示范市" and doc["results"][0]["score"] is not None


# --- options ---------------------------------------------------------------------------------------------


def test_option_errors(tmp_path: Path) -> None:
    base = ["template", "--library", str(LIB), "-f", "demo"]
    assert runner.invoke(app, [*base, "-o", str(tmp_path / "t.txt")]).exit_code == 2
    assert runner.invoke(app, [*base, "-o", str(tmp_path / "t.xlsx"), "--years", "2024-2020"]).exit_code == 2
    assert runner.invoke(app, [*base, "-o", str(tmp_path / "t.xlsx"), "--cities", " , "]).exit_code == 2
    assert runner.invoke(app, [*base, "-o", str(tmp_path / "no" / "t.xlsx")]).exit_code == 2
    r = runner.invoke(app, ["template", "--library", str(LIB), "-f", "dmeo", "-o", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 2 and "demo" in r.stderr
    assert not (tmp_path / "t.xlsx").exists()


def test_parsers() -> None:
    assert parse_years("2021-2024") == [2021, 2022, 2023, 2024]
    assert parse_years("2019, 2021") == [2019, 2021]
    assert parse_years(None, default=2023) == [2023]
    for bad in ("20x", "2024-2020", "0999", "1900-2000"):
        with pytest.raises(ValueError):
            parse_years(bad)
    assert parse_cities("甲市，乙市、丙市, 甲市") == ["甲市", "乙市", "丙市"]
    assert (range_text(0, 100), range_text(0, None), range_text(None, 5), range_text(None, None)) == \
        ("[0, 100]", "≥ 0", "≤ 5", "—")


def test_every_builtin_framework_makes_a_template_the_reader_reads(tmp_path: Path) -> None:
    from citystd.assessment.template import build_xlsx, template_rows
    from citystd.library.select import load_framework

    lib, _ = load_framework(None)
    for fid, fw in lib.frameworks.items():
        path = tmp_path / f"{fid}.xlsx"
        path.write_bytes(build_xlsx(lib, fw, lang="zh", years=[2023], cities=["示范市"]))
        from citystd.io.vocabulary import Vocabulary

        data = read_city_data(path, Vocabulary.from_library(lib))
        assert data.source.layout == "template"
        assert list(data.values.columns) == [r.id for r in template_rows(lib, fw)], fid
        assert data.diagnostics == [], fid
