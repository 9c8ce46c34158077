"""The batched evaluation equals a plain loop over the engine's run(); ranks and rank statistics;
properties: no uncertainty collapses every interval, permuting cities permutes results; identical
results serial and in a process pool."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.assessment.audit.design import make_design
from citystd.assessment.audit.evaluate import (
    Problem,
    TreePlan,
    aggregate_params,
    evaluate_chunk,
    replication_ranks,
    replication_spec,
    spec_with,
    step_choices,
    upstream,
)
from citystd.assessment.audit.executors import Processes, Serial
from citystd.assessment.audit.ranks import RankStats, sport_ranks
from citystd.assessment.audit.run import Options, audit
from citystd.engine.pipeline import ROOT, run
from citystd.engine.rank import rank
from citystd.library.uncertainty import parse_uncertainty

RAW = [
    {"name": "winmax", "step": "treat", "param": "winmax", "values": [1, 3, 5]},
    {"name": "range", "step": "normalise", "param": "range", "values": [[0, 100], [1, 100]]},
    {"name": "aggregation", "step": "aggregate", "param": "method", "values": ["arithmetic", "geometric"]},
    {"name": "impute", "step": "impute", "param": "method", "values": ["group_mean", "off"]},
    {"name": "weights", "weights_noise": 0.3},
    {"name": "drop", "exclude": "indicators"},
]


def inputs_for(fw, raw=RAW):  # type: ignore[no-untyped-def]
    inputs, diags = parse_uncertainty(raw, fw, lambda _p, key=False: None)
    assert not [d for d in diags if d.level.value == "error"], diags
    return inputs


def test_batched_replications_equal_a_loop_over_run(asem) -> None:  # type: ignore[no-untyped-def]
    """Every replication of a small design, batched, gives the engine's scores and ranks."""
    inputs = inputs_for(asem.fw)
    plan = TreePlan.of(asem.spec)
    design = make_design(inputs, 4, 5, sensitivity=True, weight_slots=plan.slot_level)
    rows = asem.values.index
    nominal = run(asem.spec, asem.values, asem.attributes)
    nom_ranks = sport_ranks(nominal.nodes[list(plan.node_ids)].to_numpy(dtype=float).T)
    ucols = [0, 1, 3]
    ups, row_up, seen = [], np.zeros(design.rows, dtype=int), {}
    aggs, row_agg = [], np.zeros(design.rows, dtype=int)
    for r in range(design.rows):
        key = tuple(design.choices[r, ucols])
        if key not in seen:
            choices = step_choices(tuple(inputs[i] for i in ucols), design.choices[r, ucols])
            seen[key] = len(ups)
            ups.append(upstream(spec_with(asem.spec, choices), asem.values, asem.attributes, rows, plan))
        row_up[r] = seen[key]
        aggs.append(aggregate_params(asem.spec, step_choices((inputs[2],), design.choices[r, [2]])))
        row_agg[r] = r
    problem = Problem(plan, design, ups, row_up, aggs, row_agg, nom_ranks, tuple(map(str, rows.get_level_values(0))),
                      rows)
    ranks, failed = replication_ranks(problem, np.arange(design.rows))
    res = evaluate_chunk(problem, np.arange(design.rows))  # the task: counts of the same ranks
    want_stats = RankStats(nom_ranks, tally=True)
    want_stats.add(ranks[[r for r in range(design.rows) if r not in failed]])
    got_stats = RankStats(nom_ranks, tally=True)
    got_stats.merge_runs(res.stats)
    np.testing.assert_array_equal(got_stats.counts, want_stats.counts)
    assert res.failed == failed
    checked = 0
    for r in range(design.rows):
        spec_r = replication_spec(asem.spec, plan, design, r)
        try:
            s = run(spec_r, asem.values, asem.attributes)
        except Exception as exc:  # geometric mean of a 0 score: the batched path fails it too
            assert r in failed and "E802" in failed[r], (r, exc)
            continue
        assert r not in failed
        want = rank(s.nodes).reindex(rows)[list(plan.node_ids)].to_numpy(dtype=float, na_value=np.nan).T
        np.testing.assert_array_equal(ranks[r], np.nan_to_num(want).astype(int))
        checked += 1
    assert checked >= design.rows // 3


