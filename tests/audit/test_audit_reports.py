"""The HTML and Excel audit reports without a browser: structure, escaping (script and formula
injection), determinism, self-containment; the CLI writing them. The browser checks are in
tests/report/test_audit_html_browser.py."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from citystd.cli import app
from citystd.report import audit_excel, audit_html

XSS = "<script>alert(1)</script>"
EVIL = ("=cmd|' /C calc'!A0", "+1+2", "-3", "@SUM(A1)")


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    """Script- and formula-bearing text wherever the document carries text."""
    d = copy.deepcopy(doc)
    rename = {d["ranks"][0]["city"]: XSS, d["ranks"][1]["city"]: EVIL[0], d["ranks"][2]["city"]: EVIL[1]}
    for r in d["ranks"]:
        r["city"] = rename.get(r["city"], r["city"])
    d["framework"]["name"] = {"en": "<b>fw</b>", "zh": "<b>框架</b>"}
    d["input"]["file"] = '"><img src=x onerror=alert(2)>.csv'
    first = next(iter(d["names"]["indicators"]))
    d["names"]["indicators"][first] = {"en": "</svg><script>alert(3)</script>", "zh": "@evil"}
    d["uncertainty"][0]["name"] = "<i onmouseover=alert(4)>w</i>"
    d["sensitivity"][0]["indices"][0]["input"] = d["uncertainty"][0]["name"]
    d["failed"] = [{"row": 3, "reason": f"E802: {XSS}"}]
    d["diagnostics"] = [{"code": "A015", "rule": "audit.failed-replications", "severity": "warning", "file": None,
                         "line": None, "col": None, "message": {"en": EVIL[0], "zh": XSS}, "hint": None}]
    return d


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_sections_charts_and_provenance(audit_doc: dict, lang: str) -> None:
    page = audit_html.render(audit_doc, lang).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>\n") and f'<html lang="{lang}">' in page
    for anchor in ("overview", "ranks", "sensitivity", "drop-one", "coherence", "main-effects", "size", "specification"):
        assert f'<section id="{anchor}">' in page
    fw, inp, st = audit_doc["framework"], audit_doc["input"], audit_doc["settings"]
    for s in (fw["id"], fw["sha256"], inp["sha256"], f"citystd {audit_doc['citystd_version']}"):
        assert s in page
    assert f"<code>{st['seed']}</code>" in page and f"<code>{st['n']}</code>" in page  # the specification
    # one interval per city, two Sobol bars (S1, ST) with whiskers per input and output, a heatmap per node
    assert page.count('<g class="interval">') == st["units"]
    bars = 2 * len(audit_doc["uncertainty"]) * len(audit_doc["sensitivity"])
    assert page.count('class="bar sobol"') == bars and page.count('class="whisker"') == bars
    assert page.count('<details class="detail heatmap"') == len(audit_doc["coherence"]["nodes"])
    assert page.count('class="bar drop"') == min(len(audit_doc["drop_one"]), audit_html.MAX_DROP_BARS)
    # self-contained: no URL, no external reference
    assert not re.search(r"(?:src|href)=\"(?!#)", page) and "http" not in page.replace("http://www.w3.org", "")
    assert ("排名区间" in page) == (lang == "zh") and ("Rank intervals" in page) == (lang == "en")


def test_html_rank_chart_follows_the_document(audit_doc: dict) -> None:
    page = audit_html.render(audit_doc, "en").decode("utf-8")
    first = min(audit_doc["ranks"], key=lambda r: r["rank"])
    m = re.search(r'<g class="interval"><title>([^<]*)</title>', page)
    assert m and m.group(1).startswith(f"{first['city']} · Nominal rank {first['rank']} · Median rank")
    # rows in nominal order
    cities = re.findall(r'<g class="interval"><title>([^ <]*) ·', page)
    assert cities == [r["city"] for r in sorted(audit_doc["ranks"], key=lambda r: (r["rank"], r["city"]))]


def test_html_escapes_every_text(audit_doc: dict) -> None:
    d = hostile(audit_doc)
    for lang in ("en", "zh"):
        page = audit_html.render(d, lang).decode("utf-8")
        for raw in ("<script>alert", "<img src=x", "<b>fw</b>", "<b>框架</b>", "<i onmouseover", "</svg><script>"):
            assert raw not in page, raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert page.count("<script>") == 1  # the page's own code only


def test_html_deterministic_and_sized(audit_doc: dict) -> None:
    a = audit_html.render(audit_doc, "zh")
    assert a == audit_html.render(copy.deepcopy(audit_doc), "zh")
    assert len(a) < 600_000


def test_html_large_node_shows_its_column_only(audit_doc: dict) -> None:
    d = copy.deepcopy(audit_doc)
    node = d["coherence"]["nodes"][-1]
    k = audit_html.MAX_MATRIX + 1
    node["children"] = [f"c{i}" for i in range(k)]
    node["pearson"] = {"with_node": [0.5] * k, "among": [[0.1] * k for _ in range(k)]}
    node["spearman"] = {"with_node": [0.5] * k, "among": [[0.1] * k for _ in range(k)]}
    page = audit_html.render(d, "en").decode("utf-8")
    last = page[page.rindex('<details class="detail heatmap"'):]
    svg_part = last[:last.index("</svg>")]
    assert svg_part.count("<rect") == k and f"the full {k} × {k} matrix" in last


def _book(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_excel_sheets_and_numbers(audit_doc: dict, lang: str) -> None:
    wb = _book(audit_excel.render(audit_doc, lang))
    names = [ws.title for ws in wb.worksheets]
    assert len(names) == 8
    ranks = wb.worksheets[0]
    header = [c.value for c in ranks[6]]
    assert header[:6] == (["Nominal rank", "City", "Score", "Median rank", "5 %", "95 %"] if lang == "en"
                          else ["名义排名", "城市", "得分", "中位排名", "5 %", "95 %"])
    body = list(ranks.iter_rows(min_row=7, max_row=6 + audit_doc["settings"]["units"], values_only=True))
    by_city = {r["city"]: r for r in audit_doc["ranks"]}
    for row in body:
        r = by_city[row[1]]
        assert (row[0], row[3], row[4], row[5]) == (r["rank"], r["median_rank"], r["q05"], r["q95"])
    assert len(ranks._charts) == 1
    sens = wb.worksheets[1]
    assert len(sens._charts) == len(audit_doc["sensitivity"])
    assert all(s.errBars is not None for s in sens._charts[0].series)
    reps = wb.worksheets[6]
    assert [c.value for c in reps[1]] == audit_doc["replications"]["columns"]
    assert reps.max_row == 1 + len(audit_doc["replications"]["rows"])
    spec = {r[0]: r[1] for r in wb.worksheets[7].iter_rows(values_only=True) if r and r[0]}
    seed = "Seed" if lang == "en" else "随机种子"
    assert spec[seed] == audit_doc["settings"]["seed"]


def test_excel_formula_injection_written_as_text_and_byte_identical(audit_doc: dict) -> None:
    d = hostile(audit_doc)
    data = audit_excel.render(d, "en")
    assert data == audit_excel.render(copy.deepcopy(d), "en")
    wb = _book(data)
    assert [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value in EVIL]
    assert len({c.value for c in cells}) >= 2 and all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_cli_writes_html_and_xlsx(asem, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unc = tmp_path / "u.yaml"
    unc.write_text("uncertainty:\n  - {name: weights, weights_noise: 0.2}\n", encoding="utf-8")
    base = ["audit", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem", "-u", str(unc), "-N", "8",
            "--bootstrap", "20"]
    runner = CliRunner()
    for name in ("a.html", "a.xlsx"):
        r = runner.invoke(app, [*base, "-o", str(tmp_path / name), "--lang", "zh"])
        assert r.exit_code == 0, r.output
    assert (tmp_path / "a.html").read_bytes().startswith(b"<!DOCTYPE html>")
    assert zipfile.is_zipfile(tmp_path / "a.xlsx")
    r = runner.invoke(app, [*base, "--format", "html"])
    assert r.exit_code == 0 and r.stdout.startswith("<!DOCTYPE html>")
    r = runner.invoke(app, [*base, "--format", "xlsx"])
    assert r.exit_code == 2 and "binary" in r.output
    r = runner.invoke(app, [*base, "-o", str(tmp_path / "a.pdf")])
    assert r.exit_code == 2 and ".xlsx" in r.output
