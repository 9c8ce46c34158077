"""Audit speed and memory (issue 12's targets), beside a plain loop over the engine's run().

Run:  .venv/bin/python benchmarks/bench_audit.py [asem] [large] [dask] [--loop 100]

- ``asem``: COINr's ASEM example (tests/data/asem, imported with `citystd import coinr`), with
  ``normalise.range = [1, 100]`` so that geometric means never meet a 0; inputs winmax 1–5,
  normalisation minmax / percentile_rank, aggregation arithmetic / geometric, weights ±25 %:
  (1) uncertainty only, N = 1,000 replications; (2) Sobol design N = 1,000, d = 4 (6,000
  replications). The baseline is a plain loop over ``run(replication_spec(…))`` — one full
  pipeline per replication, as COINr rebuilds its coin — timed on ``--loop`` replications and
  given per replication and extrapolated.
- ``large``: a synthetic 300 cities × 380 indicators framework (root → 10 domains → 38 groups →
  indicators, goalposts), N = 4,096, d = 6 (32,768 replications).
- ``dask``: a synthetic 11,000 units × 100 indicators on a local Dask cluster of processes (all
  cores), 2,000 replications (uncertainty only), with time and the peak memory of this process and
  of the workers.

Peak memory is the process's ru_maxrss (and the workers' as Dask reports it).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def asem_case(tmp: Path):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from citystd.assessment.prepare import prepare
    from citystd.cli import app
    from citystd.engine.pipeline import build_spec
    from citystd.library.select import load_framework

    out = tmp / "asem"
    r = CliRunner().invoke(app, ["import", "coinr", str(ROOT / "tests/data/asem/iData.csv"),
                                 str(ROOT / "tests/data/asem/iMeta.csv"), "-o", str(out), "--framework-id", "asem"])
    assert r.exit_code == 0, r.output
    lib, fw = load_framework("asem", [out])
    spec = build_spec(lib, fw, ["normalise.range=[1, 100]"])
    prep = prepare(out / "data.csv", lib, fw, spec)
    return fw, spec, prep.values, prep.city.attributes


def parse(raw: list[dict], fw) -> list:  # type: ignore[no-untyped-def]
    from citystd.library.uncertainty import parse_uncertainty

    inputs, diags = parse_uncertainty(raw, fw, lambda _p, key=False: None)
    assert not [d for d in diags if d.level.value == "error"], diags
    return inputs


def loop_baseline(spec, values, attributes, inputs, n: int, sensitivity: bool, count: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds per replication of a plain loop over run() on the first ``count`` replications."""
    from citystd.assessment.audit.design import make_design
    from citystd.assessment.audit.evaluate import TreePlan, replication_spec
    from citystd.diagnostics import CitystdError
    from citystd.engine.pipeline import run

    plan = TreePlan.of(spec)
    design = make_design(inputs, n, 1, sensitivity=sensitivity, weight_slots=plan.slot_level)
    t = time.perf_counter()
    for r in range(count):
        try:
            run(replication_spec(spec, plan, design, r), values, attributes)
        except CitystdError:
            pass
    return (time.perf_counter() - t) / count


def timed_audit(spec, values, attributes, inputs, n: int, sensitivity: bool, executor=None):  # type: ignore[no-untyped-def]
    from citystd.assessment.audit.document import build_document, dumps
    from citystd.assessment.audit.run import Options, audit

    t = time.perf_counter()
    a = audit(spec, values, attributes, inputs, Options(n=n, seed=1, sensitivity=sensitivity), executor=executor)
    doc = dumps(build_document(a))
    return time.perf_counter() - t, a, len(doc)