def test_nominal_batched_scores_equal_the_engine(asem) -> None:  # type: ignore[no-untyped-def]
    a = audit(asem.spec, asem.values, asem.attributes, [], Options(n=4))
    s = run(asem.spec, asem.values, asem.attributes)
    np.testing.assert_allclose(a.nominal_scores[-1], s.nodes[ROOT].to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(a.nominal_ranks[-1], s.node_ranks[ROOT].to_numpy(dtype=int))


def test_no_uncertainty_collapses_every_interval(asem) -> None:  # type: ignore[no-untyped-def]
    a = audit(asem.spec, asem.values, asem.attributes, [], Options(n=16))
    nominal = a.nominal_ranks.astype(float)
    for p in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(a.stats.quantile(p), nominal)
    assert np.nanmax(a.mean_shift) == 0 and not a.sobol


def test_identical_serial_and_process_pool(asem) -> None:  # type: ignore[no-untyped-def]
    from citystd.assessment.audit.document import build_document, dumps

    inputs = inputs_for(asem.fw)
    opts = Options(n=16, seed=3)
    one = dumps(build_document(audit(asem.spec, asem.values, asem.attributes, inputs, opts, executor=Serial())))
    two = dumps(build_document(audit(asem.spec, asem.values, asem.attributes, inputs, opts, executor=Processes(2))))
    assert one == two
    again = dumps(build_document(audit(asem.spec, asem.values, asem.attributes, inputs, opts, executor=Serial())))
    assert again == one


def test_permuting_cities_permutes_results(asem) -> None:  # type: ignore[no-untyped-def]
    inputs = inputs_for(asem.fw, RAW[:3] + RAW[4:])
    opts = Options(n=8, seed=2)
    a = audit(asem.spec, asem.values, asem.attributes, inputs, opts)
    perm = np.random.default_rng(0).permutation(len(asem.values))
    b = audit(asem.spec, asem.values.iloc[perm], asem.attributes.iloc[perm], inputs, opts)
    order = [b.units.index(u) for u in a.units]
    np.testing.assert_array_equal(b.nominal_ranks[:, order], a.nominal_ranks)
    for p in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(b.stats.quantile(p)[:, order], a.stats.quantile(p))
    np.testing.assert_allclose(b.mean_shift, a.mean_shift, rtol=0, atol=1e-12)
    assert [d.mean_abs_rank_change for d in b.drop_one] == pytest.approx([d.mean_abs_rank_change for d in a.drop_one])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-3, 3).map(float)), min_size=5, max_size=5),
                min_size=1, max_size=6))
def test_sport_ranks_equal_the_engine(rows: list[list[float | None]]) -> None:
    x = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
    got = sport_ranks(x)
    for i, r in enumerate(x):
        want = rank(pd.Series(r)).to_numpy(dtype=float, na_value=0)
        np.testing.assert_array_equal(got[i], want.astype(int))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=60), st.sampled_from([0.05, 0.5, 0.95, 0.0, 1.0]))
def test_streamed_percentiles_equal_numpy(ranks: list[int], p: float) -> None:
    stats = RankStats(np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9]]))
    arr = np.zeros((len(ranks), 1, 9), dtype=int)
    arr[:, 0, 0] = ranks
    half = len(ranks) // 2
    stats.add(arr[:half])
    stats.add(arr[half:])  # two chunks add up to one
    assert stats.quantile(p)[0, 0] == pytest.approx(np.percentile(ranks, p * 100))


def test_binned_statistics_never_narrow_the_interval() -> None:
    nominal = np.arange(1, 101)[None, :]
    stats = RankStats.for_units(nominal, cells=100 * 30)
    assert stats.resolution > 1
    rng = np.random.default_rng(1)
    r = rng.integers(1, 101, size=(500, 1, 100))
    stats.add(r)
    lo, hi = stats.quantile(0.05, "low")[0], stats.quantile(0.95, "high")[0]
    assert (lo <= np.percentile(r[:, 0], 5, axis=0)).all() and (hi >= np.percentile(r[:, 0], 95, axis=0)).all()


def test_resumed_steps_equal_one_run(asem) -> None:  # type: ignore[no-untyped-def]
    """run_steps stopped after any step and resumed (twice, from the same state) equals one run."""
    from citystd.engine.pipeline import pipeline_steps, run_steps

    whole = run(asem.spec, asem.values, asem.attributes)
    for k in range(len(pipeline_steps(asem.spec)) + 1):
        part = run_steps(asem.spec, asem.values, asem.attributes, stop=k)
        assert part.done == k
        for _ in range(2):  # the state is not changed by resuming from it
            done = run_steps(asem.spec, asem.values, asem.attributes, resume=part)
            pd.testing.assert_frame_equal(done.node_scores, whole.nodes)
            pd.testing.assert_frame_equal(done.current[list(asem.spec.indicators)], whole.scores)
            assert [d.code for d in done.diagnostics] == [d.code for d in whole.diagnostics]


def test_shared_upstreams_equal_separate_runs(asem) -> None:  # type: ignore[no-untyped-def]
    """Upstreams computed with shared prefixes of steps equal each configuration run on its own."""
    from citystd.assessment.audit.evaluate import upstreams

    inputs = inputs_for(asem.fw, [RAW[0], RAW[1], RAW[3]])
    plan = TreePlan.of(asem.spec)
    design = make_design(inputs, 8, 1, sensitivity=False, weight_slots=plan.slot_level)
    keys = np.unique(design.choices, axis=0)
    specs = [asem.spec] + [spec_with(asem.spec, step_choices(tuple(inputs), key)) for key in keys]
    rows = asem.values.index
    shared = upstreams(specs, asem.values, asem.attributes, rows, plan)
    for spec, up in zip(specs, shared, strict=True):
        alone = run(spec, asem.values, asem.attributes)
        np.testing.assert_array_equal(up.scores, alone.scores.reindex(rows).to_numpy(dtype=float))
        np.testing.assert_allclose(up.weights, plan.used_weights(alone.node_weights), rtol=0, atol=1e-15)


