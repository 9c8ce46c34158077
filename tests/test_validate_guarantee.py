"""The promise of `citystd validate` (docs/validate.md): a library that validates cleanly can always
be scored. Hypothesis generates libraries and frameworks — formulas over variables and other
indicators, bounds, weights (0, tiny, huge), pipelines of every step and method — and data with
zeros, negatives, huge and missing values; whenever `validate` reports no error, `citystd score`
through the real CLI ends in 0 or 1 with a message, never in a traceback or an "internal error",
whatever output format is asked for. Example counts are bounded so it runs in seconds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from citystd.diagnostics import Severity
from citystd.library.validate import validate

runner = CliRunner()

VARIABLES = ["v_a", "v_b", "v_c"]
NUMBERS = st.sampled_from([0, 1, 2, 0.5, 3.7, 10, 100, -1, 1e6, 1e-9])


def _formula(names: list[str]) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(names), NUMBERS.map(lambda x: str(abs(x))))

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binop = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        call1 = st.tuples(st.sampled_from(["abs", "log", "log10", "exp", "sqrt"]), inner).map(lambda t: f"{t[0]}({t[1]})")
        call2 = st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})")
        where = st.tuples(inner, st.sampled_from(["<", ">=", "=="]), inner, inner, inner).map(
            lambda t: f"where({t[0]} {t[1]} {t[2]}, {t[3]}, {t[4]})")
        neg = inner.map(lambda x: f"-{x}")
        return st.one_of(binop, call1, call2, where, neg)

    return st.recursive(leaf, grow, max_leaves=5)


@st.composite
def indicator(draw: Any, ind_id: str, earlier: list[str]) -> dict[str, Any]:
    direction = draw(st.sampled_from(["higher", "lower", "target"]))
    ind: dict[str, Any] = {"id": ind_id, "name": {"zh": f"指标{ind_id}", "en": f"Indicator {ind_id}"},
                           "definition": {"zh": "定义。", "en": "Definition."}, "domain": "d1", "unit": "1",
                           "direction": direction}
    if draw(st.booleans()):
        ind["formula"] = draw(_formula(VARIABLES + earlier))
    lo, hi = sorted(draw(st.lists(NUMBERS, min_size=2, max_size=2)))
    worst, best = (lo, hi) if direction == "higher" else (hi, lo)
    if draw(st.booleans()) and lo != hi:
        ind["range"] = [lo - 1, hi + 1]
    if direction == "target" or draw(st.booleans()):
        ind["target"] = {"value": best}
    if draw(st.integers(0, 3)) and worst != best:
        ind["goalposts"] = {"worst": worst, "best": best}
    if draw(st.booleans()):
        a, b, c = sorted(draw(st.lists(NUMBERS, min_size=3, max_size=3)))
        ind["thresholds"] = ({"green": c, "yellow": b, "orange": a} if direction == "higher"
                             else {"green": a, "yellow": b, "orange": c})
    return ind


WEIGHTS = st.sampled_from([1, 1, 2, 0.5, 0, 1e-12, 1e6])


@st.composite
def tree(draw: Any, leaves: list[str]) -> list[dict[str, Any]]:
    groups = draw(st.integers(1, min(3, len(leaves))))
    items = []
    for g in range(groups):
        mine = leaves[g::groups]
        children = [{"indicator": i, "weight": draw(WEIGHTS)} for i in mine]
        node: dict[str, Any] = {"id": f"n{g}", "name": {"zh": f"节点{g}", "en": f"Node {g}"}, "weight": draw(WEIGHTS),
                                "children": children}
        if draw(st.integers(0, 3)) == 0:  # a nested level
            node["children"] = [{"id": f"n{g}_sub", "name": {"zh": "子", "en": "Sub"}, "weight": 1,
                                 "children": children}]
        items.append(node)
    return items


STEPS = {
    "screen": st.fixed_dictionaries({"min_coverage": st.sampled_from([0, 0.5, 0.9, 1])}),
    "impute": st.one_of(st.fixed_dictionaries({"method": st.sampled_from(["mean", "median", "latest", "linear"])}),
                        st.fixed_dictionaries({"method": st.sampled_from(["group_mean", "group_median"]),
                                               "by": st.just("region")})),
    "treat": st.fixed_dictionaries({"method": st.sampled_from(["winsorise", "clip_percentile"])}),
    "normalise": st.one_of(
        st.fixed_dictionaries({
            "method": st.sampled_from(["minmax", "zscore", "goalposts", "distance_to_target", "rank", "borda",
                                       "percentile_rank", "fraction_of_max", "tiers", "dist2max"]),
            "range": st.sampled_from([[0, 100], [1, 100], [-1, 1], [0, 1e9]]),
            "cap": st.booleans()}),
        st.fixed_dictionaries({"method": st.just("dist2ref"), "ref": st.sampled_from(["City0", "City1"]),
                               "ref_mode": st.sampled_from(["range", "ratio", "difference"])}),
        st.fixed_dictionaries({"method": st.just("scaled"), "bounds": st.sampled_from([[0, 100], [-1, 1], [0, 1e6]])})),
    "weights": st.fixed_dictionaries({"method": st.sampled_from(["equal", "manual", "entropy", "critic", "pca"])}),
    "aggregate": st.fixed_dictionaries({
        "method": st.sampled_from(["arithmetic", "geometric", "harmonic", "median", "copeland", "topsis",
                                   "outranking"]),
        "min_coverage": st.sampled_from([0, 0.5, 1])}),
    "rate": st.fixed_dictionaries({"nodes": st.sampled_from(["mean_colour", "two_worst", "sdsn"])}),
}


@st.composite
def pipeline(draw: Any) -> list[dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(list(STEPS)), unique=True, max_size=5))
    return [{name: draw(STEPS[name])} for name in STEPS if name in names]


@st.composite
def library(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    inds: list[dict[str, Any]] = []
    for k in range(n):
        inds.append(draw(indicator(f"i{k}", [i["id"] for i in inds])))
    variables = [{"id": v, "name": {"zh": f"变量{v}", "en": f"Variable {v}"}, "unit": "1"} for v in VARIABLES]
    return {"citystd": 1, "domains": [{"id": "d1", "name": {"zh": "领域", "en": "Domain"}}], "variables": variables,
            "indicators": inds,
            "framework": {"id": "gen", "version": "1.0.0", "name": {"zh": "生成", "en": "Generated"},
                          "pipeline": draw(pipeline()), "tree": draw(tree([i["id"] for i in inds]))}}


CELLS = st.one_of(NUMBERS.map(str), st.sampled_from(["", "1e300", "-5", "0", "NA", "12.5"]))


@st.composite
def data(draw: Any) -> str:
    cities = draw(st.integers(1, 5))
    years = draw(st.sampled_from([None, [2022], [2021, 2022, 2023]]))
    head = ["city", "region", *([] if years is None else ["year"]), *VARIABLES]
    ids = [f"i{k}" for k in range(draw(st.integers(0, 2)))]  # some indicators reported directly
    rows = [",".join([*head, *ids])]
    for c in range(cities):
        for y in years or [None]:
            cells = [f"City{c}", draw(st.sampled_from(["east", "west"])), *([] if y is None else [str(y)])]
            cells += [draw(CELLS) for _ in VARIABLES + ids]
            rows.append(",".join(cells))
    return "\n".join(rows) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                   HealthCheck.data_too_large])
@given(lib=library(), table=data(), fmt=st.sampled_from(["json", "table", "csv", "markdown", "html", "xlsx"]))
def test_a_clean_library_always_scores(lib: dict[str, Any], table: str, fmt: str) -> None:
    from citystd.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "lib.yaml").write_text(json.dumps(lib, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
        _, diags = validate([root / "lib.yaml"])
        errors = [f"{d.code} {d.message.en}" for d in diags if d.level is Severity.ERROR]
        assume(not errors)
        (root / "data.csv").write_text(table, encoding="utf-8")
        out = root / f"out.{ {'markdown': 'md', 'table': 'txt'}.get(fmt, fmt)}"
        r = runner.invoke(app, ["score", str(root / "data.csv"), "--library", str(root), "-f", "gen",
                                "--format", fmt, "-o", str(out)])
        assert r.exit_code in (0, 1), (r.exit_code, r.output, lib, table)
        assert "internal error" not in r.output and "Traceback" not in r.output, (r.output, lib, table)
        if r.exception is not None:
            assert isinstance(r.exception, SystemExit), repr(r.exception)
        if r.exit_code == 0:
            assert out.stat().st_size > 0
