"""`citystd score CITY --compare-with PEERS`: with the peers' data, with their saved results
(same framework), and refusing saved results scored by other rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "tests" / "fixtures" / "score"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["score", *args, "--library", str(LIB), "-f", "demo"])


def scored(*args: str) -> dict:
    r = run(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture()
def pilot(tmp_path: Path) -> Path:
    """A fictional pilot city over 2022–2024 (wide CSV)."""
    p = tmp_path / "pilot.csv"
    p.write_text("city,year,population,labour_force,unemployed,green_area,pm25\n"
                 "Pilot,2022,1000000,540000,27000,12000000,40\n"
                 "Pilot,2023,1010000,545000,24000,13000000,36\n"
                 "Pilot,2024,1020000,550000,22000,14500000,33\n", encoding="utf-8")
    return p


def test_with_peer_data() -> None:
    """Aston scored alone (one_city.csv) against the five cities of cities.csv: its own row there is
    left out; four peers, of whom Dunmere (87.5) is ahead; rank 2 of 5, above 3 of 4 peers."""
    doc = scored(str(LIB / "one_city.csv"), "--compare-with", str(LIB / "cities.csv"))
    peers = doc["peers"]
    assert peers["source"]["kind"] == "data" and peers["source"]["cities"] == 4
    assert peers["source"]["left_out"] == {"cities": ["Aston"], "before": None, "rows": 1}
    (entry,) = peers["cities"]
    assert (entry["city"], entry["year"], entry["peer_year"], entry["peers"]) == ("Aston", None, None, 4)
    o = entry["overall"]
    assert (o["rank"], o["of"], o["percentile"]) == (2, 5, 75.0)
    assert (o["best"], o["best_city"]) == (87.5, "Dunmere")
    assert o["distance_to_best"] == pytest.approx(87.5 - 78.660714285714)
    # peers Brindle 60.89, Carrow 41.25, Dunmere 87.5, Elsby 44.29: median (44.29 + 60.89) / 2
    others = {r["city"]: r["score"] for r in doc["results"] if r["city"] != "Aston"}
    assert o["median"] == pytest.approx((others["Brindle"] + others["Elsby"]) / 2)
    env = entry["domains"]["environment"]
    assert env["rank"] == 2 and env["best_city"] == "Dunmere"
    # the results hold the peers too (ranked together), the gaps only the city assessed
    assert {r["city"] for r in doc["results"]} == {"Aston", "Brindle", "Carrow", "Dunmere", "Elsby"}
    assert [g["city"] for g in doc["gaps"]] == ["Aston"]
    g = doc["gaps"][0]
    assert (g["rank"], g["of"]) == (2, 5)
    assert {d["id"]: (d["rank"], d["of"]) for d in g["domains"]} == {"economy": (2, 5), "environment": (2, 5)}


def test_with_saved_results_of_the_same_framework(tmp_path: Path) -> None:
    saved = tmp_path / "peers.json"
    assert run(str(LIB / "cities.csv"), "-o", str(saved)).exit_code == 0
    doc = scored(str(LIB / "one_city.csv"), "--compare-with", str(saved))
    src = doc["peers"]["source"]
    assert src["kind"] == "results" and src["cities"] == 5 and len(src["sha256"]) == 64
    entry = doc["peers"]["cities"][0]
    assert entry["peers"] == 4  # Aston's own saved row is not its peer
    # goalposts score every city on its own terms: the same standing as scoring the data together
    with_data = scored(str(LIB / "one_city.csv"), "--compare-with", str(LIB / "cities.csv"))["peers"]["cities"][0]
    assert entry["overall"] == with_data["overall"] and entry["domains"] == with_data["domains"]
    assert [r["city"] for r in doc["results"]] == ["Aston"]  # scored alone


def test_saved_results_of_other_rules_are_refused(tmp_path: Path) -> None:
    saved = tmp_path / "peers.json"
    assert run(str(LIB / "cities.csv"), "-o", str(saved)).exit_code == 0
    out = tmp_path / "r.json"
    r = run(str(LIB / "one_city.csv"), "--compare-with", str(saved), "--set", "normalise.range=[1,100]",
            "-o", str(out))
    assert r.exit_code == 2 and "U903" in r.stderr and "sha256" in r.stderr and not out.exists()
    # another framework id
    doc = json.loads(saved.read_text(encoding="utf-8"))
    doc["framework"]["id"] = "other"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc), encoding="utf-8")
    r = run(str(LIB / "one_city.csv"), "--compare-with", str(other), "--lang", "zh")
    assert r.exit_code == 2 and "U903" in r.stderr and "框架或版本不同" in r.stderr and "id other" in r.stderr


def test_set_dependent_pipelines_are_refused_even_when_the_rules_match(tmp_path: Path) -> None:
    saved = tmp_path / "peers.json"
    assert run(str(LIB / "cities.csv"), "--set", "normalise.method=minmax", "-o", str(saved)).exit_code == 0
    r = run(str(LIB / "one_city.csv"), "--set", "normalise.method=minmax", "--compare-with", str(saved))
    assert r.exit_code == 2 and "U903" in r.stderr and "normalise: minmax" in r.stderr
    # with the peers' data the same pipeline is fine: one run, one set
    doc = scored(str(LIB / "one_city.csv"), "--set", "normalise.method=minmax", "--compare-with",
                 str(LIB / "cities.csv"))
    assert doc["peers"]["cities"][0]["overall"]["rank"] is not None


def test_not_results(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    r = run(str(LIB / "one_city.csv"), "--compare-with", str(bad))
    assert r.exit_code == 1 and "D701" in r.stderr
    bad.write_text("not json", encoding="utf-8")
    assert run(str(LIB / "one_city.csv"), "--compare-with", str(bad)).exit_code == 1
    r = run(str(LIB / "one_city.csv"), "--compare-with", str(tmp_path / "none.csv"))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_years_peers_of_the_latest_year_before(pilot: Path) -> None:
    """Pilot 2022–2024 against peers 2022–2023: its 2024 is compared with the peers' 2023."""
    doc = scored(str(pilot), "--compare-with", str(LIB / "cities_long.csv"))
    (entry,) = doc["peers"]["cities"]
    assert (entry["year"], entry["peer_year"], entry["peers"]) == (2024, 2023, 3)
    assert doc["peers"]["source"]["years"] == [2022, 2023]
    assert [g["year"] for g in doc["gaps"]] == [2024]
    # progress and on-track: the base year stays the pilot's first year
    t = next(t for t in doc["trends"] if t["city"] == "Pilot" and t["indicator"] == "unemployment_rate")
    u22, u24 = 27000 / 540000 * 100, 22000 / 550000 * 100
    assert t["progress"] == pytest.approx((u24 - u22) / (4 - u22))


