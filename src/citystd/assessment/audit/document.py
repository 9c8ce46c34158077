"""The audit as a JSON document (the contract is docs/audit.md). Deterministic: the same data,
framework, uncertainty and seed give byte-identical JSON whatever executor ran the replications
(nothing about the machine, the executor or the time goes into it)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from citystd import __version__
from citystd.assessment.audit.run import Audit
from citystd.library.uncertainty import Exclusion, StepInput, WeightNoise

KIND = "citystd-audit"
SCHEMA = 1


def _num(x: Any) -> float | None:
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) or math.isinf(v) else v


def _nums(a: Any) -> list[Any]:
    arr = np.asarray(a, dtype=float)
    if arr.ndim > 1:
        return [_nums(r) for r in arr]
    return [_num(v) for v in arr]


def input_doc(inp: Any) -> dict[str, Any]:
    if isinstance(inp, StepInput):
        return {"name": inp.name, "kind": "step", "step": inp.step, "param": inp.param, "values": list(inp.values)}
    if isinstance(inp, WeightNoise):
        return {"name": inp.name, "kind": "weights_noise", "noise": inp.noise,
                "levels": list(inp.levels) if inp.levels is not None else None}
    assert isinstance(inp, Exclusion)
    return {"name": inp.name, "kind": "exclude", "exclude": inp.what, "level": inp.level,
            "elements": list(inp.elements)}


def build_document(a: Audit, *, names: dict[str, dict[str, str]] | None = None,
                   input_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit document; ``names`` maps indicator and node ids to {zh, en} names."""
    spec, plan, design = a.spec, a.plan, a.design
    names = names or {}
    order = list(range(len(plan.node_ids) - 1, -1, -1))  # root first
    labels = [plan.labels[n] for n in order]
    stats = a.stats
    units = list(a.units)
    q05 = stats.quantile(0.05, "low") if stats is not None else None
    q50 = stats.quantile(0.5) if stats is not None else None
    q95 = stats.quantile(0.95, "high") if stats is not None else None
    mean = stats.mean() if stats is not None else None
    shift = stats.mean_abs_shift() if stats is not None else None
    counted = stats.n if stats is not None else None

    def rank_entry(n: int, u: int) -> dict[str, Any]:
        r = int(a.nominal_ranks[n, u])
        e = {"score": _num(a.nominal_scores[n, u]), "rank": r or None}
        if stats is not None:
            e.update({"median_rank": _num(q50[n, u]), "q05": _num(q05[n, u]), "q95": _num(q95[n, u]),
                      "mean_rank": _num(mean[n, u]), "mean_abs_shift": _num(shift[n, u]),
                      "replications": int(counted[n, u])})
        return e

    ranks = []
    for u, city in enumerate(units):
        row = {"city": city, **rank_entry(order[0], u)}
        row["nodes"] = {plan.labels[n]: rank_entry(n, u) for n in order[1:]}
        ranks.append(row)

    effw = a.effective_weights
    w_total = sum(effw.get(i, 0.0) for i in plan.indicators)
    eta = a.main_effects["eta2"]
    eta_total = float(np.nansum(eta))
    main = [{"indicator": ind, "effective_weight": _num(effw.get(ind, 0.0)),
             "weight_share": _num(effw.get(ind, 0.0) / w_total if w_total else None),
             "eta2": _num(eta[j]), "eta2_share": _num(eta[j] / eta_total if eta_total else None),
             "r2": _num(a.main_effects["r2"][j])} for j, ind in enumerate(plan.indicators)]

    coherence = []
    for c in a.coherence:
        coherence.append({
            "node": c.id, "level": c.level, "effective_weight": _num(c.effective_weight), "children": c.children,
            "cronbach_alpha": _num(c.alpha),
            "pca": {"variance_share": _nums(c.pca_share), "loadings": _nums(c.pca_loadings), "units": c.pca_units},
            "pearson": {"with_node": _nums(c.pearson_parent), "among": _nums(c.pearson_siblings)},
            "spearman": {"with_node": _nums(c.spearman_parent), "among": _nums(c.spearman_siblings)},
            "flags": c.flags,
        })

    sensitivity = []
    for output, s in a.sobol.items():
        sensitivity.append({
            "output": output, "variance": _num(s.variance), "base_samples": s.n,
            "indices": [{"input": inp.name, "first": _num(s.first[i]), "first_ci": _nums(s.first_ci[i]),
                         "total": _num(s.total[i]), "total_ci": _nums(s.total_ci[i])}
                        for i, inp in enumerate(design.inputs)],
        })

    block_names = ["A", "B"] + [f"AB:{inp.name}" for inp in design.inputs]
    rep_rows = []
    for r in range(design.rows):
        row: list[Any] = [r, block_names[int(design.blocks[r])] if design.sensitivity else "sample"]
        for i, inp in enumerate(design.inputs):
            c = int(design.choices[r, i])
            row.append(c if isinstance(inp, WeightNoise) else inp.values[c])
        row.append(_num(a.mean_shift[r]))
        if a.target_rank is not None:
            row.append(_num(a.target_rank[r]))
        rep_rows.append(row)
    columns = ["row", "block", *[inp.name for inp in design.inputs], "mean_abs_rank_shift"]
    if a.target_rank is not None:
        columns.append(f"rank:{a.options.city}")

    fw_names = {"nodes": {plan.labels[n]: names.get(plan.node_ids[n]) or names.get(plan.labels[n])
                          for n in order},
                "indicators": {i: names.get(i) for i in plan.indicators}}
    return {
        "kind": KIND, "schema": SCHEMA, "citystd_version": __version__,
        "framework": {"id": spec.framework_id, "version": spec.version, "name": spec.name, "sha256": spec.sha256()},
        "input": input_info or {},
        "year": a.year,
        "settings": {
            "n": design.n, "seed": design.seed, "design": "saltelli" if design.sensitivity else "sobol-points",
            "replications": design.rows, "rank_statistics_from": "A and B blocks" if design.sensitivity else "all",
            "bootstrap_resamples": a.options.resamples, "confidence": a.options.level,
            "rank_resolution": stats.resolution if stats is not None else 1,
            "upstream_runs": a.upstream_runs, "units": len(units),
        },
        "pipeline": spec.steps_as_dicts(),
        "uncertainty": [input_doc(inp) for inp in design.inputs],
        "names": fw_names,
        "tree": [{"node": plan.labels[n], "level": plan.levels[n],
                  "children": list(plan.slot_child[plan.slot_start[n]:plan.slot_start[n + 1]])} for n in order],
        "coherence": {"nodes": coherence, "main_effects": main, "size": a.size},
        "drop_one": [{"kind": d.kind, "element": d.element, "level": d.level,
                      "mean_abs_rank_change": _num(d.mean_abs_rank_change),
                      "max_abs_rank_change": d.max_abs_rank_change} for d in a.drop_one],
        "ranks": ranks,
        "node_order": labels,
        "sensitivity": sensitivity,
        "replications": {"columns": columns, "rows": rep_rows,
                         "weight_sets": "weight set m multiplies the weights by 1 + (2v − 1)·noise, v from "
                                        "numpy's default_rng(SeedSequence([seed, 1])).random((n, slots))"
                         if any(isinstance(i, WeightNoise) for i in design.inputs) else None},
        "failed": [{"row": r, "reason": a.failed[r]} for r in sorted(a.failed)],
        "diagnostics": [{**d.to_dict("en"), "message": {"en": d.message.en, "zh": d.message.zh},
                         "hint": {"en": d.hint.en, "zh": d.hint.zh} if d.hint else None} for d in a.diagnostics],
    }


def dumps(doc: dict[str, Any]) -> bytes:
    """Deterministic JSON: one replication per line, the rest compact."""
    import orjson

    reps = doc["replications"]["rows"]
    head = orjson.dumps({**doc, "replications": {**doc["replications"], "rows": []}})
    body = b",\n".join(orjson.dumps(r) for r in reps)
    marker = b'"rows":[]'
    at = head.rindex(marker)
    return head[:at] + b'"rows":[\n' + body + b"\n]" + head[at + len(marker):] + b"\n"
