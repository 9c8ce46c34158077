"""Hostile text in every output, end to end through the real CLI: formulas and line breaks in the
tab-separated tables, bidirectional control characters in names (docs/score.md, "What citystd
guarantees")."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.textsafe import BIDI_CONTROLS, csv_text, escape_bidi_json, mark_bidi, tsv_cell

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Ab\u202enotsoH" shows as "AbHostone"
EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    """The fixture cities, three of them renamed: a formula, a tab and a line break, a bidi override."""
    lines = (FIXTURES / "cities.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("Aston", '"' + EVIL.replace('"', '""') + '"')
    lines[2] = lines[2].replace("Brindle", '"Brin\tdle\nNext"')
    lines[3] = lines[3].replace("Carrow", f"Car{RLO}worr")
    p = tmp_path / "hostile.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def score(*args: str):
    return runner.invoke(app, ["score", *args, "--library", str(FIXTURES), "-f", "demo"])


def test_cells_unit() -> None:
    assert tsv_cell("=1+1") == "'=1+1" and tsv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert tsv_cell("-2+3+cmd|' /C calc'!A0").startswith("'-2+3")
    assert tsv_cell("-3.50") == "-3.50" and tsv_cell("+0.00") == "+0.00" and tsv_cell("12%") == "12%"
    assert tsv_cell("a\tb\nc\r\nd") == "a b c d"
    assert tsv_cell(f"x{RLO}y") == "x[U+202E]y"
    assert csv_text("+1 555") == "'+1 555" and mark_bidi("plain") == "plain"
    for ch in BIDI_CONTROLS:
        raw = json.dumps({"c": f"a{ch}b"}, ensure_ascii=False).encode("utf-8")
        escaped = escape_bidi_json(raw)
        assert ch.encode("utf-8") not in escaped and json.loads(escaped) == json.loads(raw)


def test_piped_table_is_neutralised(hostile: Path) -> None:
    r = score(str(hostile))  # CliRunner's stdout is not a terminal: the tab-separated table
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 6  # header + 5 cities: the tab and the line break did not split a row
    assert all(len(line.split("\t")) == len(lines[0].split("\t")) for line in lines)
    cities = [line.split("\t")[1] for line in lines[1:]]
    assert "'" + EVIL in cities and "Brin dle Next" in cities and "Car[U+202E]worr" in cities
    assert RLO not in r.stdout


def test_bidi_marked_in_every_human_output(hostile: Path, tmp_path: Path) -> None:
    for ext in ("csv", "md", "html", "xlsx"):
        out = tmp_path / f"report.{ext}"
        r = score(str(hostile), "-o", str(out))
        assert r.exit_code == 0, r.output
        if ext == "xlsx":
            with zipfile.ZipFile(out) as z:
                text = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
            names = [c.value for ws in openpyxl.load_workbook(out) for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str) and "Car" in c.value]
            assert "Car[U+202E]worr" in names
        else:
            text = out.read_text(encoding="utf-8")
        shown = r"Car\[U+202E\]worr" if ext == "md" else "Car[U+202E]worr"  # Markdown escapes brackets
        assert RLO not in text and shown in text, ext
    r = score(str(hostile), "--city", f"Car{RLO}worr", "-o", str(tmp_path / "one.html"))
    assert r.exit_code == 0, r.output
    assert "Car[U+202E]worr" in (tmp_path / "one.html").read_text(encoding="utf-8")


def test_json_keeps_the_value_as_an_escape(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert score(str(hostile), "-o", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert RLO.encode("utf-8") not in raw and b"\\u202e" in raw
    doc = json.loads(raw)
    assert f"Car{RLO}worr" in [r["city"] for r in doc["results"]]  # the value is unchanged
    r = score(str(hostile), "--format", "json")
    assert r.stdout.encode("utf-8") == raw
    # report and compare read it back: names for people marked, JSON escaped
    r = runner.invoke(app, ["report", str(out), "--format", "csv"])
    assert r.exit_code == 0 and "Car[U+202E]worr" in r.stdout and RLO not in r.stdout
    r = runner.invoke(app, ["compare", str(out), str(out)])
    assert r.exit_code == 0 and "Car[U+202E]worr" in r.stdout and RLO not in r.stdout
    assert "'" + EVIL in r.stdout  # compare's tab-separated table is neutralised too
    r = runner.invoke(app, ["compare", str(out), str(out), "--format", "json"])
    assert r.exit_code == 0 and RLO not in r.stdout
    assert f"Car{RLO}worr" in json.dumps(json.loads(r.stdout), ensure_ascii=False)


def test_diagnostics_and_browsing_mark_bidi(tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    p.write_text(f"city,population,labour_force,unemployed,green_area,pm25\nX{RLO}Y,1,1,1,1,1\n"
                 f"X{RLO}Y,1,1,1,1,1\n", encoding="utf-8")
    r = score(str(p))
    assert r.exit_code == 1 and "X[U+202E]Y" in r.stderr and RLO not in r.stderr
    lib = tmp_path / "lib.yaml"
    text = (FIXTURES / "framework.yaml").read_text(encoding="utf-8").replace("en: Park area}", f"en: Park{RLO} area}}")
    lib.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["indicators", "list", "--library", str(lib)])
    assert r.exit_code == 0 and RLO not in r.stdout
    r = runner.invoke(app, ["indicators", "list", "--library", str(lib), "--format", "json"])
    assert r.exit_code == 0 and RLO not in r.stdout


def test_template_marks_bidi_in_library_names(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    text = (FIXTURES / "framework.yaml").read_text(encoding="utf-8").replace("en: Park area}", f"en: Park{RLO} area}}")
    (lib / "framework.yaml").write_text(text, encoding="utf-8")
    for ext in ("xlsx", "csv"):
        out = tmp_path / f"t.{ext}"
        r = runner.invoke(app, ["template", "--library", str(lib), "-f", "demo", "-o", str(out),
                                "--cities", f"A{RLO}B,C"])
        assert r.exit_code == 0, r.output
        if ext == "xlsx":
            texts = [c.value for ws in openpyxl.load_workbook(out) for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str)]
        else:
            texts = out.read_text(encoding="utf-8-sig").splitlines()
        joined = "\n".join(texts)
        assert RLO not in joined and "Park[U+202E] area" in joined and "A[U+202E]B" in joined, ext


def test_check_marks_bidi_and_neutralises_formulas(hostile: Path, tmp_path: Path) -> None:
    """`citystd check`: its piped table and its JSON go through citystd.textsafe like the other commands."""
    lib = tmp_path / "lib"
    lib.mkdir()
    text = (FIXTURES / "framework.yaml").read_text(encoding="utf-8")
    text = text.replace("{zh: 经济, en: Economy}", f"{{zh: 经济, en: \"=Eco{RLO}nomy\"}}")
    assert f"=Eco{RLO}nomy" in text
    (lib / "framework.yaml").write_text(text, encoding="utf-8")
    base = ["check", str(hostile), "--library", str(lib), "-f", "demo", "--lang", "en"]
    r = runner.invoke(app, base)  # CliRunner's stdout is not a terminal: the tab-separated table
    assert r.exit_code == 0, r.output
    assert RLO not in r.stdout and RLO not in r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines() if "\t" in line]
    assert ["'=Eco[U+202E]nomy", "1", "1", "0", "0", "100%"] in rows
    assert "fewest 2 (Car[U+202E]worr)" in r.stdout and "of Car[U+202E]worr;" in r.stderr
    r = runner.invoke(app, [*base, "--format", "json"])
    assert r.exit_code == 0 and RLO not in r.stdout and "\\u202e" in r.stdout
    doc = json.loads(r.stdout)
    assert f"=Eco{RLO}nomy" in json.dumps(doc, ensure_ascii=False)
