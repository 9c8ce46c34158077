"""Context indicators (``context: true``): shown with their values, never normalised or scored.

A small library is written to a temporary directory: two scored indicators and one context
indicator (a count without goalposts) in a goalposts framework, plus a node holding only the
context indicator. Scores are checked by hand and against the same framework without the context
leaves.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.engine.pipeline import ROOT, build_spec, run
from citystd.library.rules import context_ids, effective_weights
from citystd.library.validate import validate

LIBRARY = """\
citystd: 1
domains:
  - id: d
    name: {zh: 领域, en: Domain}
indicators:
  - id: rate_a
    name: {zh: 甲率, en: Rate A}
    definition: {zh: 甲。, en: A.}
    domain: d
    unit: "%"
    direction: higher
    goalposts: {worst: 0, best: 100}
    sources: [{standard: test, clause: "1"}]
  - id: rate_b
    name: {zh: 乙率, en: Rate B}
    definition: {zh: 乙。, en: B.}
    domain: d
    unit: "%"
    direction: lower
    goalposts: {worst: 50, best: 0}
    sources: [{standard: test, clause: "2"}]
  - id: facilities
    name: {zh: 设施数, en: Facilities}
    definition: {zh: 设施总数。, en: Number of facilities.}
    domain: d
    unit: {zh: 个, en: facilities}
    direction: higher
    context: true
    sources: [{standard: test, clause: "3"}]
  - id: residents
    name: {zh: 常住人口, en: Residents}
    definition: {zh: 年末常住人口。, en: Resident population at year end.}
    domain: d
    unit: {zh: 人, en: persons}
    direction: higher
    context: true
    sources: [{standard: test, clause: "4"}]
framework:
  id: fw
  version: "1.0.0"
  name: {zh: 框架, en: Framework}
  pipeline:
    - normalise: {method: goalposts}
    - aggregate: {method: arithmetic, min_coverage: 0.5}
  tree:
    - id: scored
      name: {zh: 计分, en: Scored}
      children:
        - {indicator: rate_a}
        - {indicator: rate_b}
        - {indicator: facilities, weight: 5}
    - id: profile
      name: {zh: 概况, en: Profile}
      weight: 3
      children:
        - {indicator: residents}
