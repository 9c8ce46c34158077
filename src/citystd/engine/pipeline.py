"""The scoring pipeline: a plain, serialisable spec and one pure function that runs it.

:func:`build_spec` turns a library framework (plus ``--set`` overrides) into a
:class:`ScoringSpec` — tree, indicator metadata and ordered steps as plain data, so it can be
varied and re-run cheaply (uncertainty analysis varies the spec, not the code). :func:`run`
applies the steps to a frame of indicator values (rows = (unit, year), columns = indicators) and
returns a :class:`Scores` bundle of DataFrames. No IO happens here.

Order of work: the framework's steps in their order (``screen``, ``impute``, ``treat``,
``normalise``, ``weights``, ``aggregate``, ``rate`` as listed); a ``normalise: goalposts`` step
is added before aggregation when the pipeline has none, and ``aggregate: arithmetic`` at the end
when it has none. Then ranks (sport ranks within each year), ratings from thresholds, coverage
per node, and trends when the data has several years.

:func:`run` is :func:`run_steps` (the steps, stoppable and resumable: the audit stops before
``aggregate`` and shares the earlier steps between configurations) followed by that summary.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg, Severity, error, suggestion
from citystd.library.load import Library
from citystd.library.models import Framework, Leaf, Node
from citystd.library.pipeline import (
    STEPS,
    AggregateParams,
    NodeAggregation,
    NormaliseParams,
    Params,
    RateParams,
    WeightsParams,
)
from citystd.library.rules import context_ids, effective_bounds, scoring_weight

ROOT = "__root__"
#: optimised weights: the largest |achieved − target| importance share accepted without warning E811
IMPORTANCE_TOLERANCE = 0.01


@dataclass(frozen=True)
class TreeNode:
    id: str
    name: dict[str, str]
    children: tuple[str, ...]  # node ids or indicator ids
    weights: tuple[float, ...]
    level: int  # 1 = just above indicators; the root has the highest level
    leaves: tuple[str, ...]  # descendant indicators with weight > 0 on the path (scored)
    shown: tuple[str, ...] = ()  # every descendant indicator, weight 0 included (rated and shown)


@dataclass(frozen=True)
class ScoringSpec:
    """Everything that determines scores, as plain data."""

    framework_id: str
    version: str
    name: dict[str, str]
    indicators: tuple[str, ...]
    direction: dict[str, str]
    goalposts: dict[str, tuple[float, float]]
    targets: dict[str, tuple[float, int | None]]
    thresholds: dict[str, tuple[float, float, float]]
    nodes: tuple[TreeNode, ...]  # bottom-up; the last one is the root
    steps: tuple[tuple[str, Params], ...]
    definitions: dict[str, Any] = field(default_factory=dict, compare=False)  # for the hash only
    context: tuple[str, ...] = ()  # context indicators: values shown, never normalised or scored

    def node(self, node_id: str) -> TreeNode:
        return next(n for n in self.nodes if n.id == node_id)

    def steps_as_dicts(self) -> list[dict[str, Any]]:
        return [{name: params.model_dump(mode="json")} for name, params in self.steps]

    def sha256(self) -> str:
        doc = {
            "framework": self.framework_id, "version": self.version, "steps": self.steps_as_dicts(),
            "nodes": [[n.id, list(n.children), list(n.weights)] for n in self.nodes],
            "direction": self.direction, "goalposts": self.goalposts, "targets": self.targets,
            "thresholds": self.thresholds, "definitions": self.definitions,
        }
        if self.context:  # only when there are any, so frameworks without them keep their hash
            doc["context"] = list(self.context)
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- building the spec

def build_spec(lib: Library, fw: Framework, sets: list[str] | None = None) -> ScoringSpec:
    """The spec of framework ``fw``; ``sets`` are ``step.param=value`` overrides (``--set``)."""
    leaves: list[str] = []
    nodes: list[TreeNode] = []
    context = context_ids(lib)

    def walk(node_id: str, name: dict[str, str], items: list) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
        children, weights, level, below, shown = [], [], 1, [], []
        for item in items:
            weight = scoring_weight(item, context)  # context indicators weigh 0: shown, not scored
            if isinstance(item, Leaf):
                children.append(item.indicator)
                weights.append(weight)
                if item.indicator not in leaves:
                    leaves.append(item.indicator)
                shown.append(item.indicator)
                if weight > 0:
                    below.append(item.indicator)
            else:
                assert isinstance(item, Node)
                lvl, sub, sub_shown = walk(item.id, item.name.model_dump(), item.children)
                children.append(item.id)
                weights.append(weight)
                level = max(level, lvl + 1)
                shown.extend(sub_shown)
                if weight > 0:
                    below.extend(sub)
        scored, all_shown = tuple(dict.fromkeys(below)), tuple(dict.fromkeys(shown))
        nodes.append(TreeNode(node_id, name, tuple(children), tuple(weights), level, scored, all_shown))
        return level, scored, all_shown

    walk(ROOT, fw.name.model_dump(), fw.tree)
    direction, goalposts, targets, thresholds, definitions = {}, {}, {}, {}, {}
    for ind_id in leaves:
        ind = lib.indicators.get(ind_id)
        if ind is None:
            raise error("R204", f"framework '{fw.id}' uses unknown indicator '{ind_id}'",
                        f"框架 '{fw.id}' 使用了未知指标 '{ind_id}'", hint=suggestion(ind_id, lib.indicators), exit_code=2)
        b = effective_bounds(ind, fw)
        direction[ind_id] = b.direction
        if b.goalposts is not None:
            goalposts[ind_id] = (b.goalposts.worst, b.goalposts.best)
        if b.target is not None:
            targets[ind_id] = (b.target.value, b.target.year)
        if b.thresholds is not None:
            thresholds[ind_id] = (b.thresholds.green, b.thresholds.yellow, b.thresholds.orange)
        definition = ind.model_dump(mode="json", include={"formula", "range", "unit"})
        if isinstance(definition["unit"], dict) and definition["unit"].get("code") is None:
            definition["unit"].pop("code", None)  # the hash of a unit without a code is what it always was
        definitions[ind_id] = definition
    steps = [(name, params) for name, params in ((_name(s), _params(s)) for s in fw.pipeline)]
    steps = apply_sets(steps, sets or [])
    return ScoringSpec(fw.id, fw.version, fw.name.model_dump(), tuple(leaves), direction, goalposts, targets,
                       thresholds, tuple(nodes), tuple(steps), definitions,
                       tuple(c for c in leaves if c in context))


def _name(step: Any) -> str:
    return next(iter(type(step).model_fields))


def _params(step: Any) -> Params:
    return getattr(step, _name(step))


def apply_sets(steps: list[tuple[str, Params]], sets: list[str]) -> list[tuple[str, Params]]:
    """Apply ``step.param=value`` overrides; a step the pipeline lacks is added in canonical order.

    All overrides of one step are applied together before the step is validated, so
    ``--set impute.method=group_mean --set impute.by=region`` works in either order.
    """
    import yaml
    from pydantic import ValidationError

    out = list(steps)
    grouped: dict[str, dict[str, object]] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        step, dot, param = key.strip().partition(".")
        if not sep or not dot or not step or not param:
            raise error("T507", f"--set expects step.parameter=value, not '{item}'",
                        f"--set 的格式应为 step.parameter=value，而不是 '{item}'",
                        hint=Msg("e.g. --set normalise.method=minmax", "例如 --set normalise.method=minmax"), exit_code=2)
        if step not in STEPS:
            raise error("T505", f"--set: unknown step '{step}'", f"--set：未知的步骤 '{step}'",
                        hint=suggestion(step, STEPS), exit_code=2)
        if param not in STEPS[step].model_fields:
            raise error("T506", f"--set: unknown parameter '{param}' of step {step}",
                        f"--set：步骤 {step} 的未知参数 '{param}'", hint=suggestion(param, STEPS[step].model_fields),
                        exit_code=2)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        grouped.setdefault(step, {})[param] = value
    for step, params in grouped.items():
        model = STEPS[step]
        positions = [i for i, (n, _) in enumerate(out) if n == step]
        current = out[positions[0]][1].model_dump() if positions else {}
        if not positions and step == "impute" and "method" not in params:
            current["method"] = "mean"
        current.update(params)
        try:
            new = model.model_validate(current)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            shown = " ".join(f"{step}.{k}={v}" for k, v in params.items())
            raise error("T507", f"--set {shown}: {first['msg']}", f"--set {shown}：取值无效（{first['msg']}）",
                        exit_code=2) from None
        if positions:
            out[positions[0]] = (step, new)
        else:
            order = list(STEPS)
            at = next((i for i, (n, _) in enumerate(out) if order.index(n) > order.index(step)), len(out))
            out.insert(at, (step, new))
    return out


# ---------------------------------------------------------------------------- running

@dataclass
class Scores:
    """What a run produces. Frames are indexed by (unit, year) unless said otherwise."""

    values: pd.DataFrame  # indicator values as derived (rows kept after screening)
    scores: pd.DataFrame  # normalised indicator scores
    nodes: pd.DataFrame  # node scores, one column per node id (ROOT = overall)
    indicator_ranks: pd.DataFrame
    node_ranks: pd.DataFrame
    indicator_colours: pd.DataFrame  # colour names or None
    node_colours: pd.DataFrame
    coverage: pd.DataFrame  # per node (ROOT included), share of leaves with data
    weights: pd.Series  # effective weight per indicator
    node_weights: dict[str, dict[str, float]]  # rescaled weights of each node's children as used
    dropped: pd.DataFrame
    records: pd.DataFrame
    diagnostics: list[Diagnostic]
    steps_run: list[dict[str, Any]]
    #: the trends, or a :class:`Deferred` still computing them (a large panel's trends are computed
    #: while the scores are written: report/parquet.py and the JSON writer write them last)
    trend_source: pd.DataFrame | Deferred | None = None

    @property
    def trends(self) -> pd.DataFrame | None:
        """Per unit and indicator: ``cagr``, ``slope`` and, with targets, ``progress`` and ``status``."""
        if isinstance(self.trend_source, Deferred):
            self.trend_source = self.trend_source.result()
        return self.trend_source


class Deferred:
    """A value computed in a background thread from the moment it is made; :meth:`result` waits
    for it and raises what computing it raised."""

    def __init__(self, fn: Any) -> None:
        import threading

        self._value: Any = None
        self._error: BaseException | None = None

        def go() -> None:
            try:
                self._value = fn()
            except BaseException as exc:  # raised again in the thread that asks for the result
                self._error = exc

        self._thread = threading.Thread(target=go, name="citystd-deferred", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def __reduce__(self) -> tuple[Any, tuple[Any]]:  # pickled or deep-copied: the value it computed
        return _computed, (self.result(),)


def _computed(value: Any) -> Any:
    return value


#: panels of more cells than this compute their trends in one background thread while the scores
#: are written (docs/performance.md); smaller ones at once
DEFER_TRENDS_CELLS = 4_000_000


def run(spec: ScoringSpec, values: pd.DataFrame, attributes: pd.DataFrame | None = None) -> Scores:
    """Score ``values`` (columns ⊇ ``spec.indicators``) with ``spec``."""
    return _summarise(spec, run_steps(spec, values, attributes))


def pipeline_steps(spec: ScoringSpec) -> list[tuple[str, Params]]:
    """The steps :func:`run` applies: the spec's, with ``normalise`` (goalposts) added before the
    aggregation when the pipeline has none, and ``aggregate`` (arithmetic) at the end when it has none."""
    steps = list(spec.steps)
    if not any(n == "normalise" for n, _ in steps):
        at = next((i for i, (n, _) in enumerate(steps) if n == "aggregate"), len(steps))
        steps.insert(at, ("normalise", NormaliseParams()))
    if not any(n == "aggregate" for n, _ in steps):
        steps.append(("aggregate", AggregateParams()))
    return steps


@dataclass
class RunState:
    """A run part-way: the frames and bookkeeping after the first ``done`` of :func:`pipeline_steps`.

    :func:`run` is :func:`run_steps` over every step followed by the ranks, ratings, coverage and
    trends; the audit (:mod:`citystd.assessment.audit.evaluate`) stops before ``aggregate`` and resumes from
    shared states, so that replications differing only in later steps share the earlier ones.
    """

    done: int
    raw: pd.DataFrame
    current: pd.DataFrame  # indicator values as treated so far (normalised scores once ``normalised``)
    attrs: pd.DataFrame
    diagnostics: list[Diagnostic]
    records: list[pd.DataFrame]
    dropped: pd.DataFrame
    normalised: bool
    node_scores: pd.DataFrame | None
    weight_steps: list[WeightsParams]
    rate: RateParams
    steps_run: list[dict[str, Any]]


def run_steps(spec: ScoringSpec, values: pd.DataFrame, attributes: pd.DataFrame | None = None, *,
              stop: int | None = None, resume: RunState | None = None) -> RunState:
    """Apply :func:`pipeline_steps` from ``resume.done`` (default: the start, on ``values``) up to,
    not including, step ``stop`` (default: all). ``resume`` is not changed, so one state can be
    resumed many times."""
    from citystd.engine.impute import impute
    from citystd.engine.screen import screen, screen_diagnostics
    from citystd.engine.stats import empty_records
    from citystd.engine.treat import treat

    cols = list(spec.indicators)
    if resume is None:
        raw = values.reindex(columns=cols).astype("float64")
        attrs = attributes if attributes is not None else pd.DataFrame(index=raw.index)
        current = raw
        diags: list[Diagnostic] = []
        records = [empty_records()]
        dropped = pd.DataFrame(columns=["unit", "year", "availability", "nonzero_share", "reason"])
        normalised = False
        node_scores: pd.DataFrame | None = None
        weight_steps: list[WeightsParams] = []
        rate = RateParams()
        steps_run: list[dict[str, Any]] = []
    else:  # the frames are never changed in place; the lists are copied
        raw, attrs, current, dropped = resume.raw, resume.attrs, resume.current, resume.dropped
        diags, records, weight_steps = list(resume.diagnostics), list(resume.records), list(resume.weight_steps)
        normalised, node_scores, rate = resume.normalised, resume.node_scores, resume.rate
        steps_run = copy.deepcopy(resume.steps_run)

    steps = pipeline_steps(spec)
    start = resume.done if resume is not None else 0
    stop = len(steps) if stop is None else min(stop, len(steps))
    for name, params in steps[start:stop]:
        dump = params.model_dump(mode="json")
        if name == "screen":
            current, dropped_now = screen(current, cols, params.min_coverage, params.min_nonzero)
            diags.extend(screen_diagnostics(dropped_now))
            dropped = pd.concat([dropped, dropped_now], ignore_index=True) if len(dropped) else dropped_now
            raw = raw.loc[current.index]
            attrs = attrs.loc[attrs.index.intersection(current.index)]
        elif name == "impute":
            by = _attribute(attrs, params.by, current.index) if params.by else None
            current, rec = impute(current, params.method, by=by, both=params.both, max_gap=params.max_gap,
                                  indicators=params.indicators)
            records.append(rec.assign(stage="impute" if not normalised else "impute_normalised"))
        elif name == "treat":
            current, rec = treat(current, params.method, params.winmax, params.skew, params.kurtosis,
                                 params.fallback, tuple(params.percentiles), params.indicators, params.boxcox_lambda)
            records.append(rec)
        elif name == "normalise":
            current, d = _normalise(spec, current, params)
            diags.extend(d)
            normalised = True
        elif name == "weights":
            if node_scores is not None:
                raise error("T507", "a `weights` step after `aggregate` has no effect: move it before",
                            "`weights` 步骤位于 `aggregate` 之后不会生效：请移到其前面", exit_code=2)
            weight_steps.append(params)
        elif name == "aggregate":
            if not normalised:
                current, d = _normalise(spec, current, NormaliseParams())
                diags.extend(d)
                normalised = True
            by = _attribute(attrs, params.by, current.index) if params.by else None
            node_scores, used, optimised, rec, d = _aggregate(spec, current, params, weight_steps, by)
            records.append(rec)
            diags.extend(d)
            dump = {**dump, "weights_used": used, "weights_optimised": optimised}
        elif name == "rate":
            rate = params
        steps_run.append({name: dump})
    return RunState(max(stop, start), raw, current, attrs, diags, records, dropped, normalised, node_scores,
                    weight_steps, rate, steps_run)


def _summarise(spec: ScoringSpec, state: RunState) -> Scores:
    """The :class:`Scores` of a finished run: effective weights, ranks, ratings, coverage, trends."""
    from citystd.engine.stats import empty_records

    cols = list(spec.indicators)
    raw, current, node_scores, weight_steps = state.raw, state.current, state.node_scores, state.weight_steps
    records, dropped, diags, rate, steps_run = state.records, state.dropped, state.diagnostics, state.rate, \
        state.steps_run
    assert node_scores is not None
    last_agg = next(s["aggregate"] for s in reversed(steps_run) if "aggregate" in s)
    used_weights, optimised = last_agg["weights_used"], last_agg["weights_optimised"]
    eff = _effective(spec, used_weights)
    steps_run = [s for s in steps_run if "weights" not in s]
    w_at = next(i for i, s in enumerate(steps_run) if "aggregate" in s)
    methods = sorted({p.method for p in weight_steps}) or ["manual"]
    entry: dict[str, Any] = {"method": "+".join(methods), "effective": {k: eff[k] for k in cols}}
    if optimised:
        entry["optimised"] = optimised  # per node and child: target and achieved importance, weight
    steps_run.insert(w_at, {"weights": entry})
    for s in steps_run:
        s.get("aggregate", {}).pop("weights_used", None)
        s.get("aggregate", {}).pop("weights_optimised", None)

    from citystd.engine.rank import rank

    scores = current[cols]
    ind_ranks = rank(scores)
    node_ranks = rank(node_scores)
    ind_col, node_col = _ratings(spec, raw, rate)
    coverage = _coverage(spec, raw)
    if raw.size > DEFER_TRENDS_CELLS:  # one thread: the other core is the Parquet encoder's
        trends: pd.DataFrame | Deferred | None = Deferred(lambda: _trends(spec, raw, workers=1))
    else:
        trends = _trends(spec, raw)
    rec_all = pd.concat([r for r in records if len(r)], ignore_index=True) if any(len(r) for r in records) \
        else empty_records()
    return Scores(raw, scores, node_scores, ind_ranks, node_ranks, ind_col, node_col, coverage,
                  pd.Series(eff).reindex(cols), used_weights, dropped, rec_all, diags, steps_run, trends)


def _attribute(attrs: pd.DataFrame, name: str, index: pd.Index) -> pd.Series:
    if name not in attrs.columns:
        raise error("D709", f"the data has no attribute column '{name}' (needed by `by: {name}`)",
                    f"数据中没有属性列 '{name}'（`by: {name}` 需要）", hint=suggestion(name, attrs.columns), exit_code=1)
    return attrs[name].reindex(index)


def _normalise(spec: ScoringSpec, data: pd.DataFrame, p: NormaliseParams) -> tuple[pd.DataFrame, list[Diagnostic]]:
    from citystd.engine.normalise import normalise

    everything = list(data.columns)
    cols = [c for c in everything if c not in spec.context]  # context indicators keep no score
    data = data[cols]
    direction = pd.Series({c: spec.direction[c] for c in cols}, dtype=object)
    gp = pd.DataFrame([spec.goalposts.get(c, (np.nan, np.nan)) for c in cols], index=cols, columns=["worst", "best"])
    targets = pd.Series({c: spec.targets.get(c, (np.nan, None))[0] for c in cols}, dtype="float64")
    th = pd.DataFrame([spec.thresholds.get(c, (np.nan,) * 3) for c in cols], index=cols,
                      columns=["green", "yellow", "orange"])
    # indicators with their own spec (COINr's indiv_specs) are normalised in groups of equal specs:
    # one vectorised call per distinct spec, not per indicator
    own_specs = p.indicators or {}
    groups: dict[str, tuple[Any, list[str]]] = {"": (p, [c for c in cols if c not in own_specs])}
    base = p.for_indicator("")
    for c in cols:  # in the frame's order, so each group's columns are too
        if c in own_specs:
            own = p.for_indicator(c)
            key = "" if own == base else own.model_dump_json()  # an own spec that changes nothing joins the step's
            groups.setdefault(key, (own, []))[1].append(c)
    if not groups[""][1]:
        del groups[""]
    parts, diags = [], []
    for q, group in groups.values():
        sub = data[group] if len(groups) > 1 else data
        part, d = normalise(sub, q.method, direction=direction[group], range=tuple(q.range), mean=q.mean, sd=q.sd,
                            pooled=q.pooled, cap=q.cap, scores=q.scores, goalposts=gp.loc[group],
                            targets=targets[group], thresholds=th.loc[group], ref=q.ref, ref_mode=q.ref_mode,
                            bounds=q.bounds)
        parts.append(part)
        diags.extend(d)
    out = parts[0] if len(parts) == 1 else (pd.concat(parts, axis=1)[cols] if parts else data.astype(float))
    if any(q.method != "goalposts" for q, _ in groups.values()):
        hint = Msg("data-driven normalisation needs several distinct values per indicator; goalposts score a city "
                   "on its own: --set normalise.method=goalposts",
                   "数据驱动的标准化方法需要每个指标有多个不同取值；目标值区间法可单独为一个城市评分："
                   "--set normalise.method=goalposts")
        diags = [replace(d, hint=d.hint or hint) if d.code == "E801" else d for d in diags]
    return out.reindex(columns=everything), diags


def _node_weights(spec: ScoringSpec, node: TreeNode, children: pd.DataFrame, weight_steps: list[WeightsParams],
                  rule: NodeAggregation, report: dict[str, Any]) -> tuple[np.ndarray, list[Diagnostic]]:
    from citystd.engine import weights as W

    w = np.asarray(node.weights, dtype=float)
    diags: list[Diagnostic] = []
    label = "root" if node.id == ROOT else node.id
    nodes = {n.id: n for n in spec.nodes}
    for p in weight_steps:
        if p.nodes is not None and label not in p.nodes and node.id not in p.nodes:
            continue
        if p.method == "manual":
            w = np.asarray(node.weights, dtype=float)
        elif p.method == "equal":
            w = np.where(np.asarray(node.weights) > 0, 1.0, 0.0)
        elif p.method == "ahp":
            matrix = (p.matrices or {}).get(label) or (p.matrices or {}).get(node.id)
            if matrix is None:
                continue
            if len(matrix) != len(node.children):
                raise error("E803", f"AHP matrix for node {label} is {len(matrix)}×{len(matrix)} but the node has "
                            f"{len(node.children)} children", f"节点 {label} 的 AHP 矩阵为 {len(matrix)} 阶，"
                            f"但该节点有 {len(node.children)} 个子节点")
            w = W.ahp(matrix, label).weights
        else:
            if len(node.children) < 2:
                continue
            # context indicators (and nodes holding only them) have no scores: leave them out of the data
            unscored = [c for c in node.children if c in spec.context or (c in nodes and not nodes[c].leaves)]
            children = children.drop(columns=unscored)
            if children.shape[1] < 2:
                continue
            if p.method == "optimised":
                w, d = _optimised(node, label, children, p, rule, report)
                diags.extend(d)
            elif p.method == "entropy":
                w = W.entropy(children).reindex(node.children).to_numpy(dtype=float)
            elif p.method == "critic":
                w = W.critic(children).reindex(node.children).to_numpy(dtype=float)
            else:
                s, d = W.pca(children, label)
                diags.extend(d)
                w = s.reindex(node.children).to_numpy(dtype=float)
    w = np.where(np.asarray(node.weights) > 0, w, 0.0)  # children with weight 0 are shown, never scored
    if (w < 0).any():
        negative = [c for c, x in zip(node.children, w, strict=True) if x < 0]
        diags.append(Diagnostic("E801", Msg(
            f"weights of node {label}: {', '.join(negative)} got negative data-driven weights; set to 0",
            f"节点 {label} 的权重：{', '.join(negative)} 的数据驱动权重为负，已置为 0"), severity=Severity.WARNING))
        w = np.clip(w, 0.0, None)
    return w, diags


def _optimised(node: TreeNode, label: str, children: pd.DataFrame, p: WeightsParams, rule: NodeAggregation,
               report: dict[str, Any]) -> tuple[np.ndarray, list[Diagnostic]]:
    """Optimised weights of one node's scored children, and what they achieve (into ``report``)."""
    from citystd.engine.aggregate import aggregate
    from citystd.engine.weights import optimise

    scored = [c for c, x in zip(node.children, node.weights, strict=True) if x > 0]
    targets = (p.targets or {}).get(label) or (p.targets or {}).get(node.id)
    if targets is not None:
        if len(targets) != len(node.children):
            raise error("E801", f"optimised weights of node {label}: {len(targets)} target importances for "
                        f"{len(node.children)} children", f"节点 {label} 的优化权重：{len(node.children)} 个子节点"
                        f"却有 {len(targets)} 个目标重要性")
        targets = [t for t, x in zip(targets, node.weights, strict=True) if x > 0]
    sub = children[scored]
    complete = sub[sub.notna().all(axis=1)]

    def index_of(w: np.ndarray) -> np.ndarray:
        return aggregate(complete, w, rule.method, 0.0, node=label, p=rule.p).to_numpy(dtype=float)

    fit = optimise(sub, index_of, targets, p.estimator, node=label)
    report[label] = {c: {"target": float(fit.target[c]), "achieved": float(fit.achieved[c]),
                         "weight": float(fit.weights[c])} for c in scored}
    diags = []
    if not fit.gap <= IMPORTANCE_TOLERANCE:
        worst = max(scored, key=lambda c: abs(fit.achieved[c] - fit.target[c]))
        diags.append(Diagnostic("E811", Msg(
            f"optimised weights of node {label}: the importances reach their targets only within {fit.gap:.3f} "
            f"({worst}: {fit.achieved[worst]:.3f} for a target of {fit.target[worst]:.3f}); the children's "
            "correlations do not allow closer", f"节点 {label} 的优化权重：重要性与目标最多相差 {fit.gap:.3f}"
            f"（{worst}：{fit.achieved[worst]:.3f}，目标 {fit.target[worst]:.3f}）；子指标之间的相关性不允许更接近"),
            severity=Severity.WARNING))
    w = fit.weights.reindex(node.children).fillna(0.0).to_numpy(dtype=float)
    return w, diags


