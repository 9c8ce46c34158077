"""Gap analysis and priorities: where a city falls short, and what to improve first (pure).

For each city assessed — its latest year in the results — and each indicator of the framework
(docs/results.md, ``gaps``):

- ``value``, ``score``, the goalposts ``best`` and ``worst``, the ``target`` and its year;
- ``gap_to_best`` and ``gap_to_target``: the shortfall in the indicator's unit (0 when reached;
  for a ``target`` indicator the distance |x − t|);
- ``gap_points``: the score the indicator still lacks, ``max − score`` (``max`` = the upper end of
  the normalisation range; for ``zscore``, ``rank`` and ``borda``, whose scores have no upper
  end, the best score of that year);
- ``weight``: the indicator's effective weight in the overall score (the pipeline's);
- ``points``: how much the **overall** score would rise if the indicator reached ``max``, every
  other score unchanged — the weight of the gap in the overall score. It is computed by
  aggregating the tree again with that one score raised, with the weights and aggregation
  methods of the run, so it is exact for every row-wise aggregation: for ``arithmetic`` means
  it equals the city's effective weight × ``gap_points`` (the pipeline's ``weight`` when the
  city has data for every indicator; larger when a sibling is missing, since missing siblings
  leave their weight to the others); for ``geometric``, ``harmonic`` and ``median`` it is the
  non-linear gain of the same change (a weak indicator weighs more in a geometric mean, a
  median moves only when the indicator crosses it). ``copeland`` and ``topsis`` score a city
  against the others of its year, so one city's gain is not defined by its own scores: there
  ``points`` is the first-order estimate effective weight × ``gap_points`` and ``exact`` is
  false. A ``fill`` of missing node scores is not redone;
- ``priority``: 1 for the largest ``points``, then 2, …; indicators with nothing to gain or
  without a value have none (those without a value are listed under ``missing``);
- ``trend``: CAGR, slope, progress to target and on-track status from the run's ``trends``.

For each top-level node (domain): score, rank and number of cities ranked (the comparison set:
the cities scored together in that year, or the peers of ``--compare-with``), ``points`` (the
overall gain if all its indicators reached ``max``), and its strongest and weakest indicators by
score (up to three each, never the same indicator in both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citystd.library.pipeline import AggregateParams, NodeAggregation, NormaliseParams

#: more cities than this in the results and no ``--compare-with``: a benchmark, not an
#: assessment; ``gaps`` is then left empty (docs/results.md).
MAX_CITIES = 100
#: normalisation methods whose scores have no upper end: the year's best score is the maximum
UNBOUNDED = ("zscore", "rank", "borda")
ROW_WISE = ("arithmetic", "geometric", "harmonic", "power", "median")
TOP = 3


def section(results: Any) -> list[dict[str, Any]]:
    """The ``gaps`` of a :class:`~citystd.assessment.results.Results` (computed once, then kept).

    Cities assessed: ``results.assessed`` when set (the city's own file with ``--compare-with``),
    else every city, unless there are more than :data:`MAX_CITIES`. Domain ranks come from
    ``results.peer_ranks`` when set (``{city: {node: (rank, of)}}``).
    """
    cached = results.__dict__.get("_gaps")
    if cached is None:
        units = getattr(results, "assessed", None)
        if units is None:
            units = list(dict.fromkeys(results.units))
            if len(units) > MAX_CITIES:
                units = []
        cached = compute(results.spec, results.scores, units, getattr(results, "peer_ranks", None))
        results.__dict__["_gaps"] = cached
    return cached


def _step(steps_run: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [s[name] for s in steps_run if name in s]
    return found[-1] if found else {}


def compute(spec: Any, scores: Any, units: Sequence[str],
            peer_ranks: Mapping[str, Mapping[str, tuple[int | None, int]]] | None = None) -> list[dict[str, Any]]:
    """Gap analysis of ``units`` (their latest year) from a run's spec and scores (module docs)."""
    from citystd.engine.pipeline import ROOT

    if not len(units):
        return []
    idx = scores.nodes.index
    all_units = idx.get_level_values("unit").astype(str)
    years = idx.get_level_values("year")
    yv = np.asarray(years.to_numpy(dtype="float64", na_value=np.nan))
    rows: list[int] = []
    for u in units:
        pos = np.flatnonzero(all_units == str(u))
        if not len(pos):
            continue
        with np.errstate(invalid="ignore"):
            last = pos[np.nanargmax(yv[pos])] if not np.isnan(yv[pos]).all() else pos[-1]
        rows.append(int(last))
    if not rows:
        return []
    inds = list(spec.indicators)
    norm = _step(scores.steps_run, "normalise")
    agg = _step(scores.steps_run, "aggregate")
    norm_params = NormaliseParams.model_validate(norm)
    per_ind = [norm_params.for_indicator(c) for c in inds]  # metadata: one spec per indicator
    unbounded = np.array([q.method in UNBOUNDED or (q.method == "dist2ref" and q.ref_mode == "difference")
                          for q in per_ind], dtype=bool)
    uppers = {float(q.range[1]) for q in per_ind}
    # the overall maximum is stated only when every score has the same upper end
    overall_max = uppers.pop() if len(uppers) == 1 and not unbounded.any() else None
    sc = scores.scores[inds]
    top = np.tile(np.array([float(q.range[1]) for q in per_ind]), (len(rows), 1))
    if unbounded.any():
        codes = pd.factorize(pd.Series(yv).fillna(-1))[0]
        best = sc.groupby(codes).transform("max").to_numpy(dtype=float)
        top[:, unbounded] = best[rows][:, unbounded]
    base = sc.to_numpy(dtype=float)[rows]
    gap_points = np.where(np.isnan(base), np.nan, np.maximum(top - base, 0.0))
    weights = scores.weights.reindex(inds).to_numpy(dtype=float)

    by_id = {n.id: n for n in spec.nodes}
    node_rules = {n.id: _node_rule(agg, n) for n in spec.nodes}
    exact = all(r.method in ROW_WISE for r in node_rules.values())
    base_nodes = scores.nodes.iloc[rows]
    tree = _Tree(spec, scores.node_weights, node_rules)
    raised_all = np.where(np.isnan(base), np.nan, np.maximum(base, top))
    top_nodes = [c for c in by_id[ROOT].children if c in by_id]
    leaves = {t: [c for c in by_id[t].leaves if c in sc.columns] for t in top_nodes}
    # the variants: each indicator raised alone, then each domain's indicators raised together
    variants = [[j] for j in range(len(inds))] + [[inds.index(c) for c in leaves[t]] for t in top_nodes]
    base_root = base_nodes[ROOT].to_numpy(dtype=float)
    if exact:
        check = tree.overall(base, base, base_nodes, [list(range(len(inds)))])[0]  # the whole tree again
        exact = bool(np.allclose(check, base_root, equal_nan=True, rtol=1e-9, atol=1e-9))  # e.g. a fill: linear
    if exact:
        gains = np.nan_to_num(tree.overall(base, raised_all, base_nodes, variants) - base_root[None, :], nan=0.0)
        points = np.where(np.isnan(base), np.nan, gains[:len(inds)].T)
        dom_points = {t: gains[len(inds) + k] for k, t in enumerate(top_nodes)}
    else:
        points = weights[None, :] * gap_points
        dom_points = {t: np.nansum(points[:, [inds.index(c) for c in leaves[t]]], axis=1) if leaves[t]
                      else np.zeros(len(rows)) for t in top_nodes}

    values = scores.values.reindex(columns=inds).to_numpy(dtype=float)[rows]
    trends = _trend_lookup(scores.trends)
    meta = [_meta(spec, ind) for ind in inds]
    pos = {c: j for j, c in enumerate(inds)}
    leaf_pos = {t: [pos[c] for c in leaves[t]] for t in top_nodes}
    ranked_nodes = [ROOT, *top_nodes]
    node_score = {n: _pyfloats(scores.nodes[n].to_numpy(dtype=float)[rows]) for n in ranked_nodes}
    rank_of = _ranks_of(scores, ranked_nodes, rows)
    # every number as a Python float or None, once, column-wise
    val_l, base_l, gp_l, pts_l = (_pyfloats(a) for a in (values, base, gap_points, points))
    weight_l = _pyfloats(weights)
    out = []
    for k, r in enumerate(rows):
        unit = str(all_units[r])
        year = None if np.isnan(yv[r]) else int(yv[r])
        pk = points[k]
        order = sorted((j for j in np.flatnonzero(pk > 1e-12)), key=lambda j: (-pk[j], inds[j]))
        priority = {int(j): p for p, j in enumerate(order, start=1)}
        entries = {}
        for j, ind in enumerate(inds):
            entries[ind] = _indicator_entry(meta[j], val_l[k][j], base_l[k][j], gp_l[k][j], weight_l[j], pts_l[k][j],
                                            priority.get(j), trends.get((unit, ind)))
        mine = peer_ranks.get(unit, {}) if peer_ranks else {}
        domains = []
        for t in top_nodes:
            have = sorted(((base[k, j], inds[j]) for j in leaf_pos[t] if not np.isnan(base[k, j])),
                          key=lambda sc: (-sc[0], sc[1]))
            n_top = min(TOP, len(have) // 2)
            rank, of = mine.get(t) or rank_of[t][k]
            domains.append({
                "id": t, "name": by_id[t].name, "score": node_score[t][k], "rank": rank, "of": of,
                "points": float(dom_points[t][k]),
                "strongest": [c for _, c in have[:n_top]],
                "weakest": [c for _, c in reversed(have[len(have) - n_top:])] if n_top else [],
            })
        rank, of = mine.get(ROOT) or rank_of[ROOT][k]
        out.append({
            "city": unit, "year": year, "score": node_score[ROOT][k], "rank": rank, "of": of,
            "max": overall_max, "exact": bool(exact),
            "priorities": [inds[j] for j in order],
            "missing": [ind for j, ind in enumerate(inds) if val_l[k][j] is None],
            "domains": domains,
            "indicators": entries,
        })
    out.sort(key=lambda e: (e["year"] is not None, e["year"] or 0, e["city"]))
    return out


def _pyfloats(a: np.ndarray) -> list:
    """An array as (nested) lists of Python floats, NaN as None."""
    arr = np.asarray(a, dtype=float)
    obj = arr.astype(object)
    obj[np.isnan(arr)] = None
    return obj.tolist()


def _ranks_of(scores: Any, nodes: Sequence[str], rows: Sequence[int]) -> dict[str, list[tuple[int | None, int]]]:
    """Per node, for each row: its rank in its year and the number of cities with a score that year."""
    years = scores.node_ranks.index.get_level_values("year")
    codes = pd.factorize(pd.Series(years.to_numpy(dtype="float64", na_value=np.nan)).fillna(-1))[0]
    out = {}
    for n in nodes:
        ranks = scores.node_ranks[n].to_numpy(dtype="float64", na_value=np.nan)[rows]
        counts = pd.Series(scores.nodes[n].to_numpy(dtype=float)).notna().groupby(codes).transform("sum")
        of = counts.to_numpy()[rows]
        out[n] = [(None if np.isnan(rk) else int(rk), int(c)) for rk, c in zip(ranks, of, strict=True)]
    return out


def _node_rule(agg: Mapping[str, Any], node: Any) -> NodeAggregation:
    from citystd.engine.pipeline import ROOT

    params = AggregateParams.model_validate(agg) if agg else AggregateParams()
    return params.rule(node.id, node.level, "root" if node.id == ROOT else node.id)


class _Tree:
    """Re-aggregation of the tree for a few rows, with the run's weights and methods."""

    def __init__(self, spec: Any, node_weights: Mapping[str, Mapping[str, float]],
                 rules: Mapping[str, NodeAggregation]) -> None:
        from citystd.engine.pipeline import ROOT

        self.nodes = list(spec.nodes)  # bottom-up
        self.node_ids = {n.id for n in self.nodes}
        self.inds = list(spec.indicators)
        self.rules = rules
        self.weights = {n.id: np.array([node_weights.get("root" if n.id == ROOT else n.id, {}).get(c, 0.0)
                                        for c in n.children]) for n in self.nodes}
        self.below: dict[str, set[str]] = {}
        for n in self.nodes:
            below: set[str] = set()
            for c in n.children:
                below |= self.below.get(c, {c})
            self.below[n.id] = below

    def overall(self, base: np.ndarray, raised: np.ndarray, base_nodes: pd.DataFrame,
                variants: Sequence[Sequence[int]]) -> np.ndarray:
        """The root's score (variants × rows) when, in each variant, the indicators listed (by
        position) take their ``raised`` scores and the others their ``base`` ones.

        Bottom-up, each node is aggregated once for all the variants that touch it (their rows
        stacked), so the cost is one aggregation per node, not per indicator.
        """
        from citystd.engine.aggregate import aggregate
        from citystd.engine.pipeline import ROOT

        n_rows = base.shape[0]
        pos = {c: j for j, c in enumerate(self.inds)}
        sets = [{self.inds[j] for j in v} for v in variants]
        done: dict[str, tuple[dict[int, int], np.ndarray]] = {}  # node → (variant → row block, scores)
        index = base_nodes.index
        for node in self.nodes:
            touching = [v for v, s in enumerate(sets) if s & self.below[node.id]] if node.id != ROOT \
                else list(range(len(sets)))
            if not touching:
                continue
            block = np.empty((len(touching), n_rows, len(node.children)))
            for k, c in enumerate(node.children):
                if c in self.node_ids:
                    where, vals = done.get(c, ({}, np.empty((0, n_rows))))
                    default = base_nodes[c].to_numpy(dtype=float)
                    block[:, :, k] = [vals[where[v]] if v in where else default for v in touching]
                else:
                    j = pos[c]
                    block[:, :, k] = [raised[:, j] if c in sets[v] else base[:, j] for v in touching]
            children = pd.DataFrame(block.reshape(len(touching) * n_rows, len(node.children)),
                                    index=index[np.tile(np.arange(n_rows), len(touching))],
                                    columns=list(node.children))
            label = "root" if node.id == ROOT else node.id
            rule = self.rules[node.id]
            scored = aggregate(children, self.weights[node.id], rule.method, rule.min_coverage, node=label,
                               p=rule.p).to_numpy(dtype=float)
            done[node.id] = ({v: k for k, v in enumerate(touching)}, scored.reshape(len(touching), n_rows))
        return done[ROOT][1]


def _trend_lookup(frame: pd.DataFrame | None) -> dict[tuple[str, str], dict[str, Any]]:
    if frame is None or not len(frame):
        return {}
    out = {}
    cols = [c for c in ("cagr", "slope", "progress", "status") if c in frame.columns]
    for (unit, ind), row in zip(frame.index, frame[cols].itertuples(index=False), strict=True):
        item = {c: (None if pd.isna(v) else (str(v) if c == "status" else float(v))) for c, v in zip(cols, row,
                                                                                                   strict=True)}
        if any(v is not None for k, v in item.items() if k != "status"):
            out[(str(unit), str(ind))] = item
    return out


def _shortfall(direction: str, value: float, goal: float) -> float:
    if direction == "target":
        return abs(value - goal)
    return max(goal - value, 0.0) if direction == "higher" else max(value - goal, 0.0)


def _meta(spec: Any, ind: str) -> dict[str, Any]:
    """What does not change from city to city: direction, best, worst, target."""
    direction = spec.direction[ind]
    gp = spec.goalposts.get(ind)
    t = spec.targets.get(ind)
    best = (t[0] if direction == "target" and t else gp[1]) if gp else None
    return {"direction": direction, "best": None if best is None else float(best),
            "worst": float(gp[0]) if gp else None, "target": {"value": t[0], "year": t[1]} if t else None}


def _indicator_entry(m: dict[str, Any], value: float | None, score: float | None, gap_points: float | None,
                     weight: float | None, points: float | None, priority: int | None,
                     trend: dict[str, Any] | None) -> dict[str, Any]:
    best, t = m["best"], m["target"]
    gap_best = _shortfall(m["direction"], value, best) if value is not None and best is not None else None
    gap_target = _shortfall(m["direction"], value, t["value"]) if value is not None and t else None
    met = None if gap_target is None else gap_target <= 1e-12 * max(1.0, abs(t["value"]))  # type: ignore[index]
    return {
        "value": value, "score": score, "best": best, "worst": m["worst"], "target": t,
        "gap_to_best": gap_best, "gap_to_target": gap_target, "target_met": met,
        "gap_points": gap_points, "weight": weight, "points": points, "priority": priority,
        "trend": trend,
    }
