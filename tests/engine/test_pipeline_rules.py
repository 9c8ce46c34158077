"""Per-node aggregation rules, per-indicator normalisation specs and the new methods in a run.

The toy index (tests/fixtures/toy_index) fills one goal's missing score — SDG 14, which inland
cities lack — with the mean of the cities that have it, while a city missing another goal is
averaged over the goals it has (issue 14: the rule a published city index needed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from engine_testing import cross_section

from citystd.assessment.scoring import score_file
from citystd.engine.pipeline import ROOT, build_spec, run, vary
from citystd.library.pipeline import AggregateParams, NormaliseParams, TreatParams, WeightsParams
from citystd.library.select import load_framework

TOY = Path(__file__).resolve().parents[1] / "fixtures" / "toy_index"


@pytest.fixture(scope="module")
def toy() -> tuple:
    lib, fw = load_framework("toy-sdg", [TOY])
    return lib, fw


def _scores(toy: tuple, sets: list[str] | None = None) -> dict:
    lib, fw = toy
    outcome = score_file(TOY / "cities.csv", lib, fw, sets=sets) if sets else score_file(TOY / "cities.csv", lib, fw)
    return {r["city"]: r for r in outcome.doc["results"]} | {"_doc": outcome.doc}


def test_toy_index_fills_only_the_node_the_rule_names(toy: tuple) -> None:
    r = _scores(toy)
    # SDG 14 of Inland = mean of Aston 50, Brindle 90, Poorish 70 = 70; overall (70 + 60 + 70)/3
    assert r["Inland"]["nodes"]["sdg14"]["score"] == 70
    assert r["Inland"]["score"] == pytest.approx(200 / 3, abs=1e-12)
    # Poorish misses SDG 1: no fill there, averaged over SDG 11 and 14: (50 + 70)/2
    assert r["Poorish"]["nodes"]["sdg1"]["score"] is None
    assert r["Poorish"]["score"] == 60
    assert r["Aston"]["score"] == 60 and r["Brindle"]["score"] == 70
    records = r["_doc"]["records"]
    assert [(x["city"], x["indicator"], x["action"], x["after"]) for x in records] == \
        [("Inland", "sdg14", "filled:mean", 70.0)]


def test_toy_index_differs_from_a_fill_everywhere_and_from_no_fill(toy: tuple) -> None:
    everywhere = _scores(toy, ["aggregate.fill=mean", "aggregate.nodes=null"])
    # Poorish's SDG 1 would get (60 + 80 + 70)/3 = 70: (70 + 50 + 70)/3
    assert everywhere["Poorish"]["score"] == pytest.approx(190 / 3, abs=1e-12)
    none = _scores(toy, ["aggregate.nodes=null"])
    assert none["Inland"]["score"] == 65  # (70 + 60)/2


def test_toy_index_through_the_cli(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from citystd.cli import app

    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["score", str(TOY / "cities.csv"), "-f", "toy-sdg", "--library", str(TOY),
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    scores = {x["city"]: x["score"] for x in doc["results"]}
    assert scores["Inland"] == pytest.approx(200 / 3) and scores["Poorish"] == 60
    agg = next(s["aggregate"] for s in doc["pipeline"] if "aggregate" in s)
    assert agg["nodes"] == {"sdg14": {"fill": "mean"}}  # the rule as written, in the provenance


def test_rule_precedence_node_over_level_over_step() -> None:
    p = AggregateParams.model_validate({
        "method": "arithmetic", "fill": "mean", "min_coverage": 0.2, "p": 2,
        "levels": {1: {"method": "geometric", "min_coverage": 0.5}, 2: "power"},
        "nodes": {"a": {"fill": "none"}, "root": {"method": "median"}, "b": "harmonic"},
    })
    a = p.rule("a", 1)
    assert (a.method, a.min_coverage, a.fill) == ("geometric", 0.5, None)
    b = p.rule("b", 1)
    assert (b.method, b.min_coverage, b.fill) == ("harmonic", 0.5, "mean")
    c = p.rule("c", 2)
    assert (c.method, c.p, c.min_coverage, c.fill) == ("power", 2.0, 0.2, "mean")
    root = p.rule(ROOT, 3, "root")
    assert (root.method, root.min_coverage) == ("median", 0.2)


@pytest.mark.parametrize(("spec", "message"), [
    ({"nodes": {"a": {"fill": "group_mean"}}}, "needs `by"),
    ({"method": "power"}, "needs the exponent"),
    ({"levels": {1: {"method": "power"}}}, "needs the exponent"),
    ({"nodes": {"a": {"p": float("inf")}}}, "finite"),
])
def test_invalid_rules_are_refused(spec: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AggregateParams.model_validate(spec)


def test_per_node_min_coverage_and_power_in_a_run(toy: tuple) -> None:
    lib, fw = toy
    spec = vary(build_spec(lib, fw), ["aggregate.nodes={root: {method: power, p: 2, min_coverage: 1}}"])
    data = pd.DataFrame({"poverty_score": [60.0, 80, 70, np.nan], "cities_score": [70.0, 40, 60, 50],
                         "coast_score": [50.0, 90, np.nan, 70]},
                        index=pd.MultiIndex.from_arrays([["Aston", "Brindle", "Inland", "Poorish"], [pd.NA] * 4],
                                                        names=["unit", "year"]))
    out = run(spec, data)
    root = out.nodes[ROOT]
    # Aston: √((60² + 70² + 50²)/3); Poorish has 2 of 3 goals < min_coverage 1 at the root → NA
    assert root.iloc[0] == pytest.approx(np.sqrt((3600 + 4900 + 2500) / 3), rel=1e-12)
    assert np.isnan(root.iloc[3]) and np.isnan(root.iloc[2])  # Inland lost its fill with nodes replaced


def test_new_parameters_enter_the_spec_hash_and_vary(toy: tuple) -> None:
    lib, fw = toy
    base = build_spec(lib, fw)
    h = base.sha256()
    assert vary(base, ["aggregate.nodes={sdg14: {fill: mean}}"]).sha256() == h  # the same rule
    assert vary(base, ["aggregate.nodes={sdg1: {fill: mean}}"]).sha256() != h
    assert vary(base, ["aggregate.method=power", "aggregate.p=0.5"]).sha256() != h
    assert vary(base, ["normalise.indicators={coast_score: {method: minmax}}"]).sha256() != h
    assert vary(base, ["treat.fallback=boxcox", "treat.boxcox_lambda=0.5"]).sha256() != \
        vary(base, ["treat.fallback=boxcox", "treat.boxcox_lambda=0"]).sha256()
    assert vary(base, ["weights.method=optimised", "weights.estimator=linear"]).sha256() != \
        vary(base, ["weights.method=optimised"]).sha256()


def test_per_indicator_normalisation_in_a_run(toy: tuple) -> None:
    lib, fw = toy
    spec = vary(build_spec(lib, fw), [
        "normalise.method=minmax",
        "normalise.indicators={coast_score: {method: goalposts}, cities_score: {method: dist2ref, ref: Aston, "
        "ref_mode: ratio}}",
    ])
    data = cross_section({"poverty_score": [60, 80, 70, None], "cities_score": [70, 40, 60, 50],
                          "coast_score": [50, 90, None, 70]}, ["Aston", "Brindle", "Inland", "Poorish"])
    out = run(spec, data)
    s = out.scores
    assert s["poverty_score"].tolist()[:3] == [0, 100, 50]  # min-max, the step's method
    assert s["coast_score"].tolist()[:2] == [50, 90]  # goalposts 0–100
    assert np.allclose(s["cities_score"], [100, 4000 / 70, 6000 / 70, 5000 / 70])  # x / Aston's 70
    norm = next(x["normalise"] for x in out.steps_run if "normalise" in x)
    assert norm["indicators"]["cities_score"] == {"method": "dist2ref", "ref": "Aston", "ref_mode": "ratio"}


def test_per_indicator_spec_is_validated_after_merging() -> None:
    with pytest.raises(ValueError, match="indicator x: method scaled needs `bounds"):
        NormaliseParams.model_validate({"indicators": {"x": {"method": "scaled"}}})
    p = NormaliseParams.model_validate({"method": "scaled", "bounds": [0, 10],
                                        "indicators": {"x": {"method": "minmax"}}})
    assert p.for_indicator("x").method == "minmax" and p.for_indicator("y").bounds == (0, 10)


def test_boxcox_fallback_in_a_run(toy: tuple) -> None:
    lib, fw = toy
    spec = vary(build_spec(lib, fw), ["treat.method=winsorise", "treat.winmax=0", "treat.fallback=boxcox",
                                      "treat.boxcox_lambda=0.5", "normalise.method=minmax"])
    x = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100]
    data = cross_section({"poverty_score": x, "cities_score": list(range(12)), "coast_score": list(range(12))})
    out = run(spec, data)
    rec = out.records[out.records["indicator"] == "poverty_score"]
    assert set(rec["action"]) == {"boxcox"} and rec["after"].iloc[-1] == pytest.approx(18.0)  # (100^½ − 1)/½
    with pytest.raises(ValueError, match="boxcox_lambda"):
        TreatParams(fallback="boxcox")


def test_optimised_weights_reported_with_targets(toy: tuple) -> None:
    lib, fw = toy
    rng = np.random.default_rng(3)
    n = 40
    data = cross_section({"poverty_score": rng.uniform(0, 100, n), "cities_score": rng.uniform(20, 60, n),
                          "coast_score": rng.uniform(40, 50, n)})
    spec = vary(build_spec(lib, fw), ["aggregate.nodes=null", "weights.method=optimised",
                                      "weights.estimator=linear", "weights.targets={root: [2, 1, 1]}"])
    out = run(spec, data)
    entry = next(x["weights"] for x in out.steps_run if "weights" in x)
    rep = entry["optimised"]["root"]
    assert list(rep) == ["sdg1", "sdg11", "sdg14"]
    assert [rep[c]["target"] for c in rep] == [0.5, 0.25, 0.25]
    assert all(abs(rep[c]["achieved"] - rep[c]["target"]) < 1e-6 for c in rep)
    assert sum(entry["effective"].values()) == pytest.approx(1.0)
    # the weights reported are the ones the index was aggregated with
    w = np.array([rep[c]["weight"] for c in rep])
    expected = (out.nodes[["sdg1", "sdg11", "sdg14"]].to_numpy() @ w) / w.sum()
    assert np.allclose(out.nodes[ROOT], expected)
    assert not [d for d in out.diagnostics if d.code == "E811"]


def test_unreachable_importances_warn_e811(toy: tuple) -> None:
    lib, fw = toy
    rng = np.random.default_rng(4)
    common = rng.normal(50, 10, 30)
    data = cross_section({"poverty_score": common + rng.normal(0, 1, 30), "cities_score": common + rng.normal(0, 1, 30),
                          "coast_score": rng.normal(50, 10, 30)})
    # two nearly identical children cannot have importances 0.9 and 0.05
    spec = vary(build_spec(lib, fw), ["aggregate.nodes=null", "weights.method=optimised",
                                      "weights.estimator=linear", "weights.targets={root: [18, 1, 1]}"])
    out = run(spec, data)
    warn = [d for d in out.diagnostics if d.code == "E811"]
    assert len(warn) == 1 and "root" in warn[0].message.en
    with pytest.raises(ValueError, match="at least one importance"):
        WeightsParams(method="optimised", targets={"root": [0, 0, 0]})