def bench_asem(loop: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fw, spec, values, attributes = asem_case(Path(tmp))
        inputs = parse([
            {"name": "winmax", "step": "treat", "param": "winmax", "values": [1, 2, 3, 4, 5]},
            {"name": "normalisation", "step": "normalise", "param": "method", "values": ["minmax", "percentile_rank"]},
            {"name": "aggregation", "step": "aggregate", "param": "method", "values": ["arithmetic", "geometric"]},
            {"name": "weights", "weights_noise": 0.25},
        ], fw)
        timed_audit(spec, values, attributes, inputs, 8, False)  # warm-up: imports
        per = loop_baseline(spec, values, attributes, inputs, 1000, False, loop)
        for label, sens, reps in (("uncertainty, N = 1,000", False, 1000), ("Sobol, N = 1,000, d = 4", True, 6000)):
            secs, a, size = timed_audit(spec, values, attributes, inputs, 1000, sens)
            print(f"| ASEM 51 × 49, {label} | {reps:,} | {secs:.2f} s | {a.upstream_runs} | {per:.4f} s × {reps:,} = "
                  f"{per * reps:.0f} s | {per * reps / secs:.0f}× | {len(a.failed)} | {size / 1e6:.1f} MB | "
                  f"{rss_mb():.0f} MB |")


def synthetic(units: int, n_ind: int, groups: int, domains: int, seed: int = 3):  # type: ignore[no-untyped-def]
    from citystd.engine.pipeline import ROOT as ROOT_ID
    from citystd.engine.pipeline import ScoringSpec, TreeNode
    from citystd.library.pipeline import AggregateParams, NormaliseParams, TreatParams

    rng = np.random.default_rng(seed)
    base = rng.lognormal(0, 0.6, (units, n_ind)) * rng.lognormal(0, 0.3, (1, n_ind))
    base[rng.random(base.shape) < 0.03] = np.nan
    inds = tuple(f"i{j}" for j in range(n_ind))
    idx = pd.MultiIndex.from_arrays([[f"c{u}" for u in range(units)], pd.array([2024] * units, dtype="Int64")],
                                    names=["unit", "year"])
    values = pd.DataFrame(base, index=idx, columns=list(inds))
    lo, hi = np.nanpercentile(base, 2, axis=0), np.nanpercentile(base, 98, axis=0)
    nodes = []
    per_g = n_ind // groups
    g_ids = []
    for g in range(groups):
        kids = inds[g * per_g:(g + 1) * per_g] if g < groups - 1 else inds[g * per_g:]
        nodes.append(TreeNode(f"g{g}", {"zh": "组", "en": "group"}, kids, tuple(1.0 for _ in kids), 1, kids, kids))
        g_ids.append(f"g{g}")
    per_d = groups // domains
    d_ids = []
    for d in range(domains):
        kids = tuple(g_ids[d * per_d:(d + 1) * per_d] if d < domains - 1 else g_ids[d * per_d:])
        nodes.append(TreeNode(f"d{d}", {"zh": "域", "en": "domain"}, kids, tuple(1.0 for _ in kids), 2, (), ()))
        d_ids.append(f"d{d}")
    nodes.append(TreeNode(ROOT_ID, {"zh": "总", "en": "all"}, tuple(d_ids), tuple(1.0 for _ in d_ids), 3, inds, inds))
    spec = ScoringSpec("synthetic", "1.0.0", {"zh": "合成", "en": "synthetic"}, inds, dict.fromkeys(inds, "higher"),
                       {c: (float(a), float(b)) for c, a, b in zip(inds, lo, hi, strict=True)}, {}, {}, tuple(nodes),
                       (("treat", TreatParams(fallback="none")), ("normalise", NormaliseParams(range=(1.0, 100.0))),
                        ("aggregate", AggregateParams())))
    return spec, values


def bench_large(loop: int) -> None:
    from citystd.library.models import Framework, Leaf

    spec, values = synthetic(300, 380, 38, 10)
    fw = Framework(id="synthetic", version="1.0.0", name={"zh": "合成", "en": "synthetic"},
                   tree=[Leaf(indicator=i) for i in spec.indicators])
    inputs = parse([
        {"name": "winmax", "step": "treat", "param": "winmax", "values": [1, 3, 5]},
        {"name": "normalisation", "step": "normalise", "param": "method", "values": ["goalposts", "minmax"]},
        {"name": "aggregation", "step": "aggregate", "param": "method", "values": ["arithmetic", "geometric"]},
        {"name": "impute", "step": "impute", "param": "method", "values": ["off", "mean"]},
        {"name": "weights", "weights_noise": 0.25},
        {"name": "drop", "exclude": "indicators"},
    ], fw)
    per = loop_baseline(spec, values, None, inputs, 4096, True, max(5, loop // 10))
    secs, a, size = timed_audit(spec, values, None, inputs, 4096, True)
    reps = a.design.rows
    print(f"| synthetic 300 × 380, Sobol, N = 4,096, d = 6 | {reps:,} | {secs:.1f} s | {a.upstream_runs} | "
          f"{per:.3f} s × {reps:,} = {per * reps / 3600:.1f} h | {per * reps / secs:.0f}× | {len(a.failed)} | "
          f"{size / 1e6:.1f} MB | {rss_mb():.0f} MB |")


def bench_dask() -> None:
    from citystd.assessment.audit.executors import DaskExecutor
    from citystd.library.models import Framework, Leaf

    spec, values = synthetic(11_000, 100, 20, 5)
    fw = Framework(id="synthetic", version="1.0.0", name={"zh": "合成", "en": "synthetic"},
                   tree=[Leaf(indicator=i) for i in spec.indicators])
    inputs = parse([
        {"name": "normalisation", "step": "normalise", "param": "method", "values": ["goalposts", "minmax"]},
        {"name": "weights", "weights_noise": 0.25},
        {"name": "drop", "exclude": "indicators"},
    ], fw)
    ex = DaskExecutor(workers=None)
    try:
        secs, a, size = timed_audit(spec, values, None, inputs, 2000, False, executor=ex)
        workers = ex.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    finally:
        ex.close()
    print(f"| synthetic 11,000 × 100, uncertainty, local Dask cluster ({len(workers)} worker processes) | "
          f"{a.design.rows:,} | {secs:.1f} s | {a.upstream_runs} | — | — | {len(a.failed)} | {size / 1e6:.1f} MB | "
          f"{rss_mb():.0f} MB (client) + {max(workers.values()):.0f} MB per worker |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", nargs="*", default=["asem"])
    ap.add_argument("--loop", type=int, default=100)
    args = ap.parse_args()
    print("| case | replications | citystd audit | upstream runs | loop over run() | speed-up | failed | JSON | "
          "peak memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    sys.stdout.flush()
    if "asem" in args.which:
        bench_asem(args.loop)
    if "large" in args.which:
        bench_large(args.loop)
    if "dask" in args.which:
        bench_dask()


if __name__ == "__main__":
    main()
