"""Gap analysis and priorities (`gaps` in the results), checked against hand computations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "tests" / "fixtures" / "score"
runner = CliRunner()


def score(*args: str, data: Path = LIB / "cities.csv", lib: Path = LIB, fw: str = "demo") -> dict:
    r = runner.invoke(app, ["score", str(data), "--library", str(lib), "-f", fw, "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def gaps_of(doc: dict, city: str) -> dict:
    return next(g for g in doc["gaps"] if g["city"] == city)


def test_arithmetic_priorities_by_hand() -> None:
    """Aston (docs/score.md): unemployment 86.25, park 75, PM2.5 67.142857; weights ½, ¼, ¼.

    gap points 13.75, 25, 32.857; overall gain = weight × gap: 6.875, 6.25, 8.214 → priorities
    PM2.5 (8.214), unemployment (6.875), park (6.25).
    """
    doc = score()
    g = gaps_of(doc, "Aston")
    ind = g["indicators"]
    assert g["exact"] is True and g["max"] == 100 and g["year"] is None
    assert g["score"] == pytest.approx(78.660714, abs=1e-6) and (g["rank"], g["of"]) == (2, 5)
    pm = ind["pm25"]
    assert pm["gap_points"] == pytest.approx(100 - (28 - 75) / (5 - 75) * 100)
    assert pm["points"] == pytest.approx(0.25 * (100 - 67.142857142857), abs=1e-9)
    assert ind["unemployment_rate"]["points"] == pytest.approx(0.5 * 13.75)
    assert ind["park_area_per_capita"]["points"] == pytest.approx(0.25 * 25)
    assert [ind[i]["weight"] for i in ("unemployment_rate", "park_area_per_capita", "pm25")] == [0.5, 0.25, 0.25]
    assert g["priorities"] == ["pm25", "unemployment_rate", "park_area_per_capita"]
    assert [ind[i]["priority"] for i in g["priorities"]] == [1, 2, 3]
    # gaps in units: PM2.5 28 → best 5 (lower is better): 23; unemployment 3.1 vs best 2 and target 4 (met)
    assert pm["gap_to_best"] == pytest.approx(23) and pm["best"] == 5 and pm["worst"] == 75
    u = ind["unemployment_rate"]
    assert u["gap_to_best"] == pytest.approx(1.1) and u["gap_to_target"] == 0 and u["target_met"] is True
    assert u["target"] == {"value": 4.0, "year": 2025}
    # raising all of a domain: the sum of its indicators' gains (arithmetic is linear)
    env = next(d for d in g["domains"] if d["id"] == "environment")
    assert env["points"] == pytest.approx(8.214285714 + 6.25, abs=1e-6)
    assert env["strongest"] == ["park_area_per_capita"] and env["weakest"] == ["pm25"]
    assert (env["rank"], env["of"]) == (2, 5)
    assert next(d for d in g["domains"] if d["id"] == "economy")["strongest"] == []  # one indicator only


def test_a_missing_sibling_leaves_its_weight_to_the_others() -> None:
    """Carrow has no PM2.5: its environment score is park alone (45), so raising park to 100 raises
    the overall by ½ × 55 = 27.5, not by the pipeline weight ¼ × 55."""
    g = gaps_of(score(), "Carrow")
    park = g["indicators"]["park_area_per_capita"]
    assert park["score"] == 45 and park["weight"] == 0.25
    assert park["points"] == pytest.approx(27.5)
    assert g["missing"] == ["pm25"] and g["indicators"]["pm25"]["priority"] is None
    assert g["indicators"]["pm25"]["points"] is None and "pm25" not in g["priorities"]


def test_unequal_weights(tmp_path: Path) -> None:
    """Economy weighs 3, environment 1: unemployment (¾ × 13.75 = 10.3125) comes first."""
    text = (LIB / "framework.yaml").read_text(encoding="utf-8")
    text = text.replace("    - id: economy\n      name: {zh: 经济, en: Economy}\n      children:",
                        "    - id: economy\n      name: {zh: 经济, en: Economy}\n      weight: 3\n      children:")
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "framework.yaml").write_text(text, encoding="utf-8")
    g = gaps_of(score(lib=lib), "Aston")
    ind = g["indicators"]
    assert ind["unemployment_rate"]["weight"] == 0.75
    assert ind["unemployment_rate"]["points"] == pytest.approx(0.75 * 13.75)
    assert ind["pm25"]["points"] == pytest.approx(0.125 * (100 - 67.142857142857), abs=1e-9)
    assert g["priorities"] == ["unemployment_rate", "pm25", "park_area_per_capita"]


def test_geometric_gains_are_exact_not_linear() -> None:
    """Range [1, 100], geometric means: the gain is the real change of the overall score."""
    doc = score("--set", "normalise.range=[1,100]", "--set", "aggregate.method=geometric")
    g = gaps_of(doc, "Aston")
    u = 1 + (3.1 - 10) / (2 - 10) * 99
    park = 1 + 15 / 20 * 99
    pm = 1 + (28 - 75) / (5 - 75) * 99
    overall = math.sqrt(u * math.sqrt(park * pm))
    assert g["score"] == pytest.approx(overall)
    gain_pm = math.sqrt(u * math.sqrt(park * 100)) - overall
    gain_u = math.sqrt(100 * math.sqrt(park * pm)) - overall
    gain_park = math.sqrt(u * math.sqrt(100 * pm)) - overall
    ind = g["indicators"]
    assert ind["pm25"]["points"] == pytest.approx(gain_pm)
    assert ind["unemployment_rate"]["points"] == pytest.approx(gain_u)
    assert ind["park_area_per_capita"]["points"] == pytest.approx(gain_park)
    assert ind["pm25"]["points"] != pytest.approx(0.25 * (100 - pm))  # not the linear estimate
    assert g["max"] == 100 and g["exact"] is True
    order = sorted([("pm25", gain_pm), ("unemployment_rate", gain_u), ("park_area_per_capita", gain_park)],
                   key=lambda x: -x[1])
    assert g["priorities"] == [k for k, _ in order]


def test_copeland_falls_back_to_the_linear_estimate() -> None:
    doc = score("--set", "aggregate.method=copeland")
    g = gaps_of(doc, "Aston")
    assert g["exact"] is False
    for i, item in g["indicators"].items():
        assert item["points"] == pytest.approx(item["weight"] * item["gap_points"]), i


def test_unbounded_scores_use_the_best_of_the_year() -> None:
    doc = score("--set", "normalise.method=zscore")
    g = gaps_of(doc, "Aston")
    assert g["max"] is None
    best_pm = max(r["indicators"]["pm25"]["score"] for r in doc["results"] if r["indicators"]["pm25"]["score"])
    assert g["indicators"]["pm25"]["gap_points"] == pytest.approx(best_pm - g["indicators"]["pm25"]["score"])
    dunmere = gaps_of(doc, "Dunmere")
    assert dunmere["indicators"]["pm25"]["gap_points"] == 0  # the best PM2.5 of the year


def test_latest_year_and_trends(tmp_path: Path) -> None:
    doc = score(data=LIB / "cities_long.csv")
    g = gaps_of(doc, "Aston")
    assert g["year"] == 2023  # the latest year only
    assert len(doc["gaps"]) == 3  # Aston, Brindle, Dunmere
    trend = next(t for t in doc["trends"] if t["city"] == "Aston" and t["indicator"] == "unemployment_rate")
    mine = g["indicators"]["unemployment_rate"]["trend"]
    assert mine == {k: v for k, v in trend.items() if k not in ("city", "indicator")}
    # 45150/1290000 = 3.5 % in 2022 → 40300/1300000 = 3.1 % in 2023: slope −0.4 per year; target 4 (met)
    assert mine["slope"] == pytest.approx(3.1 - 45150 / 1290000 * 100)
    assert mine["status"] == "achieved"


def test_many_cities_leave_gaps_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    import citystd.assessment.gaps

    monkeypatch.setattr(citystd.assessment.gaps, "MAX_CITIES", 3)
    assert score()["gaps"] == []


def test_document_keys_in_order() -> None:
    doc = score()
    assert list(doc)[-6:] == ["dropped", "records", "issues", "trends", "gaps", "peers"]
    assert doc["peers"] is None
    from citystd.assessment.results import dumps

    r = runner.invoke(app, ["score", str(LIB / "cities.csv"), "--library", str(LIB), "-f", "demo", "--format", "json"])
    assert dumps(json.loads(r.stdout)) == r.stdout.encode("utf-8")