def _aggregate(spec: ScoringSpec, scores: pd.DataFrame, p: AggregateParams, weight_steps: list[WeightsParams],
               by: pd.Series | None) -> tuple[pd.DataFrame, dict[str, dict[str, float]], dict[str, Any],
                                              pd.DataFrame, list[Diagnostic]]:
    from citystd.engine.aggregate import aggregate, fill_scores
    from citystd.engine.stats import empty_records

    out: dict[str, pd.Series] = {}
    used: dict[str, dict[str, float]] = {}
    optimised: dict[str, Any] = {}
    recs = [empty_records()]
    diags: list[Diagnostic] = []
    for node in spec.nodes:  # bottom-up: one vectorised pass per node of the tree
        children = pd.DataFrame({c: out[c] if c in out else scores[c] for c in node.children}, index=scores.index)
        label = "root" if node.id == ROOT else node.id
        rule = p.rule(node.id, node.level, label)  # nodes › levels › the step
        w, wd = _node_weights(spec, node, children, weight_steps, rule, optimised)
        diags.extend(wd)
        series = aggregate(children, w, rule.method, rule.min_coverage, node=label, p=rule.p)
        if rule.fill:
            series, rec = fill_scores(series, rule.fill, by)
            if len(rec):
                recs.append(rec.assign(indicator=label))
        out[node.id] = series
        total = float(np.sum(np.clip(w, 0, None)))
        used[label] = {c: (float(x) / total if total > 0 else 0.0) for c, x in zip(node.children, w, strict=True)}
    frame = pd.DataFrame(out, index=scores.index)
    rec_all = pd.concat([r for r in recs if len(r)], ignore_index=True) if len(recs) > 1 else recs[0]
    return frame, used, optimised, rec_all, diags


