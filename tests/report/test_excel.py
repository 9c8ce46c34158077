"""The Excel report read back with openpyxl: sheets, panes, filters, formats, charts, safety, determinism."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from citystd.report import excel, renderer
from citystd.report import summary as S
from citystd.report.xlsxio import Book, display_width

ROOT = Path(__file__).resolve().parents[2]
SHEETS = {"en": ["Summary", "Domains", "Indicators", "Gaps", "Data issues", "Method"],
          "zh": ["总览", "领域得分", "指标", "差距分析", "数据问题", "方法说明"]}
EVIL = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+1", "-2+3", "\tTAB"]


@pytest.fixture(scope="module")
def books(doc: dict[str, Any]) -> dict[str, tuple[bytes, openpyxl.Workbook]]:
    """The all-cities workbook in each language, rendered and read back once."""
    out = {}
    for lang in ("en", "zh"):
        data = excel.render(doc, lang)
        out[lang] = (data, load(data))
    return out


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def small(doc: dict[str, Any], n: int = 8) -> dict[str, Any]:
    """The document with its first ``n`` indicators only (quick to render and read back)."""
    d = copy.deepcopy({k: v for k, v in doc.items() if k != "gaps"})
    keep = list(d["indicators"])[:n]
    d["indicators"] = {k: d["indicators"][k] for k in keep}
    for r in d["results"]:
        r["indicators"] = {k: r["indicators"][k] for k in keep}
    return d


def header(ws: Any, row: int = 1) -> list[Any]:
    return [c.value for c in ws[row]]


def column(ws: Any, title: str, row: int = 1) -> list[Any]:
    """The values below the header cell ``title`` (header in ``row``)."""
    j = header(ws, row).index(title) + 1
    return [ws.cell(r, j).value for r in range(row + 1, ws.max_row + 1)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheets_panes_filters_formats(doc: dict[str, Any], books: dict, lang: str) -> None:
    wb = books[lang][1]
    assert wb.sheetnames == SHEETS[lang]
    summary, domains, inds, gaps, issues, method = wb.worksheets
    # Summary: provenance above the table, header row 5, frozen below it with rank and city kept
    fw = doc["framework"]
    top = " ".join(str(summary.cell(r, 1).value) for r in range(1, 4))
    assert fw["id"] in top and fw["version"] in top and fw["sha256"] in top and doc["input"]["sha256"] in top
    head = header(summary, 5)
    assert head[:3] == ([["Rank", "City", "Score (0–100)"], ["排名", "城市", "得分（0–100）"]][lang == "zh"])
    assert summary.freeze_panes == "C6"
    assert summary.auto_filter.ref == f"A5:E{5 + len(doc['results'])}"
    ranks = [summary.cell(r, 1).value for r in range(6, summary.max_row + 1)]
    assert ranks == [r["rank"] for r in doc["results"]]
    assert summary.cell(6, 3).number_format == "0.00" and summary.cell(6, 5).number_format == "0.0%"
    assert summary.cell(6, 3).value == pytest.approx(doc["results"][0]["score"])
    # every other sheet: header in row 1, frozen, filtered over the whole table
    for ws in (domains, inds, gaps):
        assert ws.freeze_panes and ws.freeze_panes.endswith("2")
        assert ws.auto_filter.ref.startswith("A1:") and ws.auto_filter.ref.endswith(str(ws.max_row))
    assert inds.max_row == 1 + len(doc["results"]) * len(doc["indicators"])
    score_col = header(inds).index("Score (0–100)" if lang == "en" else "得分（0–100）") + 1
    assert inds.cell(2, score_col).number_format == "0.00"
    assert issues.freeze_panes == "A2" and method.cell(1, 1).value == ("Method" if lang == "en" else "方法说明")


def test_conditional_formatting_and_chart(doc: dict[str, Any], books: dict) -> None:
    wb = books["en"][1]
    summary, domains, inds, gaps = wb.worksheets[:4]
    # ratings: one rule per rating colour on the rating column, fills from labels.RATING_COLOURS
    rules = [(str(cf.sqref), r) for cf in summary.conditional_formatting for r in cf.rules]
    rating = [r for ref, r in rules if ref.startswith("D6:")]
    assert {r.formula[0] for r in rating} == {'"green"', '"yellow"', '"orange"', '"red"', '"gray"'}
    fills = {r.dxf.fill.fgColor.rgb[-6:].lower() for r in rating}
    assert fills == {"2e9e44", "f2c318", "f08a24", "d7301f", "b0b0b0"}
    assert any(r.type == "cellIs" for _, r in ((str(cf.sqref), r) for cf in inds.conditional_formatting
                                                for r in cf.rules))
    # domains: a 3-colour scale over the score matrix
    scales = [r for cf in domains.conditional_formatting for r in cf.rules if r.type == "colorScale"]
    assert len(scales) == 1 and len(scales[0].colorScale.cfvo) == 3
    assert any(r.type == "dataBar" for cf in gaps.conditional_formatting for r in cf.rules)
    # the ranking chart: horizontal bars of every city, coloured by rating
    assert len(summary._charts) == 1
    chart = summary._charts[0]
    assert chart.type == "bar" and len(chart.series) == 1
    assert len(chart.series[0].dPt) == len(doc["results"])


def test_formula_injection_written_as_text(doc: dict[str, Any]) -> None:
    d = small(doc)
    for r, name in zip(d["results"], EVIL, strict=False):
        r["city"] = name
    d["issues"] = [{"code": "D705", "rule": "data.not-a-number", "severity": "error", "file": "=cmd|' /C calc'!A0",
                    "sheet": "@evil", "cell": "B3", "line": None, "col": None, "message": "=1+2", "hint": "-x"}]
    d["input"] = {**d["input"], "file": "=evil.xlsx"}
    for lang in ("en", "zh"):
        data = excel.render(d, lang)
        wb = load(data)
        formulas = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == []
        city_col = column(wb.worksheets[0], "City" if lang == "en" else "城市", row=5)
        for name in EVIL:
            assert name in city_col
        cells = [c for row in wb.worksheets[0].iter_rows() for c in row if c.value in EVIL]
        assert cells and all(c.data_type == "s" and isinstance(c.value, str) and c.quotePrefix for c in cells)
        issue = wb.worksheets[4]
        assert "=1+2" in [c.value for c in issue[2]] and all(c.data_type != "f" for c in issue[2])
        # and no <f> element anywhere in the package
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist()
                           if n.startswith("xl/worksheets/"))


def test_byte_identical(doc: dict[str, Any], books: dict) -> None:
    a = books["zh"][0]
    b = excel.render(copy.deepcopy(doc), "zh")
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    wb = books["zh"][1]
    assert wb.properties.created.year == 2020 and wb.properties.modified.year == 2020


def test_gaps_largest_weighted_first(doc: dict[str, Any], books: dict) -> None:
    wb = books["en"][1]
    gaps = wb["Gaps"]
    weighted = column(gaps, "Weighted gap (points)")
    assert weighted == sorted(weighted, key=lambda v: -(v or 0))
    assert len(weighted) == len(doc["results"]) * len(doc["indicators"])
    # with arithmetic means and full coverage, a city's gaps add up to what it lacks of 100
    city = doc["results"][0]
    mine = [g for g in S.gap_rows(doc, [city]) if g["weighted_gap"] is not None]
    assert sum(g["weighted_gap"] for g in mine) == pytest.approx(100 - city["score"], abs=1e-6)


def test_simple_gaps_without_the_gaps_key(doc: dict[str, Any]) -> None:
    d = {k: v for k, v in doc.items() if k != "gaps"}
    row = d["results"][0]
    rows = S.gap_rows(d, [row])
    w = S.effective_weights(d)
    first = rows[0]
    assert first["weighted_gap"] == pytest.approx(w[first["indicator"]] * (100 - first["score"]))
    assert [g["weighted_gap"] for g in rows] == sorted((g["weighted_gap"] for g in rows), key=lambda v: -(v or 0))
    assert S.shortfall(3.0, 5.0, "higher") == 2.0 and S.shortfall(7.0, 5.0, "higher") == 0.0
    assert S.shortfall(7.0, 5.0, "lower") == 2.0 and S.shortfall(4.0, 5.0, "target") == 1.0


def test_method_sheet_states_provenance_and_weights(doc: dict[str, Any], books: dict) -> None:
    wb = books["en"][1]
    ws = wb["Method"]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert pairs["Framework id"] == doc["framework"]["id"] and pairs["Version"] == doc["framework"]["version"]
    assert pairs["Framework sha256"] == doc["framework"]["sha256"]
    assert pairs["Input file sha256"] == doc["input"]["sha256"]
    assert pairs["Generated by"] == f"citystd {doc['citystd_version']}"
    steps = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "normalise" in steps and "weights" in steps
    weights = S.effective_weights(doc)
    ids = {ws.cell(r, 1).value: ws.cell(r, 4).value for r in range(1, ws.max_row + 1)}
    some = next(iter(weights))
    assert ids[some] == pytest.approx(weights[some])


def test_one_city_profile(panel: dict[str, Any]) -> None:
    city = panel["results"][0]["city"]
    wb = load(excel.render(panel, "zh", city=city))
    assert wb.sheetnames == ["城市画像", "趋势", "指标趋势", "指标", "差距分析", "数据问题", "方法说明"]
    profile = wb["城市画像"]
    assert city in profile.cell(1, 1).value
    years = [profile.cell(r, 1).value for r in range(6, 11)]
    assert years == [2019, 2020, 2021, 2022, 2023]
    assert len(profile._charts) == 1 and len(wb["趋势"]._charts) == 1
    inds = wb["指标"]
    assert inds.max_row == 1 + 5 * len(panel["indicators"])
    assert "城市" not in header(inds)  # one city: no city column
    with pytest.raises(ValueError):
        excel.render(panel, "zh", city="Atlantis")


def test_registry_and_widths() -> None:
    assert renderer("xlsx") is excel.render
    assert display_width("城市abc") == 7 and display_width("ＡＢ") == 4
    book = Book()
    sh = book.sheet("宽度")
    sh.append(["城市可持续发展", "abc", 12345.678], [0, 0, book.style(number_format="0.00")])
    sh.fit_columns()
    wb = load(book.to_bytes())
    widths = {k: v.width for k, v in wb["宽度"].column_dimensions.items()}
    assert widths["A"] == 7 * 2 + 2 and widths["B"] == 6


def test_large_tables_stay_readable() -> None:
    """The row writer: numbers, text, empty cells, booleans and NaN round-trip through openpyxl."""
    book = Book()
    sh = book.sheet("t")
    sh.extend_columns([["a", None, "b"], [1.5, float("nan"), None], [1, 2, 3]], [0, 0, [0, 0, 0]])
    sh.append([True, "", 2.0])
    ws = load(book.to_bytes())["t"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["a", 1.5, 1], [None, None, 2], ["b", None, 3],
                                                                  [True, None, 2]]
    assert ws.dimensions == "A1:C4"
