"""`citystd score` end to end through the real CLI on real files (csv written here, xlsx by openpyxl)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
CSV = """city,region,population,unemployed
Hangzhou,east,"12,200,000",300000
Chengdu,west,21000000,650000
Lhasa,west,900000,
"""


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    p = tmp_path / "cities.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


def score(base: Path, *args: str):
    return runner.invoke(app, ["score", *args, "-f", str(base / "base.yaml"), "--library", str(base)])


def test_scores_by_hand(base_library: Path, data: Path) -> None:
    r = score(base_library, str(data), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    by_city = {x["city"]: x for x in doc["results"]}
    # Hangzhou: 300000 / 12.2e6 * 100 = 2.459016…%; goalposts worst 10, best 2:
    # (2.459016 − 10) / (2 − 10) = 0.942623 → 94.2623
    hz = by_city["Hangzhou"]
    assert hz["indicators"]["unemployment_rate"]["value"] == pytest.approx(300000 / 12.2e6 * 100, rel=1e-12)
    assert hz["score"] == pytest.approx((300000 / 12.2e6 * 100 - 10) / (2 - 10) * 100, rel=1e-12)
    assert hz["rank"] == 1 and hz["rating"] == "green" and hz["coverage"] == 1.0
    # Chengdu: 3.0952…% → (3.0952 − 10)/(−8) = 0.86310 → rank 2; rating green (≤ 4)
    assert by_city["Chengdu"]["rank"] == 2
    # Lhasa has no unemployed figure: no score, unranked, gray, coverage 0
    lh = by_city["Lhasa"]
    assert lh["score"] is None and lh["rank"] is None and lh["rating"] == "gray" and lh["coverage"] == 0.0
    assert [x["city"] for x in doc["results"]] == ["Hangzhou", "Chengdu", "Lhasa"]
    assert doc["framework"]["id"] == "base" and len(doc["framework"]["sha256"]) == 64
    assert doc["input"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert doc["pipeline"][1] == {"weights": {"method": "manual", "effective": {"unemployment_rate": 1.0}}}


def test_json_is_byte_identical_and_row_order_free(base_library: Path, data: Path, tmp_path: Path) -> None:
    a = score(base_library, str(data), "--format", "json").stdout
    b = score(base_library, str(data), "--format", "json").stdout
    assert a == b
    lines = CSV.strip().splitlines()
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], lines[3], lines[1], lines[2]]) + "\n", encoding="utf-8")
    c = json.loads(score(base_library, str(shuffled), "--format", "json").stdout)
    assert c["results"] == json.loads(a)["results"]


def test_set_overrides_a_parameter(base_library: Path, data: Path) -> None:
    r = score(base_library, str(data), "--format", "json", "--set", "normalise.method=minmax")
    doc = json.loads(r.stdout)
    scores = {x["city"]: x["score"] for x in doc["results"]}
    assert scores["Hangzhou"] == 100.0 and scores["Chengdu"] == 0.0
    assert doc["pipeline"][0]["normalise"]["method"] == "minmax"
    bad = score(base_library, str(data), "--set", "normalise.methd=minmax")
    assert bad.exit_code == 2 and "did you mean 'method'?" in bad.stderr
    bad = score(base_library, str(data), "--set", "normalise.method=maxmin")
    assert bad.exit_code == 2 and "T507" in bad.stderr


def test_minmax_on_one_city_says_why(base_library: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("city,population,unemployed\nHangzhou,12200000,300000\n", encoding="utf-8")
    r = score(base_library, str(one), "--format", "json", "--set", "normalise.method=minmax")
    assert r.exit_code == 1  # results are written, but the run reports the problem
    assert "E801" in r.stderr and "normalise.method=goalposts" in r.stderr
    assert json.loads(r.stdout)["results"][0]["score"] is None
    assert score(base_library, str(one), "--format", "json").exit_code == 0  # goalposts: fine alone


def test_outputs_written_atomically_input_untouched(base_library: Path, data: Path, tmp_path: Path) -> None:
    before = data.read_bytes()
    out = tmp_path / "results.json"
    r = score(base_library, str(data), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["results"][0]["city"] == "Hangzhou"
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cities.csv", "results.json"]  # no temp files left


def test_csv_output_escapes_formula_injection(base_library: Path, tmp_path: Path) -> None:
    p = tmp_path / "evil.csv"
    p.write_text('city,population,unemployed\n"=HYPERLINK(""http://x"")",1000,10\n', encoding="utf-8")
    r = score(base_library, str(p), "--format", "csv")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[1].startswith("\"'=HYPERLINK(")


def test_xlsx_findings_point_at_cells(base_library: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["城市", "常住人口", "失业人员"])
    ws.append(["杭州", 12200000, 300000])
    ws.append(["成都", "二千万", 650000])  # C… no: B3 holds text
    ws.append(["拉萨", 900000, -5])  # out of range: C4
    p = tmp_path / "cities.xlsx"
    wb.save(p)
    r = score(base_library, str(p))
    assert r.exit_code == 1
    assert "数据!B3" in r.stderr and "D705" in r.stderr
    assert "数据!C4" in r.stderr and "D707" in r.stderr
    r = score(base_library, str(p), "--keep-going", "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert {i["code"] for i in doc["issues"]} >= {"D705", "D707"}
    cells = {(i["code"], i.get("cell")) for i in doc["issues"]}
    assert ("D705", "B3") in cells and ("D707", "C4") in cells
    lhasa = next(r for r in doc["results"] if r["city"] == "拉萨")
    assert lhasa["indicators"]["unemployment_rate"]["value"] is None  # −5 is invalid: not scored as 0 %
    r = score(base_library, str(p), "--keep-going", "--lang", "zh")
    assert "绿" in r.stdout


def test_bad_input_is_a_message_not_a_traceback(base_library: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    r = score(base_library, str(empty))
    assert r.exit_code == 1 and "Traceback" not in r.output and "D711" in r.stderr
    corrupt = tmp_path / "broken.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a workbook")
    r = score(base_library, str(corrupt))
    assert r.exit_code in (1, 2) and "Traceback" not in r.output and "broken.xlsx" in r.stderr
    r = score(base_library, str(tmp_path / "missing.csv"))
    assert r.exit_code in (1, 2) and "missing.csv" in r.stderr
    r = runner.invoke(app, ["score", str(empty), "-f", "no-such-framework", "--library", str(base_library)])
    assert r.exit_code == 2 and "unknown framework" in r.stderr


def test_unknown_column_did_you_mean(base_library: Path, tmp_path: Path) -> None:
    p = tmp_path / "typo.csv"
    p.write_text("city,population,unemploye\nA,1000,10\n", encoding="utf-8")
    r = score(base_library, str(p))
    assert "unemployed" in r.stderr and "D703" in r.stderr and "D709" in r.stderr


def test_fast_json_equals_the_document(base_library: Path, data: Path) -> None:
    """The column-wise JSON writer and the dict document are the same document."""
    from citystd.assessment.results import dumps
    from citystd.assessment.scoring import score_file
    from citystd.library.select import load_framework

    lib, fw = load_framework(str(base_library / "base.yaml"), [base_library])
    outcome = score_file(data, lib, fw)
    text = outcome.results.json_bytes()
    assert text == dumps(outcome.doc)
    assert json.loads(text) == outcome.doc
