"""Audit speed and memory (issue 12's targets), beside a plain loop over the engine's run().

Run:  .venv/bin/python benchmarks/bench_audit.py [asem] [large] [dask] [--loop 100]

- ``asem``: COINr's ASEM example (tests/data/asem, imported with `citystd import coinr`), with
  ``normalise.range = [1, 100]`` so that geometric means never meet a 0; inputs winmax 1–5,
  normalisation minmax / percentile_rank, aggregation arithmetic / geometric, weights ±25 %:
  (1) uncertainty only, N = 1,000 replications; (2) Sobol design N = 1,000, d = 4 (6,000
  replications). The baseline is a plain loop over ``run(replication_spec(…))`` — one full
  pipeline per replication, as COINr rebuilds its coin — timed on ``--loop`` replications and
  given per replication and extrapolated.
- ``large``: the built-in library — framework action-plan, 383 indicators in 13 domains — on 300
  fictional cities made by examples/make_examples.py's machinery (its 30 example cities and 270
  more from the same typical-city profile, seeded: :func:`example_cities`), Sobol N = 4,096, d = 6
  (impute off/mean, treat off/winmax 5, normalise goalposts/minmax, aggregate min_coverage
  0.5/0.75, weights ±25 %, drop-one over indicators): 32,768 replications; timed end to end
  (read, derive, audit, JSON).
- ``dask``: a synthetic 11,000 units × 100 indicators (root → 5 domains → 20 groups), 2,000
  replications (uncertainty only: normalisation goalposts/minmax, weights ±25 %, drop-one over
  indicators) on a local Dask cluster of processes (all cores), then in this process alone; time
  and the peak memory of this process and of the workers.

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


def children_rss_mb() -> float:
    """Peak resident memory of the largest worker process this process waited for (0: none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


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


def example_cities(count: int, out: Path) -> Path:
    """``count`` fictional cities for the built-in library, made by examples/make_examples.py's own
    machinery (the typical-city profile, seeded): its 30 cities, then more of the same kind
    (regions in the examples' proportions, each city seeded by its index), for 2023, as a wide CSV."""
    import csv
    import importlib.util

    from citystd.library.validate import validate

    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    mk = importlib.util.module_from_spec(spec)
    sys.modules["make_examples"] = mk
    spec.loader.exec_module(mk)
    lib, _ = validate()
    model = mk.build_model(lib, mk.load_profile())
    names = list(mk.CITIES)
    names += [(f"虚构市{k:03d}", mk.CITIES[k % len(mk.CITIES)][1]) for k in range(len(names), count)]
    cities = mk.make_cities(names[:count])
    ids = mk.profile_ids(lib)
    path = out / f"cities-{count}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["city", "region", "year", *ids])
        for c in cities:
            vals = mk.generate_city(model, c, mk.BASE_YEAR)
            w.writerow([c.name, mk.REGION_EN[c.region], mk.BASE_YEAR, *(mk._fmt(vals[i]) for i in ids)])
    return path


LARGE_INPUTS = [
    {"name": "impute", "step": "impute", "param": "method", "values": ["off", "mean"]},
    {"name": "treat", "step": "treat", "param": "winmax", "values": ["off", 5]},
    {"name": "normalisation", "step": "normalise", "param": "method", "values": ["goalposts", "minmax"]},
    {"name": "coverage", "step": "aggregate", "param": "min_coverage", "values": [0.5, 0.75]},
    {"name": "weights", "weights_noise": 0.25},
    {"name": "drop", "exclude": "indicators"},
]


def bench_large(loop: int, cities: int = 300, n: int = 4096) -> None:
    """The built-in framework action-plan (383 indicators) on 300 example cities, Sobol N = 4,096, d = 6."""
    from citystd.assessment.audit.document import dumps
    from citystd.assessment.audit.io import audit_data
    from citystd.assessment.prepare import prepare
    from citystd.engine.pipeline import build_spec
    from citystd.library.select import load_framework
    from citystd.library.uncertainty import parse_uncertainty

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        data = example_cities(cities, Path(tmp))
        made = time.perf_counter() - t
        lib, fw = load_framework("action-plan")
        spec = build_spec(lib, fw)
        prep = prepare(data, lib, fw, spec)
        inputs, _ = parse_uncertainty(LARGE_INPUTS, fw, lambda _p, key=False: None)
        per = loop_baseline(spec, prep.values, prep.city.attributes, inputs, n, True, max(3, loop // 20))
        base = rss_mb()
        t = time.perf_counter()
        out = audit_data(data, "action-plan", LARGE_INPUTS, n=n, seed=1)
        assert out.document is not None, out.diagnostics
        size = len(dumps(out.document))
        secs = time.perf_counter() - t
        st = out.document["settings"]
        reps = st["replications"]
        print(f"| action-plan ({len(spec.indicators)} indicators) × {cities} example cities, Sobol, N = {n:,}, "
              f"d = {len(inputs)} | {reps:,} | {secs:.1f} s | {st['upstream_runs']} | {per:.3f} s × {reps:,} = "
              f"{per * reps / 3600:.1f} h | {per * reps / secs:.0f}× | {len(out.document['failed'])} | "
              f"{size / 1e6:.1f} MB | {rss_mb():.0f} MB (before the audit {base:.0f} MB) + "
              f"{children_rss_mb():.0f} MB per worker process |")
        print(f"(data: {cities} cities made in {made:.1f} s; timed: read + derive + audit + JSON)", file=sys.stderr)


def bench_dask(loop: int) -> None:
    """11,000 units × 100 indicators, 2,000 replications: on a local Dask cluster (all cores), and in
    this process alone, beside the loop over run() (timed on a few replications)."""
    from citystd.assessment.audit.executors import DaskExecutor, Serial
    from citystd.library.models import Framework, Leaf

    spec, values = synthetic(11_000, 100, 20, 5)
    fw = Framework(id="synthetic", version="1.0.0", name={"zh": "合成", "en": "synthetic"},
                   tree=[Leaf(indicator=i) for i in spec.indicators])
    inputs = parse([
        {"name": "normalisation", "step": "normalise", "param": "method", "values": ["goalposts", "minmax"]},
        {"name": "weights", "weights_noise": 0.25},
        {"name": "drop", "exclude": "indicators"},
    ], fw)
    per = loop_baseline(spec, values, None, inputs, 2000, False, max(2, loop // 50))
    loop = f"{per:.2f} s × 2,000 = {per * 2000 / 60:.0f} min"
    ex = DaskExecutor(workers=None)
    try:
        secs, a, size = timed_audit(spec, values, None, inputs, 2000, False, executor=ex)
        workers = ex.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    finally:
        ex.close()
    print(f"| synthetic 11,000 × 100, uncertainty, local Dask cluster ({len(workers)} worker processes) | "
          f"{a.design.rows:,} | {secs:.1f} s | {a.upstream_runs} | {loop} | {per * 2000 / secs:.0f}× | {len(a.failed)} | "
          f"{size / 1e6:.1f} MB | {rss_mb():.0f} MB (client) + {max(workers.values()):.0f} MB per worker |")
    sys.stdout.flush()
    secs, a, size = timed_audit(spec, values, None, inputs, 2000, False, executor=Serial())
    print(f"| synthetic 11,000 × 100, uncertainty, this process only | {a.design.rows:,} | {secs:.1f} s | "
          f"{a.upstream_runs} | {loop} | {per * 2000 / secs:.0f}× | {len(a.failed)} | {size / 1e6:.1f} MB | "
          f"{rss_mb():.0f} MB |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", nargs="*", default=["asem"])
    ap.add_argument("--loop", type=int, default=100)
    args = ap.parse_args()
    print("| case | replications | citystd audit | upstream configurations | loop over run() | speed-up | failed | JSON | "
          "peak memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    sys.stdout.flush()
    if "asem" in args.which:
        bench_asem(args.loop)
    if "large" in args.which:
        bench_large(args.loop)
    if "dask" in args.which:
        bench_dask(args.loop)


if __name__ == "__main__":
    main()