@pytest.mark.parametrize("method", ["entropy", "critic", "pca"])
def test_data_driven_weights_are_estimated_per_upstream_configuration(asem, method: str) -> None:  # type: ignore[no-untyped-def]
    """With data-driven weights, each upstream configuration (here: normalisation, winsorisation,
    aggregation) gets the weights the engine estimates on its own scores."""
    from dataclasses import replace

    from citystd.assessment.audit.evaluate import data_driven, upstream_columns, upstreams
    from citystd.engine.pipeline import apply_sets

    sets = [f"weights.method={method}", "normalise.range=[1, 100]"]
    if method == "pca":  # PCA of two children (the root's) has no usable first component
        sets.append("weights.nodes=[physical, political, instit, p2p, environ, social]")
    spec = replace(asem.spec, steps=tuple(apply_sets(list(asem.spec.steps), sets)))
    inputs = inputs_for(asem.fw, [RAW[0], {"name": "normalisation", "step": "normalise", "param": "method",
                                           "values": ["minmax", "percentile_rank"]}, RAW[2]])
    assert data_driven(spec, tuple(inputs))
    assert upstream_columns(tuple(inputs), True) == [0, 1, 2]  # aggregation joins the upstream
    plan = TreePlan.of(spec)
    design = make_design(inputs, 8, 4, sensitivity=False, weight_slots=plan.slot_level)
    keys = np.unique(design.choices, axis=0)
    specs = [spec_with(spec, step_choices(tuple(inputs), key)) for key in keys]
    ups = upstreams(specs, asem.values, asem.attributes, asem.values.index, plan)
    distinct = {tuple(np.round(u.weights, 12)) for u in ups}
    assert len(distinct) > 1  # the estimates differ between configurations
    for s, up in zip(specs, ups, strict=True):
        alone = run(s, asem.values, asem.attributes)
        np.testing.assert_allclose(up.weights, plan.used_weights(alone.node_weights), rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 3), st.integers(1, 12), st.integers(1, 4), st.integers(0, 10_000))
def test_counts_equal_a_plain_histogram(reps: int, nodes: int, units: int, resolution: int, seed: int) -> None:
    """Counting run by run (only the bins seen) equals a bincount over every (node, unit, bin)."""
    rng = np.random.default_rng(seed)
    nominal = rng.integers(0, units + 1, size=(nodes, units))
    stats = RankStats(nominal, resolution)
    ranks = rng.integers(0, units + 1, size=(reps, nodes, units))
    cut = int(rng.integers(0, reps + 1))
    stats.add(ranks[:cut])
    stats.add(ranks[cut:])
    b = np.where(ranks > 0, (ranks - 1) // resolution + 1, 0)
    flat = (np.arange(nodes)[:, None] * units + np.arange(units)[None, :])[None] * stats.bins + b
    want = np.bincount(flat.ravel(), minlength=stats.counts.size).reshape(stats.counts.shape)
    np.testing.assert_array_equal(stats.counts, want)
    np.testing.assert_array_equal(stats.total, ranks.sum(axis=0))
    blocked = RankStats(nominal, resolution)  # runs worked through in blocks of a few cells
    blocked.merge_runs(blocked.runs(blocked.binned(ranks), *blocked.sums(ranks), block=max(1, reps * 2)))
    np.testing.assert_array_equal(blocked.counts, want)


def test_batched_path_follows_per_node_rules(asem) -> None:  # type: ignore[no-untyped-def]
    """Per-node rules (power mean at the root, coverage and fill at level 1, a geometric node) in the
    batched aggregation give the engine's scores."""
    from dataclasses import replace

    from citystd.engine.pipeline import vary

    # without imputation and screening, so that node scores are missing and the level-1 fill works
    no_impute = replace(asem.spec, steps=tuple((n, p) for n, p in asem.spec.steps if n not in ("impute", "screen")))
    conn = next(n.id for n in asem.spec.nodes if n.id.lower() == "conn")
    spec = vary(no_impute, ["normalise.range=[1, 100]",
                            f"aggregate.nodes={{root: {{method: power, p: 0.5}}, {conn}: geometric}}",
                            "aggregate.levels={1: {min_coverage: 0.9, fill: mean}}"])
    a = audit(spec, asem.values, asem.attributes, [], Options(n=4))
    s = run(spec, asem.values, asem.attributes)
    plan = TreePlan.of(spec)
    want = s.nodes[list(plan.node_ids)].to_numpy(dtype=float).T
    assert any(r.action == "filled:mean" for r in s.records.itertuples())  # the level-1 fill did something
    np.testing.assert_allclose(a.nominal_scores, want, rtol=0, atol=1e-10)
