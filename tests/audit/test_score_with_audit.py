"""`citystd score … --audit audit.json`: each rank with its 5–95 % interval in every score output;
an audit of another framework, other data or other --set options refused (A019) unless --force;
files that are not audits refused (A020)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from citystd.assessment.audit.document import dumps
from citystd.cli import app

runner = CliRunner()
SET = ["--set", "normalise.range=[1, 100]"]  # as the audit_doc fixture was made


@pytest.fixture()
def audit_file(audit_doc: dict, tmp_path: Path) -> Path:
    path = tmp_path / "audit.json"
    path.write_bytes(dumps(audit_doc))
    return path


def score(asem, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["score", str(asem.root / "data.csv"), "--library", str(asem.root), "-f", "asem", *args])


def test_every_output_shows_the_intervals(asem, audit_doc: dict, audit_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = score(asem, *SET, "--audit", str(audit_file), "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    section = doc["audit"]
    assert section["matches"] and section["seed"] == audit_doc["settings"]["seed"]
    assert section["year"] == audit_doc["year"] and len(section["sha256"]) == 64
    for row in audit_doc["ranks"]:
        got = section["ranks"][row["city"]]
        assert (got["rank"], got["median_rank"], got["q05"], got["q95"]) == (row["rank"], row["median_rank"],
                                                                             row["q05"], row["q95"])
    # the audit saw the same nominal ranks as the score
    assert {r["city"]: r["rank"] for r in doc["results"]} == {c: e["rank"] for c, e in section["ranks"].items()}
    first = min(audit_doc["ranks"], key=lambda r: r["rank"])
    want = f"{first['q05']:.0f}–{first['q95']:.0f}"

    table = score(asem, *SET, "--audit", str(audit_file))
    assert table.exit_code == 0
    head, line = table.stdout.splitlines()[:2]
    assert head.split("\t")[:3] == ["rank", "rank 5–95 %", "city"]
    assert line.split("\t")[:3] == [str(first["rank"]), want, first["city"]]

    md = score(asem, *SET, "--audit", str(audit_file), "--format", "markdown", "--lang", "zh")
    assert "| 排名 5–95 % 区间 |" in md.stdout and f"| {want} | {first['city']} |" in md.stdout
    assert "次重复计算" in md.stdout  # the note saying what the interval is

    out = tmp_path / "r.html"
    assert score(asem, *SET, "--audit", str(audit_file), "-o", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "Rank 5–95 %" in page and f'>{want}</td><td class="city">{first["city"]}</td>' in page

    xlsx = tmp_path / "r.xlsx"
    assert score(asem, *SET, "--audit", str(audit_file), "-o", str(xlsx)).exit_code == 0
    ws = load_workbook(io.BytesIO(xlsx.read_bytes())).worksheets[0]
    header = [c.value for c in ws[5]]
    assert header[-3:] == ["Rank · Median rank", "Rank · 5 %", "Rank · 95 %"]
    row = [c.value for c in ws[6]]
    assert row[1] == first["city"] and row[-3:] == [first["median_rank"], first["q05"], first["q95"]]

    city = tmp_path / "city.html"
    assert score(asem, *SET, "--audit", str(audit_file), "--city", first["city"], "-o", str(city)).exit_code == 0
    assert f"5–95 % {want}" in city.read_text(encoding="utf-8")

    # saved results keep the section: citystd report renders it again
    saved = tmp_path / "results.json"
    assert score(asem, *SET, "--audit", str(audit_file), "-o", str(saved)).exit_code == 0
    again = runner.invoke(app, ["report", str(saved), "--format", "markdown"])
    assert again.exit_code == 0 and "Rank 5–95 %" in again.stdout


def test_an_audit_of_another_configuration_is_refused_unless_forced(asem, audit_file: Path) -> None:  # type: ignore[no-untyped-def]
    r = score(asem, "--audit", str(audit_file))  # without the audit's --set: another spec sha256
    assert r.exit_code == 2 and "A019" in r.output and "framework sha256" in r.output and "--force" in r.output
    r = score(asem, "--audit", str(audit_file), "--force", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["audit"]["matches"] is False and "A019" in [i["code"] for i in doc["issues"]]
    assert "A019" in r.stderr


def test_an_audit_of_other_data_is_refused(asem, audit_doc: dict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = dict(audit_doc, input={**audit_doc["input"], "sha256": "0" * 64})
    path = tmp_path / "other.json"
    path.write_bytes(dumps(other))
    r = score(asem, *SET, "--audit", str(path))
    assert r.exit_code == 2 and "input sha256" in r.output


@pytest.mark.parametrize(("text", "words"), [
    ('{"citystd_version": "0.1.0", "results": []}', "not a citystd audit"),
    ("{not json", "not valid JSON"),
    ('{"kind": "citystd-audit", "schema": 99, "ranks": [], "framework": {}}', "schema 99"),
])
def test_files_that_are_not_audits(asem, tmp_path: Path, text: str, words: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    r = score(asem, "--audit", str(path))
    assert r.exit_code == 2 and "A020" in r.output and words in r.output
    r = score(asem, "--audit", str(tmp_path / "missing.json"))
    assert r.exit_code == 2 and "U901" in r.output


def test_never_writes_over_the_audit_it_reads(asem, audit_file: Path) -> None:  # type: ignore[no-untyped-def]
    before = audit_file.read_bytes()
    r = score(asem, *SET, "--audit", str(audit_file), "-o", str(audit_file))
    assert r.exit_code == 2 and "U907" in r.output and audit_file.read_bytes() == before
