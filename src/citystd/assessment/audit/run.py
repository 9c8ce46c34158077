"""The whole audit as one function (docs/audit.md): coherence, drop-one, uncertainty, sensitivity.

:func:`audit` takes a spec, the derived indicator values and the parsed uncertain inputs (all
plain data; no IO) and returns an :class:`Audit`. The replications run on an executor
(:mod:`citystd.assessment.audit.executors`); the result does not depend on which.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citystd.assessment.audit.coherence import NodeCoherence, main_effects, node_coherence, pearson, spearman
from citystd.assessment.audit.design import Design, make_design
from citystd.assessment.audit.evaluate import (
    Problem,
    TreePlan,
    Upstream,
    aggregate_batch,
    aggregate_columns,
    aggregate_params,
    chunk_plan,
    data_driven,
    evaluate_chunk,
    spec_with,
    step_choices,
    upstream_columns,
    upstreams,
)
from citystd.assessment.audit.executors import Processes, Serial
from citystd.assessment.audit.ranks import RankStats, sport_ranks
from citystd.assessment.audit.sobol import SobolIndices, sobol_indices
from citystd.diagnostics import Diagnostic, Msg, error
from citystd.engine.pipeline import ScoringSpec
from citystd.engine.stats import unit_values, year_values
from citystd.library.uncertainty import UncertainInput

#: below this much work (replications × units × (indicators + nodes)) the audit runs in this process
AUTO_PARALLEL = 400_000_000


@dataclass
class Options:
    n: int = 1000
    seed: int = 1
    sensitivity: bool | None = None  # None: when there are inputs
    year: int | None = None
    size: dict[str, np.ndarray] = field(default_factory=dict)  # name → values per audited unit
    city: str | None = None
    resamples: int = 1000
    level: float = 0.9


@dataclass
class DropOne:
    kind: str  # "indicator" | "node"
    element: str
    level: int  # 0 for indicators
    mean_abs_rank_change: float
    max_abs_rank_change: int


@dataclass
class Audit:
    spec: ScoringSpec
    plan: TreePlan
    units: tuple[str, ...]
    year: int | None
    options: Options
    design: Design
    nominal_scores: np.ndarray  # (nodes, units)
    nominal_ranks: np.ndarray  # (nodes, units) int
    coherence: list[NodeCoherence]
    main_effects: dict[str, np.ndarray]
    effective_weights: dict[str, float]
    size: list[dict[str, Any]]
    drop_one: list[DropOne]
    stats: RankStats | None
    mean_shift: np.ndarray  # (rows,) per replication
    target_rank: np.ndarray | None
    sobol: dict[str, SobolIndices]
    failed: dict[int, str]
    upstream_runs: int
    executor: str
    workers: int
    seconds: float
    diagnostics: list[Diagnostic] = field(default_factory=list)


def audit_rows(values: pd.DataFrame, year: int | None) -> tuple[pd.Index, int | None]:
    """The rows audited: one cross-section (``year``, default the latest; all rows without years)."""
    years = year_values(values.index)
    known = years.dropna()
    if len(known) == 0:
        if year is not None:
            raise error("A018", f"--year {year}: the data has no years", f"--year {year}：数据中没有年份", exit_code=2)
        return values.index, None
    chosen = int(known.max()) if year is None else year
    if chosen not in set(int(y) for y in known):
        shown = ", ".join(str(int(y)) for y in sorted(set(known)))
        raise error("A018", f"--year {year} is not in the data (years: {shown})",
                    f"数据中没有 {year} 年（已有：{shown}）", exit_code=2)
    mask = np.asarray(years == chosen, dtype=bool) & ~np.asarray(years.isna(), dtype=bool)
    return values.index[mask], chosen


def _effective(plan: TreePlan, w: np.ndarray) -> dict[str, float]:
    """Effective weight of every node and indicator: product of rescaled weights up to the root."""
    eff: dict[str, float] = {plan.node_ids[-1]: 1.0}
    for n in range(len(plan.node_ids) - 1, -1, -1):  # root first: parents before children
        sl = slice(plan.slot_start[n], plan.slot_start[n + 1])
        tot = w[sl].sum()
        for s in range(sl.start, sl.stop):
            eff[plan.slot_child[s]] = eff.get(plan.node_ids[n], 0.0) * (w[s] / tot if tot > 0 else 0.0)
    return eff


def _chunk_task(problem: Problem, rows: np.ndarray) -> Any:
    return evaluate_chunk(problem, rows)


def audit(spec: ScoringSpec, values: pd.DataFrame, attributes: pd.DataFrame | None,
          inputs: list[UncertainInput], options: Options | None = None, executor: Any = None) -> Audit:
    """Audit ``spec`` on ``values`` (see the module docstring).

    BLAS runs one thread throughout (as in every chunk, :func:`~citystd.assessment.audit.evaluate.evaluate_chunk`):
    the audit's matrix products are many and small, and its parallelism is the executor's.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _audit(spec, values, attributes, inputs, options, executor)


