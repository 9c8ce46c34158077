"""Fuzzing the inputs through the real CLI (hypothesis, bounded example counts for CI): CSV bytes,
workbooks built by openpyxl with random cells, and YAML libraries mutated line by line. Whatever
comes in: no traceback, no "internal error", an exit code in {0, 1, 2}, no output file when the
exit code is not 0, and the input's bytes unchanged."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HEADERS = ["city", "城市", "year", "年份", "region", "population", "常住人口", "labour_force", "unemployed", "green_area",
           "pm25", "unemployment_rate", "variable", "value", "", "city"]
TEXTS = st.sampled_from(["", "NA", "—", "-", "暂无", "#N/A", "#DIV/0!", "=1+1", "=HYPERLINK(\"x\")", "@x", "+1",
                         "1,234", "12%", "1e308", "-1e308", "inf", "nan", "0", "-5", "3.5", "２０２３", "2023",
                         "Ab\u202eCity", "a\tb", "a\nb", "\x00", "杭州", "  ", "1.2.3", "9" * 400])
CELLS = st.one_of(TEXTS, st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**20, 10**20).map(str),
                  st.text(max_size=12))


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _score_checked(data: Path, *extra: str) -> None:
    """Score ``data`` with -o; assert the guarantees of docs/score.md."""
    before = _sha(data)
    out = data.parent / "out" / "results.json"
    out.parent.mkdir(exist_ok=True)
    r = runner.invoke(app, ["score", str(data), "--library", str(FIXTURES), "-f", "demo", "-o", str(out), *extra])
    assert r.exit_code in (0, 1, 2), (r.exit_code, r.output)
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    event(f"exit {r.exit_code}")
    if r.exception is not None:
        assert isinstance(r.exception, SystemExit), repr(r.exception)
    written = sorted(p.name for p in out.parent.iterdir())
    assert written == (["results.json"] if r.exit_code == 0 else []), (r.exit_code, written, r.output)
    assert _sha(data) == before, "the input was modified"


DEMO = ["population", "labour_force", "unemployed", "green_area", "pm25"]
NUMBERS = st.one_of(st.integers(1, 400).map(str), st.integers(1, 10**6).map(str),
                    st.sampled_from(["", "0", "1e300", "-3", "12.5"]))


def header() -> st.SearchStrategy[list[str]]:
    """Mostly a city column and the demo framework's variables (so that files also score), else anything."""
    return st.one_of(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7),
                     st.lists(st.sampled_from(DEMO), min_size=1, max_size=5, unique=True).map(lambda v: ["city", *v]),
                     st.just(["city", *DEMO]))


@st.composite
def csv_bytes(draw: Any) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=2000))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    cols = draw(header())
    rows = [sep.join(cols)]
    for r in range(draw(st.integers(0, 6))):
        cells = draw(st.one_of(st.lists(CELLS, min_size=0, max_size=len(cols) + 1),  # anything
                               st.lists(NUMBERS, min_size=len(cols) - 1, max_size=len(cols) - 1).map(
                                   lambda xs, r=r: [f"City{r}", *xs])))  # a plausible row
        rows.append(sep.join('"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c for c in cells))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(raw=csv_bytes(), keep_going=st.booleans())
def test_fuzz_csv_bytes(raw: bytes, keep_going: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        data.write_bytes(raw)
        _score_checked(data, *(["--keep-going"] if keep_going else []))


XLSX_CELLS = st.one_of(CELLS, st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**15, 10**15),
                       st.none(), st.booleans(), st.sampled_from(["=1/0", "=A1+1", "=SUM(B2:B3)"]),
                       st.integers(0, 10**7), st.integers(0, 10**7))  # numbers twice as likely


@FUZZ
@given(sheets=st.lists(st.tuples(st.sampled_from(["数据", "Sheet1", "说明", "x" * 31]),
                                 st.lists(st.lists(XLSX_CELLS, max_size=7), max_size=6)), min_size=1, max_size=3),
       header=header(), merge=st.booleans(), keep_going=st.booleans())
def test_fuzz_xlsx(sheets: list[tuple[str, list[list[Any]]]], header: list[str], merge: bool,
                   keep_going: bool) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k, (title, rows) in enumerate(sheets):
        ws = wb.create_sheet(f"{title[:28]}{k}")
        ws.append(header)
        for row in rows:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])  # as Excel would
        if merge and ws.max_row >= 2 and ws.max_column >= 2:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.xlsx"
        wb.save(data)
        _score_checked(data, *(["--keep-going"] if keep_going else []))


BASE_YAML = (FIXTURES / "framework.yaml").read_text(encoding="utf-8").splitlines()
SNIPPETS = st.sampled_from([
    "", "  - {indicator: pm25, weight: .nan}", "    weight: .inf", "    formula: \"500\"", "    formula: 10 ** 10 ** 10",
    "    goalposts: {worst: 1, best: 1}", "citystd: 2", "a: &a [1, 2]", "b: [*a, *a]", "    direction: sideways",
    "  - id: pm25", "\t- tab", "    range: [100, 0]", "framework:", "  tree: []", "    weight: 0", "---", "...",
    "    name: {zh: \u202e, en: x}", "    unit: {zh: 人}", "!!python/object:os.system ls", "  pipeline: [{normalise: {range: [0, .inf]}}]",
])


@st.composite
def yaml_text(draw: Any) -> str:
    lines = list(BASE_YAML)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "truncate"]))
        k = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if op == "delete" and lines:
            del lines[k]
        elif op == "insert":
            lines.insert(k, draw(SNIPPETS))
        elif op == "replace" and lines:
            line = lines[k]
            pos = draw(st.integers(0, len(line)))
            lines[k] = line[:pos] + draw(st.sampled_from(["", ":", "{", "]", "'", "&", "*", "-", " ", "x", "0"])) \
                + line[pos + 1:]
        elif op == "duplicate" and lines:
            lines.insert(k, lines[k])
        elif op == "truncate":
            lines = lines[:k]
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=yaml_text())
def test_fuzz_yaml_library(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        yml = lib / "framework.yaml"
        yml.write_text(text, encoding="utf-8")
        before = _sha(yml)
        r = runner.invoke(app, ["validate", str(lib)])
        assert r.exit_code in (0, 1, 2), r.output
        event(f"validate exit {r.exit_code}")
        assert "Traceback" not in r.output and "internal error" not in r.output, r.output
        assert _sha(yml) == before
        out = Path(tmp) / "out"
        out.mkdir()
        r = runner.invoke(app, ["score", str(FIXTURES / "cities.csv"), "--library", str(lib), "-f", "demo",
                                "-o", str(out / "results.json")])
        assert r.exit_code in (0, 1, 2), r.output
        assert "Traceback" not in r.output and "internal error" not in r.output, r.output
        if r.exit_code != 0 and ("library" in r.stderr or r.exit_code == 2):
            assert list(out.iterdir()) == [], r.output
        assert _sha(yml) == before