def _effective(spec: ScoringSpec, used: dict[str, dict[str, float]]) -> dict[str, float]:
    eff: dict[str, float] = {c: 0.0 for c in spec.indicators}
    root = spec.nodes[-1]

    def walk(node: TreeNode, factor: float) -> None:
        label = "root" if node.id == ROOT else node.id
        for child in node.children:
            share = factor * used[label].get(child, 0.0)
            if child in eff and not any(n.id == child for n in spec.nodes):
                eff[child] += share
            else:
                walk(spec.node(child), share)

    walk(root, 1.0)
    return eff


def _ratings(spec: ScoringSpec, raw: pd.DataFrame, rate: RateParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator colours from thresholds; node colours from the indicators below each node.

    Every indicator below a node is rated with it, those with ``weight: 0`` included: they are
    shown, not scored (SDSN counts such indicators in a goal's dashboard colour).
    """
    from citystd.engine.rate import (
        colour_levels,
        levels_to_colours,
        node_colours,
        node_colours_scaled,
        scale_levels,
    )

    rated = [c for c in spec.indicators if c in spec.thresholds]

    def blank(columns: list[str]) -> pd.DataFrame:
        # None everywhere, as one read-only block of no memory: a None broadcast to the frame's shape
        # (a filled object array was 190 MB and 0.2 s at 100,000 × 200); rated columns replace theirs
        cells = np.broadcast_to(np.array(None, dtype=object), (len(raw.index), len(columns)))
        return pd.DataFrame(cells, index=raw.index, columns=columns, dtype=object, copy=False)

    ind = blank(list(spec.indicators))
    nodes = blank([n.id for n in spec.nodes])
    if not rated:
        return ind, nodes
    th = pd.DataFrame([spec.thresholds[c] for c in rated], index=rated, columns=["green", "yellow", "orange"])
    direction = pd.Series({c: spec.direction[c] for c in rated}, dtype=object)
    targets = pd.Series({c: spec.targets.get(c, (np.nan, None))[0] for c in rated}, dtype="float64")
    levels = colour_levels(raw[rated], th, direction, targets)
    colours = levels_to_colours(levels)
    for c in rated:
        ind[c] = colours[c]
    if rate.nodes == "sdsn":
        usable = [c for c in rated if c in spec.goalposts]
        gp = pd.DataFrame([spec.goalposts[c] for c in usable], index=usable, columns=["worst", "best"])
        scale = scale_levels(raw[usable], th.loc[usable], gp, direction[usable], targets[usable])
        for node in spec.nodes:
            below = [c for c in (node.shown or node.leaves) if c in spec.goalposts and c in spec.thresholds]
            if below:
                nodes[node.id] = node_colours_scaled(scale[below], rate.min_coverage)
        return ind, nodes
    for node in spec.nodes:
        below = [c for c in (node.shown or node.leaves) if c in spec.thresholds]
        if below:
            nodes[node.id] = node_colours(levels[below], rate.nodes, rate.red_share, rate.min_coverage)
    return ind, nodes


#: city-years whose leaves present are counted at a time (:func:`_coverage`)
COVERAGE_ROWS = 16_384


def _coverage(spec: ScoringSpec, raw: pd.DataFrame) -> pd.DataFrame:
    """Per node, the share of its leaves with a value: one product of the 0/1 matrix of values
    present with the nodes' leaf counts (whole numbers, so exactly the means of the booleans),
    :data:`COVERAGE_ROWS` rows at a time (the 0/1 matrix of 100,000 × 200 would be 160 MB)."""
    values = raw.to_numpy()  # a view of a frame of floats
    at = {c: j for j, c in enumerate(raw.columns)}
    member = np.zeros((len(at), len(spec.nodes)))
    for k, n in enumerate(spec.nodes):
        np.add.at(member[:, k], [at[leaf] for leaf in n.leaves], 1.0)
    size = member.sum(axis=0)
    present = np.empty((len(values), len(spec.nodes)))
    for start in range(0, len(values), COVERAGE_ROWS):
        rows = slice(start, start + COVERAGE_ROWS)
        np.matmul(pd.notna(values[rows]).astype(float), member, out=present[rows])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = present / size
    return pd.DataFrame(share, index=raw.index, columns=[n.id for n in spec.nodes], copy=False)


def _trends(spec: ScoringSpec, raw: pd.DataFrame, workers: int | None = None) -> pd.DataFrame | None:
    from citystd.engine.parallel import column_blocks, map_blocks
    from citystd.engine.trend import Panel, cagr, on_track, progress, slope

    years = raw.index.get_level_values("year")
    if years.isna().all() or years.dropna().nunique() < 2:
        return None
    cols = list(spec.indicators)
    data = raw  # the indicators' columns (run_steps: values.reindex(columns=cols))
    panel = Panel(data)  # sorted once for every trend and block of columns
    targets = {k: v for k, v in spec.targets.items() if k in cols}
    base = int(years.dropna().min())
    last = float(years.dropna().max())
    tv = pd.Series({k: v[0] for k, v in targets.items()}, dtype=float).reindex(cols)
    ty = pd.Series({k: (v[1] if v[1] is not None else np.nan) for k, v in targets.items()}, dtype=float).reindex(cols)
    direction = pd.Series({k: spec.direction[k] for k in cols}, dtype=object)

    def block(b: slice) -> dict[str, pd.DataFrame]:
        p, part = panel.block(b), data.iloc[:, b]
        out = {"cagr": cagr(part, panel=p), "slope": slope(part, panel=p)}
        if targets:
            out["progress"] = progress(part, tv, base, panel=p)
            out["status"] = on_track(part, tv, ty.fillna(last), direction, panel=p)
        return out

    parts = map_blocks(block, column_blocks(len(panel.y), len(cols)), workers)
    long = []
    for key in parts[0] if parts else ():
        frame = pd.concat([part[key] for part in parts], axis=1) if len(parts) > 1 else parts[0][key]
        long.append(frame.stack(future_stack=True).rename(key))
    out = pd.concat(long, axis=1)
    out.index = out.index.set_names(["unit", "indicator"])
    return out


def vary(spec: ScoringSpec, sets: list[str]) -> ScoringSpec:
    """A copy of ``spec`` with ``step.param=value`` overrides (for sensitivity analysis)."""
    return replace(spec, steps=tuple(apply_sets(list(spec.steps), sets)))
