"""The Markdown summary: provenance, the ranking table shared with the terminal, strengths, escaping."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.report import markdown, renderer
from citystd.report import summary as S
from citystd.report.markdown import md

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"


def score(*args: str) -> dict[str, Any]:
    r = CliRunner().invoke(app, ["score", *args, "--library", str(FIXTURES), "-f", "demo", "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return score(str(FIXTURES / "cities.csv"))


@pytest.fixture(scope="module")
def panel() -> dict[str, Any]:
    return score(str(FIXTURES / "cities_long.csv"))


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The cells of the Markdown table whose header starts with ``header_start``."""
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[k + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def test_summary_states_provenance_and_shares_the_table(doc: dict[str, Any]) -> None:
    text = markdown.render(doc, "en").decode("utf-8")
    fw = doc["framework"]
    assert f"{md(fw['id'])} v{fw['version']}" in text and fw["sha256"] in text and doc["input"]["sha256"] in text
    rows = table_rows(text, "| Rank | City |")
    headers, terminal = S.summary_rows(doc, "en")
    assert headers[:3] == ["rank", "city", "score"]  # the terminal's header line stays machine-friendly
    assert len(rows) == len(terminal)
    for mine, theirs in zip(rows, terminal, strict=True):
        rating = theirs[3]
        assert mine[:3] == theirs[:3] and mine[3].endswith(rating) and mine[4:] == theirs[4:]
    assert "🟢 green" in text
    assert "Data issues: 0 errors, 0 warnings." in text


def test_strengths_weighted_by_effective_weight(doc: dict[str, Any]) -> None:
    text = markdown.render(doc, "en").decode("utf-8")
    assert "effective weight × score" in text
    aston = next(r for r in doc["results"] if r["city"] == "Aston")
    strong, weak = S.strengths_weaknesses(doc, aston, 3)
    w = S.effective_weights(doc)
    # demo: unemployment weighs 1/2, the two environment indicators 1/4 each
    assert w == pytest.approx({"unemployment_rate": 0.5, "park_area_per_capita": 0.25, "pm25": 0.25})
    assert strong[0][0] == "unemployment_rate" and strong[0][3] == pytest.approx(0.5 * 86.25)
    assert weak[0][0] == "pm25" and weak[0][3] == pytest.approx(0.25 * (100 - (28 - 75) / (5 - 75) * 100))
    section = text.split("### 2. Aston", 1)[1].split("###", 1)[0]
    assert "+43.12 pts" in section and "Strengths" in section and "Weaknesses" in section


def test_chinese_and_one_city(panel: dict[str, Any]) -> None:
    text = markdown.render(panel, "zh").decode("utf-8")
    assert "| 排名 | 城市 | 年份 | 得分 |" in text and "优势" in text and "数据问题：0 个错误，0 个警告。" in text
    one = markdown.render(panel, "en", city="Aston").decode("utf-8")
    assert one.startswith("# Aston — Profile")
    assert len(table_rows(one, "| Rank | City | Year |")) == len({r["year"] for r in panel["results"]})
    assert "## Domains (2023)" in one and "## Gaps (2023)" in one
    with pytest.raises(ValueError):
        markdown.render(panel, "en", city="Atlantis")
    assert renderer("markdown") is markdown.render


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "a|b", "*bold* _it_ `code`", "[x](javascript:y)",
                                  "# heading", "1. list", "line\nbreak"])
def test_data_text_cannot_break_the_markdown(doc: dict[str, Any], name: str) -> None:
    d = copy.deepcopy(doc)
    d["results"][0]["city"] = name
    text = markdown.render(d, "en").decode("utf-8")
    assert "<script" not in text and "<" not in text.replace("&lt;", "")
    rows = table_rows(text, "| Rank | City |")
    assert all(len(r) == len(rows[0]) for r in rows)  # no row split by a | from the data
    assert rows[0][1] == md(name)
    assert "\n# heading" not in text and "\n1. list" not in text and "](javascript" not in text.replace("\\]", "")


def test_md_escape() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert md("*x*_y_") == "\\*x\\*\\_y\\_"
    assert md("- item") == "\\- item" and md("1. x") == "1\\. x" and md("58.48") == "58.48"
    assert md("a\r\nb") == "a b"
