"""The tables of `citystd score`, `report` and `compare` on a real terminal of 80, 120 and 200 columns.

Each command runs as a user runs it — `python -m citystd …` with its standard output on a
pseudo-terminal (so that it draws the rich table, not the tab-separated text) and ``COLUMNS`` set
— and the test reads what the terminal shows: every line fits the width (measured in terminal
cells as rich measures them: a Chinese character is two), the key columns and every city name are
there in full, no cell is cut to "…", as many domain columns as fit are shown with the numbers of
the results, and the others are named below the table with their ids.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cities-2023.xlsx"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
runner = CliRunner()


def in_terminal(*args: str, columns: int, lang: str = "en") -> tuple[int, list[str], str]:
    """Run citystd with standard output on a pseudo-terminal ``columns`` wide: (exit code, the lines
    the terminal shows, standard error)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "NO_COLOR": "1", "CITYSTD_LANG": lang}
    env.pop("CI", None)
    proc = subprocess.Popen([sys.executable, "-m", "citystd", *args], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError(f"citystd {' '.join(args)} did not finish")
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = proc.stderr.read().decode("utf-8") if proc.stderr else ""
    code = proc.wait(timeout=60)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    return code, text.splitlines(), err


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("table") / "results.json"
    r = runner.invoke(app, ["score", str(EXAMPLE), "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


ROW = re.compile(r"\s*\d+\s+\S+\s+((\d{4}|—)\s+)?\d+\.\d\d\s")  # rank, city, year, score
COMPARE_ROW = re.compile(r"\S+\s+((\d{4}|—)\s+)*\d+\.\d\d\s")  # city, years, score A


def table_parts(lines: list[str], first_header: str, row: re.Pattern = ROW) -> tuple[list[str], list[str], list[str]]:
    """(header lines, row lines, lines below the table), split at the rule under the header."""
    rule = next(k for k, line in enumerate(lines) if set(line.strip()) == {"─"})
    # the header starts below the title and the provenance lines (which end in a shortened hash: …)
    top = max([k + 1 for k in range(rule) if "sha256" in lines[k] or lines[k].endswith("…)")], default=0)
    assert lines[rule - 1].split()[:1] == [first_header], lines[top:rule]
    end = rule + 1
    while end < len(lines) and row.match(lines[end]):
        end += 1
    return lines[top:rule], lines[rule + 1:end], lines[end:]


def domains(doc: dict) -> list[tuple[str, dict]]:
    return [(n["id"], n["name"]) for n in doc["tree"] if "id" in n]


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_report_table_fits_every_width(results: Path, columns: int) -> None:
    doc = json.loads(results.read_text(encoding="utf-8"))
    code, lines, err = in_terminal("report", str(results), columns=columns)
    assert code == 0, err
    assert all(cell_len(line) <= columns for line in lines), [x for x in lines if cell_len(x) > columns]
    head, rows, below = table_parts(lines, "rank")
    assert head[-1].split()[:5] == ["rank", "city", "score", "rating", "coverage"]
    assert len(rows) == 30 and not any("…" in row for row in rows + head)
    by_city = {r["city"]: r for r in doc["results"]}
    tops = domains(doc)
    shown = 0
    for row in rows:
        cells = row.split()
        rank, city, score = cells[0], cells[1], cells[2]
        r = by_city[city]  # the whole name, never cut
        assert (int(rank), score) == (r["rank"], f"{r['score']:.2f}")
        values = cells[6:]  # after rank, city, score, ●, rating, coverage
        shown = len(values)
        assert values == [f"{r['nodes'][t]['score']:.1f}" for t, _ in tops[:shown]]
    # as many domains as fit: at least two at 80 columns, all thirteen at 200
    assert {80: shown >= 2, 120: shown >= 6, 200: shown == len(tops)}[columns], shown
    note = re.sub(r"\s+", " ", " ".join(below))
    if shown < len(tops):
        assert f"{len(tops) - shown} more columns not shown" in note and "--columns" in note
        for nid, name in tops[shown:]:
            assert f"{name['en']} ({nid})" in note
        for nid, _ in tops[:shown]:
            assert f"({nid})" not in note
    else:
        assert "not shown" not in note


def test_narrower_shows_fewer_domains_never_cut(results: Path) -> None:
    counts = []
    for columns in (80, 120, 200):
        _, lines, _ = in_terminal("report", str(results), columns=columns)
        _, rows, _ = table_parts(lines, "rank")
        counts.append(len(rows[0].split()) - 6)
    assert counts[0] < counts[1] < counts[2], counts


def test_score_at_80_columns_in_chinese() -> None:
    """`citystd score` itself, in Chinese: headers wrap (Chinese between any two characters), rows never."""
    code, lines, err = in_terminal("score", str(EXAMPLE), columns=80, lang="zh")
    assert code == 0, err
    assert all(cell_len(line) <= 80 for line in lines), [x for x in lines if cell_len(x) > 80]
    head, rows, below = table_parts(lines, "排名")
    assert head[-1].split()[:2] == ["排名", "城市"] and len(rows) == 30
    assert not any("…" in row for row in rows + head)
    assert all(re.match(r"\s*\d+\s+\S+市\s+\d+\.\d\d\s+● [绿黄橙红灰]\s+\d", row) for row in rows), rows[:3]
    assert "列未显示" in " ".join(below) and "--columns" in " ".join(below)


def test_columns_chooses_the_domains(results: Path) -> None:
    code, lines, _ = in_terminal("report", str(results), "--columns", "standardization_work,Smart city", columns=80)
    assert code == 0
    head, rows, below = table_parts(lines, "rank")
    doc = json.loads(results.read_text(encoding="utf-8"))
    first = doc["results"][0]
    assert rows[0].split()[6:] == [f"{first['nodes'][n]['score']:.1f}" for n in ("standardization_work", "smart_city")]
    assert not any("not shown" in x for x in below)
    assert "Standardization" in " ".join(head) and "Smart" in " ".join(head)


def test_a_long_city_name_wraps_and_is_never_cut(tmp_path: Path) -> None:
    """A name wider than the terminal wraps over lines; every character of it is still shown."""
    long = "Greater-" + "Metropolitan" * 8 + "-Area"
    data = tmp_path / "cities.csv"
    fixtures = ROOT / "tests" / "fixtures" / "score"
    text = (fixtures / "cities.csv").read_text(encoding="utf-8").replace("Aston", long)
    data.write_text(text, encoding="utf-8")
    code, lines, err = in_terminal("score", str(data), "--library", str(fixtures), "-f", "demo", columns=80)
    assert code == 0, err
    assert all(cell_len(line) <= 80 for line in lines)
    k = next(k for k, x in enumerate(lines) if "Greater-" in x)
    name, j = lines[k].split()[1], k + 1
    while lines[j].startswith(" " * 6) and lines[j].strip():  # the name's continuation lines
        name, j = name + lines[j].split()[0], j + 1
    assert name == long and j - k > 1
    assert lines[k].split()[2:] == ["78.66", "●", "yellow", "100%"]
    assert not any("…" in x for x in lines[k - 3:])


def test_compare_table_fits_and_names_the_rest(results: Path, tmp_path: Path) -> None:
    code, lines, err = in_terminal("compare", str(results), str(results), columns=80)
    assert code == 0, err
    assert all(cell_len(line) <= 80 for line in lines)
    head, rows, below = table_parts(lines, "City", COMPARE_ROW)
    assert len(rows) == 30 and not any("…" in row for row in rows)
    assert head[-1].split()[0] == "City" and "change" in head[-1]
    assert "not shown" in " ".join(below) and "(standardization_work)" in " ".join(below)
    at_80 = len(rows[0].split())
    code, lines, _ = in_terminal("compare", str(results), str(results), columns=200)
    assert all(cell_len(line) <= 200 for line in lines)
    _, rows, below = table_parts(lines, "City", COMPARE_ROW)
    assert len(rows[0].split()) > at_80 + 4 and rows[0].split()[-1] == "0.0"  # a result compared with itself


def test_columns_when_piped_and_its_usage_errors(results: Path) -> None:
    """Piped, the table is tab-separated with every domain, or the ones --columns chooses (ids or
    names in either language, comma-separated, repeatable); a typo gets a did-you-mean."""
    r = runner.invoke(app, ["report", str(results), "--columns", "smart_city，城市经济发展", "--columns", "culture"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].split("\t")[5:] == ["Smart city", "Urban economy", "Culture protection and services"]
    every = runner.invoke(app, ["report", str(results), "--columns", "all"]).stdout.splitlines()[0].split("\t")
    assert every == runner.invoke(app, ["report", str(results)]).stdout.splitlines()[0].split("\t")
    bad = runner.invoke(app, ["report", str(results), "--columns", "smart_cty"])
    assert bad.exit_code == 2 and "did you mean 'smart_city'?" in bad.stderr
    csv = runner.invoke(app, ["report", str(results), "--columns", "smart_city", "--format", "csv"])
    assert csv.exit_code == 2 and "--format csv always has every column" in csv.stderr


def test_compare_with_peers_on_a_terminal(tmp_path: Path) -> None:
    """`score CITY --compare-with PEERS` on an 80-column terminal: the city ranked among its
    peers (its rank from the results' `peers`), which years are compared, its domains and priorities."""
    pilot = ROOT / "examples" / "pilot-city" / "pilot-city-2020-2024.xlsx"
    peers = ROOT / "examples" / "cities-2019-2023.csv"
    out = tmp_path / "r.json"
    assert runner.invoke(app, ["score", str(pilot), "--compare-with", str(peers), "-o", str(out)]).exit_code == 0
    entry = json.loads(out.read_text(encoding="utf-8"))["peers"]["cities"][0]
    code, lines, err = in_terminal("score", str(pilot), "--compare-with", str(peers), columns=80)
    assert code == 0, err
    assert all(cell_len(line) <= 80 for line in lines), [x for x in lines if cell_len(x) > 80]
    text = "\n".join(lines)
    assert "示范市 (2024) among 30 peers" in text
    assert "Years differ: 示范市 in 2024 is compared with the peers in 2023" in re.sub(r"\s+", " ", text)
    _, rows, _ = table_parts(lines, "rank")
    assert len(rows) == 31 and not any("…" in x for x in rows)
    (mine,) = [x.split() for x in rows if "示范市" in x]
    assert mine[:3] == [str(entry["overall"]["rank"]), "示范市", "2024"]
    assert {x.split()[2] for x in rows if "示范市" not in x} == {"2023"}
    assert f"Overall: rank {entry['overall']['rank']} of 31" in text
    assert "By domain" in text and "Priorities: what would raise the overall score most" in text
