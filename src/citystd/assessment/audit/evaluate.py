"""Batched evaluation of audit replications (methods.md §14.2, docs/performance.md).

A replication is the pipeline with some parameters changed. Most of its cost is *upstream*
(screen, impute, treat, normalise, data-driven weights), which depends only on the discrete
choices of those steps; aggregation, weights and exclusions are cheap and vary per replication.
So:

1. replications are grouped by their upstream choices; each distinct upstream configuration is
   run once by the engine's own steps up to aggregation (:func:`~citystd.engine.pipeline.run_steps`,
   :func:`upstreams`), configurations sharing their first steps sharing those steps' results;
2. the replications of a group are aggregated together: the weights of S replications form an
   S × slots matrix W (nominal weights used × noise multipliers × 0 for an excluded element), and
   every node of the tree is one numpy pass over all S replications — a matrix product
   (units × children) · (children × S) for nodes of indicators, an einsum over (S × units ×
   children) above (:func:`aggregate_batch`), with the engine's rules, node by node (weights
   renormalised over the children with data, ``min_coverage``, ``fill``, power means); weighted
   median, Copeland, outranking and TOPSIS fall back to the engine's function per replication;
3. ranks of every node are computed for all S replications at once (:func:`~citystd.assessment.audit.ranks.sport_ranks`).

Everything a chunk needs is in a :class:`Problem` (plain arrays, picklable), so a chunk runs the
same in this process, in a pool of processes or on a Dask worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from citystd.assessment.audit.design import Design
from citystd.assessment.audit.ranks import RankRuns, RankStats, sport_ranks
from citystd.engine.pipeline import ROOT, ScoringSpec, TreeNode, apply_sets
from citystd.library.pipeline import AggregateParams
from citystd.library.uncertainty import OFF, Exclusion, StepInput, WeightNoise, with_value

#: steps whose result is computed once per distinct choice (aggregate too when weights are data-driven)
UPSTREAM_STEPS = ("screen", "impute", "treat", "normalise", "weights")
DATA_DRIVEN = ("entropy", "critic", "pca", "optimised")


# ---------------------------------------------------------------------------- the tree as arrays

@dataclass(frozen=True)
class TreePlan:
    """The spec's tree as index arrays: nodes bottom-up (root last), one weight slot per child."""

    indicators: tuple[str, ...]
    node_ids: tuple[str, ...]
    labels: tuple[str, ...]  # "root" for the root
    levels: tuple[int, ...]
    slot_start: tuple[int, ...]  # node n's children are slots slot_start[n]:slot_start[n+1]
    slot_child: tuple[str, ...]
    slot_is_node: tuple[bool, ...]
    slot_index: tuple[int, ...]  # indicator column or node index of each slot
    slot_level: np.ndarray  # level of the node each slot belongs to
    nominal_weights: np.ndarray  # (slots,) the tree's own relative weights

    @classmethod
    def of(cls, spec: ScoringSpec) -> TreePlan:
        col = {c: j for j, c in enumerate(spec.indicators)}
        pos = {n.id: i for i, n in enumerate(spec.nodes)}
        start, child, is_node, index, level, weights = [0], [], [], [], [], []
        for n in spec.nodes:
            for c, w in zip(n.children, n.weights, strict=True):
                child.append(c)
                is_node.append(c in pos)
                index.append(pos[c] if c in pos else col[c])
                level.append(n.level)
                weights.append(w)
            start.append(len(child))
        return cls(tuple(spec.indicators), tuple(n.id for n in spec.nodes),
                   tuple("root" if n.id == ROOT else n.id for n in spec.nodes), tuple(n.level for n in spec.nodes),
                   tuple(start), tuple(child), tuple(is_node), tuple(index), np.asarray(level, dtype=int),
                   np.asarray(weights, dtype=float))

    @property
    def slots(self) -> int:
        return len(self.slot_child)

    def slots_of(self, element: str) -> list[int]:
        """The weight slots that carry ``element`` (an indicator or a node) in its parent."""
        return [s for s, c in enumerate(self.slot_child) if c == element]

    def exclusion_slots(self, elements: tuple[str, ...]) -> np.ndarray:
        """Row k (1-based, row 0 = nothing excluded) holds the weight slots of ``elements[k-1]``, -1 padded."""
        where: dict[str, list[int]] = {}
        for s, c in enumerate(self.slot_child):
            where.setdefault(c, []).append(s)
        lists = [[]] + [where.get(e, []) for e in elements]
        out = np.full((len(lists), max(1, max(len(x) for x in lists))), -1, dtype=np.int64)
        for k, x in enumerate(lists):
            out[k, :len(x)] = x
        return out

    def used_weights(self, used: dict[str, dict[str, float]]) -> np.ndarray:
        """Scores.node_weights (label → child → weight) as a slot vector."""
        out = np.zeros(self.slots)
        for n, label in enumerate(self.labels):
            for s in range(self.slot_start[n], self.slot_start[n + 1]):
                out[s] = used.get(label, {}).get(self.slot_child[s], 0.0)
        return out


