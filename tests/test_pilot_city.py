"""The pilot-city example: a filled template of the fictional 示范市 (2020–2024) that regenerates
byte for byte, scores with no options, points its gaps at the template's cells, compares with the
example cities, and whose trends agree with a hand computation (methods.md §12)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[1]
PILOT = ROOT / "examples" / "pilot-city"
WORKBOOK = PILOT / "pilot-city-2020-2024.xlsx"
runner = CliRunner()


def generator():
    spec = importlib.util.spec_from_file_location("citystd_make_pilot_city", PILOT / "make_pilot_city.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def doc() -> dict:
    r = runner.invoke(app, ["score", str(WORKBOOK), "--format", "json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_generator_reproduces_the_committed_workbook(tmp_path: Path) -> None:
    mod = generator()
    assert mod.main(["-o", str(tmp_path)]) == 0
    assert (tmp_path / mod.OUT_NAME).read_bytes() == WORKBOOK.read_bytes(), (
        "rerun `python examples/pilot-city/make_pilot_city.py` and commit the workbook")


def test_scores_with_no_options(doc: dict) -> None:
    assert doc["framework"]["id"] == "action-plan" and doc["input"]["layout"] == "template"
    assert [(r["city"], r["year"]) for r in doc["results"]] == [("示范市", y) for y in range(2020, 2025)]
    scores = [r["score"] for r in doc["results"]]
    assert all(40 < s < 75 for s in scores)
    assert not [i for i in doc["issues"] if i["severity"] == "error"]


def test_the_deliberate_gaps_are_found_at_their_cells(doc: dict) -> None:
    from citystd.assessment.template import template_rows
    from citystd.library.select import load_framework

    mod = generator()
    lib, fw = load_framework(mod.FRAMEWORK)
    row_of = {r.id: 6 + k for k, r in enumerate(template_rows(lib, fw))}
    expected = {f"数据!F{row_of[v]}" for v in (*mod.NEW_SINCE_2022, *mod.NOT_COLLECTED)}  # F = 2020
    found = {f"{i['sheet']}!{i['cell']}" for i in doc["issues"] if i["code"] == "D716"}
    assert found == expected
    never = next(i for i in doc["issues"] if i["code"] == "D716" and "urban_agriculture_spending" in i["message"])
    assert "2020, 2021, 2022, 2023, 2024" in never["message"]


def test_gaps_and_priorities(doc: dict) -> None:
    (g,) = doc["gaps"]
    assert (g["city"], g["year"], g["exact"]) == ("示范市", 2024, True)
    assert "urban_agriculture_budget_share" in g["missing"]
    pts = [g["indicators"][i]["points"] for i in g["priorities"]]
    assert pts == sorted(pts, reverse=True) and pts[0] > 0
    # arithmetic means: with every sibling present, points = effective weight × score gap
    for ind in g["priorities"][:20]:
        e = g["indicators"][ind]
        dom = next(d for d in g["domains"] if ind in _leaves(doc, d["id"]))
        siblings = _leaves(doc, dom["id"])
        if all(g["indicators"][s]["value"] is not None for s in siblings):
            assert e["points"] == pytest.approx(e["weight"] * e["gap_points"], rel=1e-9), ind
    # the overall gain of a whole domain is the sum of its indicators' gains (linear)
    for d in g["domains"]:
        total = sum(g["indicators"][i]["points"] or 0 for i in _leaves(doc, d["id"]))
        assert d["points"] == pytest.approx(total, rel=1e-9, abs=1e-12)


def _leaves(doc: dict, node: str) -> list[str]:
    def walk(items: list) -> list[str]:
        out = []
        for it in items:
            out += walk(it["children"]) if "children" in it else [it["indicator"]]
        return out

    return walk(next(n for n in doc["tree"] if n.get("id") == node)["children"])


def test_trends_by_hand(doc: dict) -> None:
    """Reclaimed-water utilisation, higher is better, target 25 % by 2025: CAGR and slope over
    2020–2024, progress from 2020, and the on-track status (q = achieved / needed yearly change)."""
    ind = "reclaimed_water_utilization_rate"
    x = np.array([r["indicators"][ind]["value"] for r in doc["results"]])
    y = np.arange(2020, 2025, dtype=float)
    t, ty = doc["indicators"][ind]["target"]["value"], doc["indicators"][ind]["target"]["year"]
    trend = next(tr for tr in doc["trends"] if tr["city"] == "示范市" and tr["indicator"] == ind)
    assert trend["cagr"] == pytest.approx((x[-1] / x[0]) ** (1 / 4) - 1)
    assert trend["slope"] == pytest.approx(np.polyfit(y, x, 1)[0])
    assert trend["progress"] == pytest.approx((x[-1] - x[0]) / (t - x[0]))
    q = ((x[-1] - x[0]) / 4) / ((t - x[-1]) / (ty - 2024))
    expected = "on_track" if q >= 1 else "moderately_improving" if q >= 0.5 else "stagnating" if q >= 0 else "worsening"
    assert trend["status"] == expected
    assert doc["gaps"][0]["indicators"][ind]["trend"] == {k: trend[k] for k in ("cagr", "slope", "progress", "status")}


def test_compare_with_the_example_cities() -> None:
    r = runner.invoke(app, ["score", str(WORKBOOK), "--compare-with", str(ROOT / "examples" / "cities-2019-2023.csv"),
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    peers = json.loads(r.stdout)["peers"]
    assert peers["source"]["left_out"] == {"cities": [], "before": 2020, "rows": 30}
    (e,) = peers["cities"]
    assert (e["year"], e["peer_year"], e["peers"], e["overall"]["of"]) == (2024, 2023, 30, 31)
    assert 0 <= e["overall"]["percentile"] <= 100 and e["overall"]["best_city"]


def test_check_exits_0_with_the_completeness() -> None:
    r = runner.invoke(app, ["check", str(WORKBOOK), "--format", "json"])
    assert r.exit_code == 0, r.output
    comp = json.loads(r.stdout)["completeness"]
    none = [i["id"] for i in comp["indicators"] if i["status"] == "none"]
    assert none == ["urban_agriculture_budget_share"]
    partial = {i["id"] for i in comp["indicators"] if i["status"] == "partial"}
    assert partial == {"green_loan_share", "urban_agriculture_area_per_100k", "base_stations_5g_per_10k"}