def _audit(spec: ScoringSpec, values: pd.DataFrame, attributes: pd.DataFrame | None,
           inputs: list[UncertainInput], options: Options | None, executor: Any) -> Audit:
    t0 = time.perf_counter()
    opt = options or Options()
    if opt.n < 2:
        raise error("A018", f"-N must be at least 2, not {opt.n}", f"-N 至少为 2，而不是 {opt.n}", exit_code=2)
    plan = TreePlan.of(spec)
    rows, year = audit_rows(values, opt.year)
    units = tuple(str(u) for u in unit_values(rows))
    target = None
    if opt.city is not None:
        if opt.city not in units:
            from citystd.diagnostics import suggestion

            raise error("A018", f"--city {opt.city} is not among the audited units",
                        f"--city {opt.city} 不在审计的单元中", hint=suggestion(opt.city, units), exit_code=2)
        target = units.index(opt.city)
    inputs_t = tuple(inputs)
    sensitivity = bool(inputs_t) if opt.sensitivity is None else (opt.sensitivity and bool(inputs_t))
    design = make_design(inputs_t, opt.n, opt.seed, sensitivity=sensitivity, weight_slots=plan.slot_level)

    # upstream configurations: the nominal one first, then each distinct choice in the design
    with_agg = data_driven(spec, inputs_t)
    ucols = upstream_columns(inputs_t, with_agg)
    acols = aggregate_columns(inputs_t)
    ukeys, row_upstream = np.unique(design.choices[:, ucols], axis=0, return_inverse=True) if ucols \
        else (np.zeros((1, 0), int), np.zeros(design.rows, int))
    akeys, row_aggregate = np.unique(design.choices[:, acols], axis=0, return_inverse=True) if acols \
        else (np.zeros((1, 0), int), np.zeros(design.rows, int))
    specs = [spec] + ([spec_with(spec, step_choices(tuple(inputs_t[i] for i in ucols), key)) for key in ukeys]
                      if ucols else [])
    aggregates = [aggregate_params(spec, step_choices(tuple(inputs_t[i] for i in acols), key)) for key in akeys]
    work = design.rows * len(units) * (len(plan.indicators) + len(plan.node_ids))
    ex = executor or (Processes(os.cpu_count() or 1) if work >= AUTO_PARALLEL and (os.cpu_count() or 1) > 1
                      else Serial())
    ups = upstreams(specs, values, attributes, rows, plan)
    nominal = ups[0]
    if nominal.scores is None:
        raise error("E801", f"the nominal pipeline fails: {nominal.error}", f"名义流程失败：{nominal.error}")
    groups = None
    if any("group_mean" in p.fills() for p in aggregates) and attributes is not None:
        by = next(p.by for p in aggregates if "group_mean" in p.fills())
        if by in attributes.columns:
            groups = pd.factorize(attributes[by].reindex(rows), use_na_sentinel=True)[0]

    # the nominal scores and ranks through the batched path (equal to the engine's: tests check)
    nominal_agg = aggregate_params(spec, [])
    nom_scores, nom_failed, why = aggregate_batch(plan, nominal.scores, nominal.weights[None, :], nominal_agg, rows,
                                                  groups)
    if nom_failed[0]:
        raise error("E802", f"the nominal pipeline fails: {why[0]}", f"名义流程失败：{why[0]}")
    nom_ranks = sport_ranks(nom_scores)[0]

    # coherence, on the nominal scores
    coherence, eff = _coherence(plan, nominal, nom_scores[0])
    me = main_effects(nominal.scores, nom_scores[0, -1])
    size = _size(plan, nom_scores[0], opt.size)

    # drop-one impacts: one batched pass over every indicator and every node below the root
    drop = _drop_one(plan, nominal, nominal_agg, rows, groups, nom_ranks[-1])

    # the replications
    stats = RankStats.for_units(nom_ranks)
    in_stats = np.zeros(design.rows, dtype=bool)
    in_stats[design.statistics_rows()] = True
    problem = Problem(plan, design, ups[1:] if ucols else ups[:1], np.asarray(row_upstream).ravel(), aggregates,
                      np.asarray(row_aggregate).ravel(), nom_ranks, units, rows, groups, target, stats.resolution,
                      in_stats)
    chunks = chunk_plan(problem)
    mean_shift = np.full(design.rows, np.nan)
    target_rank = np.full(design.rows, np.nan) if target is not None else None
    failed: dict[int, str] = {}
    for res in ex.map(_chunk_task, problem, chunks):
        stats.merge_runs(res.stats)
        mean_shift[res.rows] = res.mean_shift
        if target_rank is not None and res.target_rank is not None:
            target_rank[res.rows] = res.target_rank
        failed.update(res.failed)
    diags: list[Diagnostic] = []
    if failed:
        first = failed[min(failed)]
        diags.append(Diagnostic("A015", Msg(f"{len(failed)} of {design.rows} replications failed and are not scored; "
                                            f"first: {first}", f"{design.rows} 次重复计算中有 {len(failed)} 次失败，"
                                            f"未计入结果；第一个：{first}")))

    sobol: dict[str, SobolIndices] = {}
    if design.sensitivity:
        d = design.d
        ok = np.ones(design.n, dtype=bool)
        if failed:
            bad = np.fromiter(failed, dtype=int, count=len(failed)) % design.n
            ok[bad] = False
        sobol["mean_abs_rank_shift"] = sobol_indices(mean_shift, design.n, d, resamples=opt.resamples,
                                                     level=opt.level, seed=opt.seed, keep=ok)
        if target_rank is not None:
            sobol[f"rank:{opt.city}"] = sobol_indices(target_rank, design.n, d, resamples=opt.resamples,
                                                      level=opt.level, seed=opt.seed, keep=ok)
    ex_name, ex_workers = ex.name, ex.workers
    if executor is None:
        ex.close()
    return Audit(spec, plan, units, year, opt, design, nom_scores[0], nom_ranks, coherence,
                 {"eta2": me[0], "r2": me[1]}, eff, size, drop, stats, mean_shift, target_rank, sobol, failed,
                 len(specs), ex_name, ex_workers, time.perf_counter() - t0, diags)