# ---------------------------------------------------------------------------- configurations

def step_choices(inputs: tuple, choice_row: np.ndarray) -> list[tuple[StepInput, Any]]:
    return [(inp, inp.values[int(c)]) for inp, c in zip(inputs, choice_row, strict=True) if isinstance(inp, StepInput)]


def spec_with(spec: ScoringSpec, choices: list[tuple[StepInput, Any]]) -> ScoringSpec:
    """``spec`` with the chosen step alternatives (``off`` removes the step)."""
    steps = list(spec.steps)
    off = {inp.step for inp, v in choices if v == OFF}
    steps = [(n, p) for n, p in steps if n not in off]
    sets = [f"{inp.step}.{inp.param}={json.dumps(v)}" for inp, v in choices if v != OFF and inp.step not in off]
    return replace(spec, steps=tuple(apply_sets(steps, sets)))


def aggregate_params(spec: ScoringSpec, choices: list[tuple[StepInput, Any]]) -> AggregateParams:
    params = next((p for n, p in reversed(spec.steps) if n == "aggregate"), AggregateParams())
    for inp, v in choices:
        if inp.step == "aggregate":
            params = with_value(params, "aggregate", inp.param, v)  # type: ignore[assignment]
    assert isinstance(params, AggregateParams)
    return params


def data_driven(spec: ScoringSpec, inputs: tuple) -> bool:
    methods = {getattr(p, "method", None) for n, p in spec.steps if n == "weights"}
    methods |= {v for inp in inputs if isinstance(inp, StepInput) and inp.step == "weights" and inp.param == "method"
                for v in inp.values}
    return bool(methods & set(DATA_DRIVEN))


def upstream_columns(inputs: tuple, with_aggregate: bool) -> list[int]:
    steps = (*UPSTREAM_STEPS, "aggregate") if with_aggregate else UPSTREAM_STEPS
    return [i for i, inp in enumerate(inputs) if isinstance(inp, StepInput) and inp.step in steps]


def aggregate_columns(inputs: tuple) -> list[int]:
    return [i for i, inp in enumerate(inputs) if isinstance(inp, StepInput) and inp.step == "aggregate"]