def test_peers_before_the_first_year_are_left_out(pilot: Path, tmp_path: Path) -> None:
    peers = tmp_path / "peers.csv"
    peers.write_text("city,year,population,labour_force,unemployed,green_area,pm25\n"
                     "Old,2020,1000000,540000,30000,10000000,50\n"
                     "Old,2023,1000000,540000,20000,15000000,30\n", encoding="utf-8")
    doc = scored(str(pilot), "--compare-with", str(peers))
    assert doc["peers"]["source"]["left_out"] == {"cities": [], "before": 2022, "rows": 1}
    assert {(r["city"], r["year"]) for r in doc["results"] if r["city"] == "Old"} == {("Old", 2023)}


def test_cross_section_peers(pilot: Path) -> None:
    doc = scored(str(pilot), "--compare-with", str(LIB / "cities.csv"))
    entry = doc["peers"]["cities"][0]
    assert (entry["year"], entry["peer_year"], entry["peers"]) == (2024, None, 5)


# --- what people read: the table and the Markdown summary (citystd.report.standing) ----------------


def test_table_ranks_the_city_among_its_peers_and_says_which_years(pilot: Path) -> None:
    """Pilot 2022–2024 against peers of 2022–2023: the table holds the rows compared — Pilot's 2024
    with the peers' 2023 — ranked together (not Pilot as rank 1 of each of its years), says which
    years are compared, and lists its standing per domain and its priorities."""
    doc = scored(str(pilot), "--compare-with", str(LIB / "cities_long.csv"))
    (entry,) = doc["peers"]["cities"]
    r = run(str(pilot), "--compare-with", str(LIB / "cities_long.csv"), "--lang", "en")  # piped: tab-separated
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"# Pilot (2024) among 3 peers ({LIB / 'cities_long.csv'})"
    assert lines[1] == "# Years differ: Pilot in 2024 is compared with the peers in 2023 (their latest year up to 2024)."
    head = lines[2].split("\t")
    assert head[:6] == ["rank", "city", "year", "score", "rating", "coverage"]
    rows = [x.split("\t") for x in lines[3:lines.index("")]]
    assert [(c[1], c[2]) for c in rows].count(("Pilot", "2024")) == 1 and len(rows) == 4
    assert {c[2] for c in rows if c[1] != "Pilot"} == {"2023"}
    pilot_row = next(c for c in rows if c[1] == "Pilot")
    assert int(pilot_row[0]) == entry["overall"]["rank"]
    assert [int(c[0]) for c in rows] == sorted(int(c[0]) for c in rows)
    scores = {c[1]: float(c[3]) for c in rows}
    assert all((float(c[3]) < scores["Pilot"]) == (int(c[0]) > int(pilot_row[0])) for c in rows if c[1] != "Pilot")
    text = r.stdout
    o = entry["overall"]
    assert f"# Overall: rank {o['rank']} of {o['of']}, score {o['score']:.2f}; best peer {o['best']:.2f} " \
           f"({o['best_city']})" in text
    domain_lines = [x.split("\t") for x in lines if x.startswith(("Economy\t", "Environment\t"))]
    assert [(d[0], d[2]) for d in domain_lines] == \
        [("Economy", f"{entry['domains']['economy']['rank']}/{entry['domains']['economy']['of']}"),
         ("Environment", f"{entry['domains']['environment']['rank']}/{entry['domains']['environment']['of']}")]
    first = doc["gaps"][0]["priorities"][0]
    name = doc["indicators"][first]["name"]["en"]
    (prio,) = [x.split("\t") for x in lines if x.startswith("1\t" + name)]
    assert prio[-1] == f"{doc['gaps'][0]['indicators'][first]['points']:.2f}"
    assert "# Pilot over the years: 2022 " in text


