"""The results document of `citystd score` (docs/results.md): one model, several renderers.

:func:`build` turns a :class:`~citystd.engine.pipeline.Scores` bundle into the plain JSON-ready
document; :func:`dumps` serialises it deterministically (same input → byte-identical text).
Renderers (terminal table, CSV, reports) read the document, never the engine's frames.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from citystd import __version__
from citystd.diagnostics import Diagnostic
from citystd.engine.pipeline import ROOT, Scores, ScoringSpec
from citystd.spec.library import Library
from citystd.spec.models import unit_text


def _floats(a: Any) -> list[float | None]:
    arr = np.asarray(a, dtype="float64")
    return [None if math.isnan(v) else v for v in arr.tolist()]


def _ints(s: pd.Series | pd.DataFrame) -> list:
    return [None if pd.isna(v) else int(v) for v in np.asarray(s.astype("Float64").to_numpy(dtype="float64",
                                                                                           na_value=np.nan))]


def _objs(a: Any) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in list(a)]


def build(spec: ScoringSpec, scores: Scores, lib: Library, *, input_info: dict[str, Any],
          issues: Sequence[Diagnostic], lang: str = "en") -> dict[str, Any]:
    """The results document (docs/results.md)."""
    idx = scores.nodes.index
    units = [str(u) for u in idx.get_level_values("unit")]
    years_raw = idx.get_level_values("year")
    years = [None if pd.isna(y) else int(y) for y in years_raw]
    node_ids = [n.id for n in spec.nodes if n.id != ROOT]
    inds = list(spec.indicators)

    def column_lists(frame: pd.DataFrame, cols: list[str], kind: str) -> dict[str, list]:
        if kind == "float":
            return {c: _floats(frame[c].to_numpy(dtype="float64", na_value=np.nan)) for c in cols}
        if kind == "int":
            return {c: _ints(frame[c]) for c in cols}
        return {c: _objs(frame[c]) for c in cols}

    n_score = column_lists(scores.nodes, [*node_ids, ROOT], "float")
    n_rank = column_lists(scores.node_ranks, [*node_ids, ROOT], "int")
    n_col = column_lists(scores.node_colours, [*node_ids, ROOT], "obj")
    n_cov = column_lists(scores.coverage, [*node_ids, ROOT], "float")
    i_val = column_lists(scores.values, inds, "float")
    i_score = column_lists(scores.scores, inds, "float")
    i_rank = column_lists(scores.indicator_ranks, inds, "int")
    i_col = column_lists(scores.indicator_colours, inds, "obj")

    rows = []
    for r in range(len(units)):  # one entry per city-year: building the document, not computing
        rows.append({
            "city": units[r],
            "year": years[r],
            "score": n_score[ROOT][r],
            "rank": n_rank[ROOT][r],
            "rating": n_col[ROOT][r],
            "coverage": n_cov[ROOT][r],
            "nodes": {n: {"score": n_score[n][r], "rank": n_rank[n][r], "rating": n_col[n][r],
                          "coverage": n_cov[n][r]} for n in node_ids},
            "indicators": {i: {"value": i_val[i][r], "score": i_score[i][r], "rank": i_rank[i][r],
                               "rating": i_col[i][r]} for i in inds},
        })
    rows.sort(key=lambda x: (x["year"] is not None, x["year"] or 0, x["rank"] is None, x["rank"] or 0, x["city"]))

    return {
        "citystd_version": __version__,
        "framework": {"id": spec.framework_id, "version": spec.version, "sha256": spec.sha256(), "name": spec.name},
        "input": input_info,
        "pipeline": scores.steps_run,
        "tree": _tree(spec),
        "indicators": {i: _indicator_meta(lib, spec, i) for i in inds},
        "results": rows,
        "dropped": _dropped(scores.dropped),
        "records": _records(scores.records),
        "issues": [d.to_dict(lang) for d in issues],
        "trends": _trends(scores.trends),
    }


def _tree(spec: ScoringSpec) -> list[dict[str, Any]]:
    by_id = {n.id: n for n in spec.nodes}

    def items(node_id: str) -> list[dict[str, Any]]:
        node = by_id[node_id]
        out = []
        for child, w in zip(node.children, node.weights, strict=True):
            if child in by_id:
                sub = by_id[child]
                out.append({"id": child, "name": sub.name, "weight": w, "level": sub.level, "children": items(child)})
            else:
                out.append({"indicator": child, "weight": w})
        return out

    return items(ROOT)


def _indicator_meta(lib: Library, spec: ScoringSpec, ind_id: str) -> dict[str, Any]:
    ind = lib.indicators[ind_id]
    gp = spec.goalposts.get(ind_id)
    t = spec.targets.get(ind_id)
    th = spec.thresholds.get(ind_id)
    return {
        "name": ind.name.model_dump(),
        "domain": ind.domain,
        "unit": {"zh": unit_text(ind.unit, "zh"), "en": unit_text(ind.unit, "en")},
        "direction": spec.direction[ind_id],
        "goalposts": {"worst": gp[0], "best": gp[1]} if gp else None,
        "target": {"value": t[0], "year": t[1]} if t else None,
        "thresholds": {"green": th[0], "yellow": th[1], "orange": th[2]} if th else None,
    }


def _year(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _num(v: Any) -> float | None:
    if v is None or pd.isna(v):
        return None
    return float(v)


def _dropped(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.itertuples(index=False):
        reason = str(row.reason)
        out.append({
            "city": str(row.unit), "year": _year(row.year), "coverage": _num(row.availability),
            "reason": {"en": f"dropped by screening ({reason})", "zh": f"被筛除（{reason}）"},
        })
    out.sort(key=lambda x: (x["year"] or 0, x["city"]))
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame is None or not len(frame):
        return []
    f = frame.sort_values(["year", "unit", "indicator", "stage"], kind="stable", na_position="first")
    return [
        {"city": str(u), "year": _year(y), "indicator": str(i), "stage": str(s), "action": str(a),
         "before": _num(b), "after": _num(af)}
        for u, y, i, s, a, b, af in zip(f["unit"], f["year"], f["indicator"], f["stage"], f["action"], f["before"],
                                        f["after"], strict=True)
    ]


def _trends(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or not len(frame):
        return []
    out = []
    for (unit, ind), row in frame.iterrows():
        item = {"city": str(unit), "indicator": str(ind), "cagr": _num(row.get("cagr")), "slope": _num(row.get("slope"))}
        if "progress" in row:
            item["progress"] = _num(row.get("progress"))
        if "status" in row:
            item["status"] = None if pd.isna(row.get("status")) else str(row.get("status"))
        if item["cagr"] is None and item["slope"] is None and item.get("progress") is None:
            continue
        out.append(item)
    out.sort(key=lambda x: (x["city"], x["indicator"]))
    return out


def dumps(doc: dict[str, Any]) -> str:
    """Deterministic JSON: fixed key order (as built), Chinese kept readable, no NaN."""
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
