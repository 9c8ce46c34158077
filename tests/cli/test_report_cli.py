"""`citystd score -o report.*`, `citystd report` and `citystd compare` through the real CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
DATA = FIXTURES / "cities.csv"
PANEL = FIXTURES / "cities_long.csv"


def score(*args: str):
    return runner.invoke(app, ["score", *args, "--library", str(FIXTURES), "-f", "demo"])


def report(*args: str):
    return runner.invoke(app, ["report", *args])


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    out = tmp_path / "results.json"
    r = score(str(DATA), "-o", str(out))
    assert r.exit_code == 0, r.output
    return out


def test_score_picks_the_renderer_from_the_extension(tmp_path: Path) -> None:
    for name in ("report.xlsx", "report.md", "results.json", "results.csv"):
        r = score(str(DATA), "-o", str(tmp_path / name))
        assert r.exit_code == 0, r.output
        assert f"wrote {tmp_path / name}" in r.stderr
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames[0] == "Summary" and wb["Summary"].cell(6, 2).value == "Dunmere"
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# ") and "| 1 | Dunmere | 87.50 |" in md
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["framework"]["id"] == "demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "report.xlsx", "results.csv", "results.json"]
    # --format wins over the extension; markdown and md are the same
    r = score(str(DATA), "-o", str(tmp_path / "summary.txt"), "--format", "md")
    assert r.exit_code == 0 and (tmp_path / "summary.txt").read_text(encoding="utf-8") == md
    # Chinese
    r = score(str(DATA), "-o", str(tmp_path / "zh.xlsx"), "--lang", "zh")
    assert openpyxl.load_workbook(tmp_path / "zh.xlsx").sheetnames[0] == "总览"


def test_text_formats_to_stdout_binary_refused(tmp_path: Path) -> None:
    r = score(str(DATA), "--format", "markdown")
    assert r.exit_code == 0 and r.stdout.startswith("# ") and "Dunmere" in r.stdout
    r = score(str(DATA), "--format", "xlsx")
    assert r.exit_code == 2 and "use -o" in r.stderr and r.stdout == ""
    r = score(str(DATA), "-o", str(tmp_path / "x.pdf"))
    assert r.exit_code == 2 and "--format" in r.stderr
    r = score(str(DATA), "--format", "pdf")
    assert r.exit_code == 2 and "--format must be one of" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_city_profile_and_did_you_mean(tmp_path: Path) -> None:
    r = score(str(PANEL), "--city", "Aston", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {x["city"] for x in doc["results"]} == {"Aston"} and len(doc["results"]) == 2
    r = score(str(PANEL), "--city", "Aston", "-o", str(tmp_path / "aston.xlsx"))
    assert r.exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "aston.xlsx").sheetnames[0] == "Profile"
    r = score(str(PANEL), "--city", "Astn", "-o", str(tmp_path / "x.xlsx"))
    assert r.exit_code == 2 and "did you mean 'Aston'?" in r.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_report_from_saved_results_equals_report_from_scoring(results: Path, tmp_path: Path) -> None:
    for ext in ("xlsx", "md", "csv"):
        direct, saved = tmp_path / f"direct.{ext}", tmp_path / f"saved.{ext}"
        assert score(str(DATA), "-o", str(direct), "--lang", "zh").exit_code == 0
        r = report(str(results), "-o", str(saved), "--lang", "zh")
        assert r.exit_code == 0, r.output
        assert saved.read_bytes() == direct.read_bytes(), ext
    r = report(str(results), "--format", "json")
    assert r.exit_code == 0 and r.stdout.encode("utf-8") == results.read_bytes()
    r = report(str(results))
    assert r.exit_code == 0 and r.stdout.splitlines()[0].split("\t")[:3] == ["rank", "city", "score"]
    r = report(str(results), "--city", "Aston", "-o", str(tmp_path / "aston.md"))
    assert r.exit_code == 0 and (tmp_path / "aston.md").read_text(encoding="utf-8").startswith("# Aston")
    r = report(str(results), "--city", "aston")
    assert r.exit_code == 2 and "did you mean 'Aston'?" in r.stderr
    r = report(str(results), "--format", "xlsx")
    assert r.exit_code == 2 and "use -o" in r.stderr


def test_report_rejects_what_is_not_results(tmp_path: Path, results: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = report(str(bad), "-o", str(tmp_path / "r.md"))
    assert r.exit_code == 1 and "U904" in r.stderr and "bad.json" in r.stderr and "Traceback" not in r.output
    other = tmp_path / "other.json"
    other.write_text('{"citystd_version": "0.1.0", "framework": {"id": "x"}}', encoding="utf-8")
    r = report(str(other), "-o", str(tmp_path / "r.md"))
    assert r.exit_code == 1 and "other.json is not citystd results" in r.stderr and "input" in r.stderr
    array = tmp_path / "array.json"
    array.write_text("[1, 2]", encoding="utf-8")
    r = report(str(array), "-o", str(tmp_path / "r.md"))
    assert r.exit_code == 1 and "JSON array" in r.stderr
    r = report(str(tmp_path / "missing.json"), "-o", str(tmp_path / "r.md"))
    assert r.exit_code == 2 and "U901" in r.stderr
    assert not (tmp_path / "r.md").exists()
    newer = tmp_path / "newer.json"
    doc = json.loads(results.read_text(encoding="utf-8"))
    doc["citystd_version"] = "99.0.0"
    newer.write_text(json.dumps(doc), encoding="utf-8")
    r = report(str(newer), "-o", str(tmp_path / "r.md"))
    assert r.exit_code == 0 and "U905" in r.stderr and "99.0.0" in r.stderr


def test_compare_same_framework(results: Path, tmp_path: Path) -> None:
    panel = tmp_path / "panel.json"
    assert score(str(PANEL), "-o", str(panel)).exit_code == 0
    r = runner.invoke(app, ["compare", str(results), str(panel), "--format", "json"])
    assert r.exit_code == 0, r.output
    cmp = json.loads(r.stdout)
    assert cmp["comparable"] and cmp["differences"] == [] and cmp["match"] == "city"
    assert cmp["years_a"] == [None] and cmp["years_b"] == [2023]
    a = {x["city"]: x for x in json.loads(results.read_text(encoding="utf-8"))["results"]}
    for row in cmp["results"]:
        assert row["change"] == pytest.approx(row["score_b"] - a[row["city"]]["score"])
        if row["rank_a"] is not None and row["rank_b"] is not None:
            assert row["rank_change"] == row["rank_a"] - row["rank_b"]
        assert set(row["nodes"]) >= {"economy", "environment"}
    assert cmp["only_a"] == [c for c in a if c not in {x["city"] for x in cmp["results"]}]
    r = runner.invoke(app, ["compare", str(results), str(panel)])
    assert r.exit_code == 0 and r.stdout.startswith("# A: ") and "City\tYear A\tYear B\tScore A" in r.stdout
    r = runner.invoke(app, ["compare", str(results), str(panel), "-o", str(tmp_path / "cmp.md")])
    assert r.exit_code == 0 and (tmp_path / "cmp.md").read_text(encoding="utf-8").startswith("# Comparison")


def test_compare_refuses_different_frameworks_unless_forced(results: Path, tmp_path: Path) -> None:
    other = tmp_path / "minmax.json"
    assert score(str(DATA), "--set", "normalise.method=minmax", "-o", str(other)).exit_code == 0
    r = runner.invoke(app, ["compare", str(results), str(other)])
    assert r.exit_code == 1 and "U906" in r.stderr
    assert "sha256" in r.stderr and "pipeline normalise: method \"goalposts\" → \"minmax\"" in r.stderr
    assert "--force" in r.stderr and r.stdout == ""
    r = runner.invoke(app, ["compare", str(results), str(other), "--force", "--format", "markdown"])
    assert r.exit_code == 0
    assert "> [!WARNING]" in r.stdout and "differ in sha256, pipeline (normalise)" in r.stdout
    r = runner.invoke(app, ["compare", str(results), str(other), "--force", "--format", "json"])
    cmp = json.loads(r.stdout)
    assert not cmp["comparable"] and [d["field"] for d in cmp["differences"]] == ["sha256", "pipeline"]
    # a different version of the framework is named as such
    doc = json.loads(results.read_text(encoding="utf-8"))
    doc["framework"]["version"] = "1.1.0"
    bumped = tmp_path / "bumped.json"
    bumped.write_text(json.dumps(doc), encoding="utf-8")
    r = runner.invoke(app, ["compare", str(results), str(bumped)])
    assert r.exit_code == 1 and "version: 1.0.0 → 1.1.0" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    r = runner.invoke(app, ["compare", str(results), str(bad)])
    assert r.exit_code == 1 and "U904" in r.stderr


def test_xlsx_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"old")
    r = score(str(DATA), "-o", str(out), "--city", "Nowhere")
    assert r.exit_code == 2 and out.read_bytes() == b"old"
    assert score(str(DATA), "-o", str(out)).exit_code == 0
    openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_docs_show_the_real_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Markdown summary and the forced comparison shown in docs/reports.md are what the commands print."""
    import re

    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```markdown\n(.*?)```", text, flags=re.S)
    args = ["tests/fixtures/score/cities.csv", "--library", "tests/fixtures/score", "-f", "demo"]
    summary = runner.invoke(app, ["score", *args, "--format", "markdown"]).stdout
    shown = blocks[0].split("### 2. Aston\n…\n")
    assert summary.startswith(shown[0]) and summary.endswith(shown[1])
    assert runner.invoke(app, ["score", *args, "-o", "a.json"]).exit_code == 0
    assert runner.invoke(app, ["score", *args, "--set", "normalise.method=minmax", "-o", "minmax.json"]).exit_code == 0
    forced = runner.invoke(app, ["compare", "a.json", "minmax.json", "--force", "--format", "markdown"]).stdout
    assert forced == blocks[1]
    refused = runner.invoke(app, ["compare", "a.json", "minmax.json"])
    assert refused.exit_code == 1
    assert [line.rstrip() for line in refused.stderr.splitlines()] == \
        re.search(r"```text\n(minmax\.json: .*?)```", text, flags=re.S).group(1).rstrip().splitlines()
    assert runner.invoke(app, ["score", "tests/fixtures/score/cities_long.csv", *args[1:], "-o", "b.json"]).exit_code == 0
    table = runner.invoke(app, ["compare", "a.json", "b.json"]).stdout
    assert table == re.search(r"```text\n(# A: a\.json.*?)```", text, flags=re.S).group(1)