def _coherence(plan: TreePlan, nominal: Upstream, nodes: np.ndarray) -> tuple[list[NodeCoherence], dict[str, float]]:
    assert nominal.scores is not None
    eff = _effective(plan, nominal.weights)
    out = []
    for n in range(len(plan.node_ids) - 1, -1, -1):  # root first
        columns = {s: nodes[plan.slot_index[s]] if plan.slot_is_node[s] else nominal.scores[:, plan.slot_index[s]]
                   for s in range(plan.slot_start[n], plan.slot_start[n + 1])}
        # children never scored (context indicators, nodes holding only them) have nothing to correlate
        sl = [s for s, col in columns.items() if not np.isnan(col).all()]
        if not sl:
            continue
        kids = np.stack([columns[s] for s in sl], axis=1)
        out.append(node_coherence(plan.labels[n], plan.levels[n], [plan.slot_child[s] for s in sl], kids, nodes[n],
                                  eff.get(plan.node_ids[n], 1.0)))
    return out, eff


def _size(plan: TreePlan, nodes: np.ndarray, size: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    out = []
    for name, v in size.items():
        col = np.asarray(v, dtype=float)[:, None]
        pr, sr = pearson(nodes.T, col)[:, 0], spearman(nodes.T, col)[:, 0]
        for n in range(len(plan.node_ids) - 1, -1, -1):
            out.append({"variable": name, "node": plan.labels[n], "pearson": float(pr[n]), "spearman": float(sr[n]),
                        "size_dependent": bool(abs(sr[n]) >= 0.5 or abs(pr[n]) >= 0.5)})
    return out


def _drop_one(plan: TreePlan, nominal: Upstream, p: Any, rows: pd.Index, groups: np.ndarray | None,
              nominal_root: np.ndarray) -> list[DropOne]:
    assert nominal.scores is not None
    node_pos = {nid: i for i, nid in enumerate(plan.node_ids)}
    elements = [("indicator", c, 0) for c in plan.indicators] + \
        [("node", plan.labels[i], plan.levels[i]) for i in range(len(plan.node_ids) - 1)]
    slot_lists = [plan.slots_of(e if k == "indicator" else plan.node_ids[node_pos.get(e, 0)]) for k, e, _ in elements]
    w = np.broadcast_to(nominal.weights, (len(elements), plan.slots)).copy()
    for i, slots in enumerate(slot_lists):
        w[i, slots] = 0.0
    # a node left without weighted children cannot be scored: such removals are skipped (reported as NaN)
    scores, failed, _ = aggregate_batch(plan, nominal.scores, w, p, rows, groups)
    ranks = sport_ranks(scores[:, -1, :])
    both = (ranks > 0) & (nominal_root[None] > 0)
    diff = np.where(both, np.abs(ranks - nominal_root[None]), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = diff.sum(axis=1) / both.sum(axis=1)
    out = []
    for i, (kind, e, lv) in enumerate(elements):
        m = float(mean[i]) if not failed[i] and both[i].any() else float("nan")
        out.append(DropOne(kind, e, lv, m, int(diff[i].max()) if both[i].any() else 0))
    return out