def replication_weights(plan: TreePlan, design: Design, rows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """(len(rows), slots) weights: ``base`` (slots,) or (len(rows), slots) × noise × exclusion."""
    w = np.broadcast_to(base, (len(rows), plan.slots)).astype(float, copy=True)
    for i, inp in enumerate(design.inputs):
        c = design.choices[rows, i]
        if isinstance(inp, WeightNoise):
            assert design.weight_sets is not None
            w *= design.weight_sets[c]
        elif isinstance(inp, Exclusion):
            slots = plan.exclusion_slots(inp.elements)  # (1 + elements, most slots): -1 pads
            hit = np.flatnonzero(c > 0)
            cols = slots[c[hit]]
            ok = cols >= 0
            w[np.broadcast_to(hit[:, None], cols.shape)[ok], cols[ok]] = 0.0
    return w


def replication_spec(spec: ScoringSpec, plan: TreePlan, design: Design, row: int) -> ScoringSpec:
    """The full spec of one replication, for :func:`~citystd.engine.pipeline.run` (the plain loop
    the benchmarks compare with, and the tests' oracle for the batched path)."""
    base = spec_with(spec, step_choices(design.inputs, design.choices[row]))
    w = replication_weights(plan, design, np.array([row]), plan.nominal_weights)[0]
    nodes = tuple(replace(n, weights=tuple(float(x) for x in w[plan.slot_start[i]:plan.slot_start[i + 1]]))
                  for i, n in enumerate(base.nodes))
    return replace(base, nodes=nodes)


# ---------------------------------------------------------------------------- upstream results

@dataclass
class Upstream:
    """One distinct upstream configuration, run once: indicator scores of the audited rows and weights."""

    scores: np.ndarray | None  # (units, indicators); None when the run failed
    weights: np.ndarray  # (slots,) weights as used (rescaled within each node)
    error: str | None = None


def upstreams(specs: list[ScoringSpec], values: pd.DataFrame, attributes: pd.DataFrame | None, rows: pd.Index,
              plan: TreePlan) -> list[Upstream]:
    """The upstream of each spec: the engine's steps before ``aggregate``
    (:func:`~citystd.engine.pipeline.run_steps`), each distinct prefix of steps computed once.

    Specs differing only in a late step (say ``normalise.method``) share the state after the
    earlier ones (screen, impute, treat …). Weights: the tree's own when the pipeline has no
    ``weights`` step; otherwise the ``aggregate`` step is run too and its weights as used are kept
    (data-driven weights are estimated on this configuration's scores, methods.md §14.2).
    """
    from citystd.diagnostics import CitystdError
    from citystd.engine.pipeline import pipeline_steps, run_steps

    cache: dict[tuple, Any] = {}  # prefix of (step, params) → RunState, or the error it raised
    out = []
    for spec in specs:
        steps = pipeline_steps(spec)
        agg = next(i for i, (n, _) in enumerate(steps) if n == "aggregate")
        weighted = any(n == "weights" for n, _ in steps[:agg])
        stop = agg + 1 if weighted or not any(n == "normalise" for n, _ in steps[:agg]) else agg
        key: tuple = ()
        state: Any = None
        for k in range(stop):
            key = (*key, steps[k][0], steps[k][1].model_dump_json())
            if key not in cache:
                try:
                    cache[key] = run_steps(spec, values, attributes, stop=k + 1, resume=state)
                except CitystdError as exc:
                    cache[key] = f"{exc.diagnostic.code}: {exc.diagnostic.message.en}"
            state = cache[key]
            if isinstance(state, str):
                break
        if isinstance(state, str):
            out.append(Upstream(None, np.zeros(plan.slots), state))
            continue
        scores = state.current.reindex(rows)[list(spec.indicators)].to_numpy(dtype=float)
        if state.node_scores is not None:
            used = state.steps_run[-1]["aggregate"]["weights_used"]
            weights = plan.used_weights(used)
        else:
            weights = _rescaled(plan, plan.nominal_weights)
        out.append(Upstream(scores, weights))
    return out


def upstream(spec: ScoringSpec, values: pd.DataFrame, attributes: pd.DataFrame | None, rows: pd.Index,
             plan: TreePlan) -> Upstream:
    """The upstream of one spec (:func:`upstreams`)."""
    return upstreams([spec], values, attributes, rows, plan)[0]


def _rescaled(plan: TreePlan, w: np.ndarray) -> np.ndarray:
    """Weights rescaled to sum 1 within each node (negative weights count as 0), as the engine uses them."""
    out = np.clip(np.asarray(w, dtype=float), 0.0, None)
    for n in range(len(plan.node_ids)):
        sl = slice(plan.slot_start[n], plan.slot_start[n + 1])
        tot = out[sl].sum()
        out[sl] = out[sl] / tot if tot > 0 else 0.0
    return out


# ---------------------------------------------------------------------------- the batched tree

@dataclass
class Problem:
    """Everything a chunk of replications needs (picklable)."""

    plan: TreePlan
    design: Design
    upstreams: list[Upstream]
    row_upstream: np.ndarray  # (rows,) index into upstreams
    aggregates: list[AggregateParams]
    row_aggregate: np.ndarray  # (rows,) index into aggregates
    nominal_ranks: np.ndarray  # (nodes, units) int
    units: tuple[str, ...]
    index: pd.Index  # the audited rows (unit, year), for the engine's per-replication fallbacks
    groups: np.ndarray | None = None  # unit group codes (fill: group_mean), -1 for none
    target: int | None = None  # unit whose rank is an output (--city)
    resolution: int = 1  # of the rank statistics (RankStats.for_units)
    in_stats: np.ndarray | None = None  # (rows,) rows whose ranks enter the rank statistics (default all)


@dataclass
class ChunkResult:
    rows: np.ndarray
    stats: RankRuns  # the rank statistics of the rows counted (not failed, in the statistics' blocks)
    mean_shift: np.ndarray  # (rows,) mean |rank − nominal| of the root
    target_rank: np.ndarray | None
    failed: dict[int, str] = field(default_factory=dict)  # row → reason


def _mm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Σ_k x[..., u, k]·w[s, k] → (S, units) for x shared (units, k) or per replication (S, units, k)."""
    if x.ndim == 2:
        return (x @ w.T).T
    return np.einsum("suk,sk->su", x, w)


def node_method(p: AggregateParams, label: str, node_id: str, level: int) -> str:
    return p.rule(node_id, level, label).method


def aggregate_batch(plan: TreePlan, scores: np.ndarray, w: np.ndarray, p: AggregateParams, index: pd.Index,
                    groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Scores of every node for S replications: (S, nodes, units), failed (S,), reason per replication.

    ``scores`` (units, indicators) are the normalised indicator scores, ``w`` (S, slots) the weights.
    """
    from citystd.engine.aggregate import aggregate

    s_count, units = w.shape[0], scores.shape[0]
    out = np.full((s_count, len(plan.node_ids), units), np.nan)
    failed = np.zeros(s_count, dtype=bool)
    reasons: list[str | None] = [None] * s_count
    for n in range(len(plan.node_ids)):
        sl = slice(plan.slot_start[n], plan.slot_start[n + 1])
        kids = range(sl.start, sl.stop)
        wn = w[:, sl]
        if not any(plan.slot_is_node[s] for s in kids):
            x = scores[:, [plan.slot_index[s] for s in kids]]  # shared by all replications
        else:
            x = np.stack([out[:, plan.slot_index[s]] if plan.slot_is_node[s]
                          else np.broadcast_to(scores[:, plan.slot_index[s]], (s_count, units)) for s in kids], axis=-1)
        label = plan.labels[n]
        rule = p.rule(plan.node_ids[n], plan.levels[n], label)  # the node's own rule (nodes › levels › step)
        method, power = rule.method, rule.p
        if method == "power" and power in (0.0, 1.0):
            method = "geometric" if power == 0.0 else "arithmetic"  # as the engine computes them
        valid = ~np.isnan(x)
        wpos = (wn > 0).astype(float)
        k = wpos.sum(axis=1)[:, None]
        n_valid = _mm(valid.astype(float), wpos)
        ok = (n_valid > 0) & (n_valid / np.maximum(k, 1) >= rule.min_coverage)
        den = _mm(valid.astype(float), wn)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if method == "arithmetic":
                val = _mm(np.where(valid, x, 0.0), wn) / den
            elif method in ("geometric", "harmonic", "power"):
                if method == "power":
                    bad = valid & ((x < 0) if power > 0 else (x <= 0))  # type: ignore[operator]
                    need = "≥ 0" if power > 0 else "> 0"  # type: ignore[operator]
                else:
                    bad = valid & ((x <= 0) if method == "geometric" else (x == 0))
                    need = "> 0" if method == "geometric" else "≠ 0"
                hit = (_mm(bad.astype(float), wpos) > 0) & ok
                for s in np.flatnonzero(hit.any(axis=1) & ~failed):
                    u = int(np.flatnonzero(hit[s])[0])
                    reasons[s] = f"E802: {method} aggregation at node {label} needs values {need} (unit {index[u][0]})"
                failed |= hit.any(axis=1)
                if method == "geometric":
                    val = np.exp(_mm(np.where(valid & (x > 0), np.log(np.where(valid & (x > 0), x, 1.0)), 0.0), wn) / den)
                elif method == "power":
                    safe = valid & ~bad
                    val = (_mm(np.where(safe, np.where(safe, x, 1.0) ** power, 0.0), wn) / den) ** (1.0 / power)  # type: ignore[operator]
                else:
                    val = den / _mm(np.where(valid & (x != 0), 1.0 / np.where(x != 0, x, 1.0), 0.0), wn)
            else:  # median, copeland, outranking, topsis: the engine's function, one replication at a time
                cols = [plan.slot_child[s] for s in kids]
                val = np.empty((s_count, units))
                for s in range(s_count):
                    xs = x if x.ndim == 2 else x[s]
                    frame = pd.DataFrame(xs, index=index, columns=cols)
                    val[s] = aggregate(frame, wn[s], method, rule.min_coverage, node=label, p=rule.p).to_numpy()
                ok = np.ones_like(ok)
        val = np.where(ok, val, np.nan)
        if rule.fill:
            val = _fill(val, rule.fill, groups)
        out[:, n] = val
    out[failed] = np.nan
    return out, failed, reasons


def _fill(val: np.ndarray, how: str, groups: np.ndarray | None) -> np.ndarray:
    """The engine's ``fill``: a node's missing scores ← the mean over units (of the unit's group)."""
    have = ~np.isnan(val)
    if how == "mean" or groups is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(have, val, 0.0).sum(axis=1) / have.sum(axis=1)
        return np.where(have, val, means[:, None])
    g = np.asarray(groups)
    onehot = (g[:, None] == np.arange(max(int(g.max()) + 1, 1))[None, :]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (np.where(have, val, 0.0) @ onehot) / (have.astype(float) @ onehot)
    fill = np.where(g >= 0, means[:, np.maximum(g, 0)], np.nan)
    return np.where(have, val, fill)


def evaluate_chunk(problem: Problem, rows: np.ndarray) -> ChunkResult:
    """Ranks of every node, the mean absolute rank shift (and the target's rank) of ``rows``.

    BLAS runs one thread here: the small matrix products of a chunk gain nothing from more, and
    the chunks themselves run in parallel (processes, Dask workers); with two BLAS threads per
    process a 2-core machine was 2–5× slower (docs/performance.md).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _evaluate_chunk(problem, rows)


def _evaluate_chunk(problem: Problem, rows: np.ndarray) -> ChunkResult:
    rows = np.asarray(rows)
    nodes, units = problem.nominal_ranks.shape
    st = RankStats(problem.nominal_ranks.astype(np.int64), problem.resolution, tally=False)
    keep = problem.in_stats[rows].copy() if problem.in_stats is not None else np.ones(len(rows), dtype=bool)
    binned = np.zeros((len(rows), nodes, units), dtype=st.bin_dtype)
    total, shift = np.zeros((nodes, units), np.int64), np.zeros((nodes, units), np.int64)
    mean_shift = np.full(len(rows), np.nan)
    target = np.full(len(rows), np.nan) if problem.target is not None else None
    failed: dict[int, str] = {}
    size = chunk_rows(problem)
    nominal = problem.nominal_ranks[-1]
    for start in range(0, len(rows), size):  # batches whose float arrays stay bounded
        at = slice(start, min(start + size, len(rows)))
        ranks, bad = replication_ranks(problem, rows[at])
        failed.update(bad)
        ok = ~np.isin(rows[at], np.fromiter(bad, dtype=int, count=len(bad)))
        root = ranks[:, -1, :]
        both = (root > 0) & (nominal > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_shift[at] = np.where(ok, np.where(both, np.abs(root - nominal), 0).sum(axis=1) / both.sum(axis=1),
                                      np.nan)
        if target is not None:
            t = root[:, problem.target]
            target[at] = np.where(ok & (t > 0), t, np.nan)
        keep[at] &= ok
        binned[at] = st.binned(ranks)
        part_total, part_shift = st.sums(ranks[keep[at]])
        total += part_total
        shift += part_shift
    return ChunkResult(rows, st.runs(binned[keep], total, shift), mean_shift, target, failed)


def replication_ranks(problem: Problem, rows: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    """Sport ranks (rows, nodes, units) of every node in replications ``rows``, and the failed ones."""
    plan, design = problem.plan, problem.design
    rows = np.asarray(rows)
    ranks = np.zeros((len(rows), len(plan.node_ids), len(problem.units)), dtype=np.int32)
    failed: dict[int, str] = {}
    key = problem.row_upstream[rows] * len(problem.aggregates) + problem.row_aggregate[rows]
    for k in np.unique(key):  # one batched pass per (upstream, aggregation) group
        at = np.flatnonzero(key == k)
        sel = rows[at]
        up = problem.upstreams[int(problem.row_upstream[sel[0]])]
        if up.scores is None:
            failed.update({int(r): up.error or "upstream failed" for r in sel})
            continue
        w = replication_weights(plan, design, sel, up.weights)
        p = problem.aggregates[int(problem.row_aggregate[sel[0]])]
        scores, bad, why = aggregate_batch(plan, up.scores, w, p, problem.index, problem.groups)
        ranks[at] = sport_ranks(scores)
        failed.update({int(sel[i]): why[i] or "failed" for i in np.flatnonzero(bad)})
    return ranks, failed


def chunk_rows(problem: Problem, cells: int = 6_000_000) -> int:
    """Replications per chunk: bounded so that a chunk's arrays stay ~50 MB — per replication the
    scores of every node, (nodes × units), and the children of the widest node above the indicators.

    Fixed by the problem's size only (never by the number of workers), so every executor
    splits the same way.
    """
    plan = problem.plan
    widest = max((plan.slot_start[n + 1] - plan.slot_start[n] for n in range(len(plan.node_ids))
                  if any(plan.slot_is_node[plan.slot_start[n]:plan.slot_start[n + 1]])), default=0)
    per = len(problem.units) * (len(plan.node_ids) + widest) + plan.slots
    return int(max(16, min(4096, cells // max(per, 1))))


def task_rows(problem: Problem, budget: int = 32_000_000) -> int:
    """Replications per task: their binned ranks (rows × nodes × units, 1–2 bytes each) stay within
    ``budget`` bytes; at least one batch (:func:`chunk_rows`), at most 4,096."""
    st = RankStats(problem.nominal_ranks, problem.resolution, tally=False)
    per = problem.nominal_ranks.size * np.dtype(st.bin_dtype).itemsize
    return int(max(chunk_rows(problem), min(4096, budget // max(per, 1))))


def chunk_plan(problem: Problem) -> list[np.ndarray]:
    """The rows of each task: rows sorted by their (upstream, aggregation) group, then cut into
    :func:`task_rows` pieces — so a task evaluates few groups, each in large batches, and sends
    back the counts of its ranks (:class:`~citystd.assessment.audit.ranks.RankRuns`), not the ranks. A pure
    function of the design (the same tasks for every executor)."""
    key = problem.row_upstream * len(problem.aggregates) + problem.row_aggregate
    order = np.argsort(key, kind="stable")
    size = task_rows(problem)
    return [order[s:s + size] for s in range(0, len(order), size)]


def nominal_node(spec: ScoringSpec, node_id: str) -> TreeNode:
    return spec.node(node_id)