def test_markdown_summary_has_the_standing(pilot: Path) -> None:
    doc = scored(str(pilot), "--compare-with", str(LIB / "cities.csv"))
    entry = doc["peers"]["cities"][0]
    md = run(str(pilot), "--compare-with", str(LIB / "cities.csv"), "--format", "markdown", "--lang", "zh").stdout
    assert "同行数据没有年份：比较的是 Pilot 2024 年的得分与同行数据中的得分。" in md
    row = next(x for x in md.splitlines() if "**Pilot**" in x)
    assert row.startswith(f"| {entry['overall']['rank']} | **Pilot** | 2024 |")
    assert f"## Pilot（2024 年）与 5 个同行城市对比（{LIB / 'cities.csv'}）" in md
    assert "### 各领域" in md and "### 优先改进：对综合得分提升最大的指标" in md
    assert "\\+" not in md.split("### 各领域")[1]  # numbers are not escaped as text


def test_saved_peer_results_show_the_city_with_its_rank_among_them(tmp_path: Path) -> None:
    saved = tmp_path / "peers.json"
    assert run(str(LIB / "cities.csv"), "-o", str(saved)).exit_code == 0
    r = run(str(LIB / "one_city.csv"), "--compare-with", str(saved), "--lang", "en")
    rows = [x.split("\t") for x in r.stdout.splitlines()[1:] if x and not x.startswith("#")]
    assert rows[1][:2] == ["2", "Aston"]  # header, then the one row: rank 2 of 5 among the saved peers
    assert "# Overall: rank 2 of 5" in r.stdout
