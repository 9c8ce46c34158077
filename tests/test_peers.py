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