"""


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    (tmp_path / "lib.yaml").write_text(LIBRARY, encoding="utf-8")
    return tmp_path


def _values() -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples([("x", 2024), ("y", 2024)], names=["unit", "year"])
    return pd.DataFrame({"rate_a": [80.0, 20.0], "rate_b": [10.0, np.nan], "facilities": [120.0, 7.0],
                         "residents": [1e6, 2e5]}, index=idx)


def test_a_context_indicator_needs_no_goalposts_and_validates_strictly(library: Path) -> None:
    lib, diags = validate([library], strict=True)
    assert [d.code for d in diags] == []
    assert context_ids(lib) == {"facilities", "residents"}


def test_context_leaves_and_context_only_nodes_weigh_zero(library: Path) -> None:
    lib, _ = validate([library])
    fw = lib.frameworks["fw"]
    spec = build_spec(lib, fw)
    assert spec.context == ("facilities", "residents")
    scored = spec.node("scored")
    assert scored.weights == (1.0, 1.0, 0.0) and scored.leaves == ("rate_a", "rate_b")
    assert "facilities" in scored.shown
    root = spec.nodes[-1]
    assert root.weights == (1.0, 0.0)  # the profile node holds nothing scored
    assert effective_weights(fw, context_ids(lib)) == {"rate_a": 0.5, "rate_b": 0.5, "facilities": 0.0,
                                                       "residents": 0.0}


def test_values_are_kept_scores_are_not(library: Path) -> None:
    lib, _ = validate([library])
    out = run(build_spec(lib, lib.frameworks["fw"]), _values())
    assert list(out.values["facilities"]) == [120.0, 7.0]
    assert out.scores["facilities"].isna().all()
    # x: (80 + (50 - 10) / 50 * 100) / 2 = 80; y: rate_b missing, rate_a alone (1 of 2 ≥ 0.5) = 20
    assert out.nodes[ROOT].tolist() == pytest.approx([80.0, 20.0])
    assert math.isnan(out.nodes["profile"].iloc[0])
    assert out.weights["facilities"] == 0.0
    assert out.coverage["scored"].tolist() == [1.0, 0.5]  # the context leaf is not counted


def test_scores_equal_those_without_the_context_leaves(library: Path, tmp_path: Path) -> None:
    lib, _ = validate([library])
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    text = LIBRARY.replace("        - {indicator: facilities, weight: 5}\n", "")
    text = text[: text.index("    - id: profile")]
    (plain_dir / "lib.yaml").write_text(text, encoding="utf-8")
    plain, _ = validate([plain_dir])
    with_context = run(build_spec(lib, lib.frameworks["fw"]), _values())
    without = run(build_spec(plain, plain.frameworks["fw"]), _values()[["rate_a", "rate_b"]])
    assert not without.nodes[ROOT].isna().any()
    pd.testing.assert_series_equal(with_context.nodes[ROOT], without.nodes[ROOT])


def test_the_hash_names_the_context_indicators(library: Path) -> None:
    lib, _ = validate([library])
    spec = build_spec(lib, lib.frameworks["fw"])
    assert spec.sha256() != replace(spec, context=()).sha256()
    assert spec.sha256() == build_spec(lib, lib.frameworks["fw"]).sha256()


def test_frameworks_show_marks_context_indicators(library: Path) -> None:
    result = CliRunner().invoke(app, ["frameworks", "show", "fw", "--library", str(library)])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if "facilities" in ln)
    assert "context, not scored" in line
    shown = CliRunner().invoke(app, ["indicators", "show", "facilities", "--library", str(library)])
    assert "shown, never scored" in shown.stdout


@pytest.mark.parametrize("method", ["entropy", "critic", "equal"])
def test_data_driven_weights_leave_context_indicators_out(library: Path, method: str) -> None:
    lib, _ = validate([library])
    spec = build_spec(lib, lib.frameworks["fw"], [f"weights.method={method}"])
    idx = pd.MultiIndex.from_tuples([(u, 2024) for u in "pqrst"], names=["unit", "year"])
    values = pd.DataFrame({"rate_a": [10.0, 30, 50, 70, 90], "rate_b": [40.0, 5, 30, 20, 10],
                           "facilities": [1.0, 2, 3, 4, 5], "residents": [1e5] * 5}, index=idx)
    out = run(spec, values)
    assert out.weights["facilities"] == 0 and out.weights["residents"] == 0
    assert out.weights[["rate_a", "rate_b"]].sum() == pytest.approx(1.0)
    assert out.nodes[ROOT].notna().all()


def test_the_audit_leaves_context_indicators_out_of_coherence(library: Path, tmp_path: Path) -> None:
    rows = ["city,rate_a,rate_b,facilities,residents"]
    rows += [f"c{k},{10 + 9 * k},{45 - 4 * k},{k * 3},{100000 + k}" for k in range(10)]
    data = tmp_path / "cities.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "audit.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "mean of empty slice" from an all-empty column
        result = CliRunner().invoke(app, ["audit", str(data), "-f", "fw", "--library", str(library), "-N", "64",
                                          "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    nodes = {n["node"]: n for n in doc["coherence"]["nodes"]}
    assert nodes["scored"]["children"] == ["rate_a", "rate_b"] and "profile" not in nodes
    effects = {m["indicator"]: m for m in doc["coherence"]["main_effects"]}
    assert effects["facilities"]["effective_weight"] == 0 and effects["facilities"]["eta2"] is None


def test_coverage_counted_a_few_rows_at_a_time_is_the_share_of_leaves(library: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import citystd.engine.pipeline as pipeline

    monkeypatch.setattr(pipeline, "COVERAGE_ROWS", 3)  # 7 city-years: blocks of 3, 3 and 1
    lib, _ = validate([library])
    rng = np.random.default_rng(3)
    idx = pd.MultiIndex.from_tuples([(f"c{i}", 2024) for i in range(7)], names=["unit", "year"])
    values = pd.DataFrame(rng.uniform(1, 90, (7, 4)), index=idx, columns=["rate_a", "rate_b", "facilities", "residents"])
    values = values.mask(rng.random(values.shape) < 0.4)
    out = run(build_spec(lib, lib.frameworks["fw"]), values)
    expected = values[["rate_a", "rate_b"]].notna().mean(axis=1)  # context leaves are not counted
    assert out.coverage["scored"].tolist() == expected.tolist()
    assert out.coverage["profile"].isna().all()  # a node of context leaves only has no leaf to cover
    assert out.indicator_colours.isna().all().all()  # no thresholds: no ratings
