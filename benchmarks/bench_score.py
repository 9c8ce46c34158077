"""End-to-end scoring speed and memory (issue 3's targets).

Run:  .venv/bin/python benchmarks/bench_score.py [--rows 10000] [--indicators 300] [--runs 3]

Builds, in a temp directory, a synthetic library (N indicators, each `x_i / population * 1000`,
goalposts from the data's spread) and a 3-level framework (root → 10 domains → N/10 groups → indicators)
with the pipeline winsorise → goalposts → arithmetic, and a CSV of `rows` city-years
(rows/10 cities × 10 years). Then:

1. times `citystd score data.csv -f framework.yaml --library lib -o results.json` as a whole process
   (read CSV, derive, check ranges, winsorise, normalise, aggregate, rank, rate, write JSON),
   with peak memory (ru_maxrss of the child);
2. with ``--output parquet``, times beside it a bare numpy/pandas pipeline as a whole process
   (:data:`BASELINE`): it reads the same CSV with pandas, does the same arithmetic (the formulas,
   the skewness/kurtosis test per year, goalposts, the means up the tree, ranks per year, each
   city's trend over its years) and writes the same tidy table (one row per city-year and node or
   indicator: city, year, id, value, score, rank) with pyarrow, zstd — the floor of the job;
3. times the engine stages alone (derive + run) against the bare numpy arithmetic.
Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def build(root: Path, rows: int, n: int, seed: int = 7) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    lib = root / "lib"
    lib.mkdir()
    cities, years = rows // 10, 10
    pop = rng.lognormal(14.5, 0.8, cities).repeat(years)
    base = rng.lognormal(3, 0.5, (cities, n)).repeat(years, axis=0)
    values = base * rng.lognormal(0, 0.05, (rows, n)) * pop[:, None] / 1000
    ind = values / pop[:, None] * 1000
    lo, hi = np.percentile(ind, 2.5, axis=0), np.percentile(ind, 97.5, axis=0)
    lines = ["citystd: 1", "domains:", "  - {id: d, name: {zh: 领域, en: Domain}}", "variables:",
             "  - {id: population, name: {zh: 人口, en: Population}, unit: persons, range: [0, null]}"]
    lines += [f"  - {{id: x{i}, name: {{zh: 变量{i}, en: Variable {i}}}, unit: count, range: [0, null]}}"
              for i in range(n)]
    lines.append("indicators:")
    for i in range(n):
        direction = "higher" if i % 3 else "lower"
        worst, best = (float(lo[i]), float(hi[i])) if direction == "higher" else (float(hi[i]), float(lo[i]))
        lines.append(f"  - {{id: i{i}, name: {{zh: 指标{i}, en: Indicator {i}}}, definition: {{zh: 定义, en: Def}}, "
                     f"domain: d, unit: '1', direction: {direction}, formula: x{i} / population * 1000, "
                     f"range: [0, null], goalposts: {{worst: {worst!r}, best: {best!r}}}, "
                     f"sources: [{{standard: synthetic, clause: '{i}'}}]}}")
    (lib / "library.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    per_group = max(1, n // 30)
    fw = ["citystd: 1", "framework:", "  id: bench", "  version: '1.0.0'", "  name: {zh: 基准, en: Benchmark}",
          "  pipeline:", "    - treat: {method: winsorise, fallback: none}", "    - normalise: {method: goalposts}",
          "    - aggregate: {method: arithmetic}", "  tree:"]
    k = 0
    for d in range(10):
        fw += [f"    - id: dom{d}", f"      name: {{zh: 领域{d}, en: Domain {d}}}", "      children:"]
        for g in range(3):
            fw += [f"        - id: g{d}_{g}", f"          name: {{zh: 组{g}, en: Group {g}}}", "          children:"]
            for _ in range(per_group):
                if k < n:
                    fw.append(f"            - {{indicator: i{k}}}")
                    k += 1
    while k < n:
        fw.insert(len(fw), f"            - {{indicator: i{k}}}")
        k += 1
    framework = root / "framework.yaml"
    framework.write_text("\n".join(fw) + "\n", encoding="utf-8")
    frame = pd.DataFrame(values, columns=[f"x{i}" for i in range(n)])
    frame.insert(0, "population", pop.round())
    frame.insert(0, "year", np.tile(np.arange(2014, 2014 + years), cities))
    frame.insert(0, "city", np.repeat([f"C{c:05d}" for c in range(cities)], years))
    data = root / "data.csv"
    frame.to_csv(data, index=False, float_format="%.6g")
    return lib, framework, data


def run_child(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; its wall time and its own peak resident memory in MiB (wait4's rusage of that
    child alone, not the maximum over every child so far)."""
    import os

    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.stderr is not None
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(err.decode(errors="replace")[-2000:])
    return dt, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def whole_process(lib: Path, framework: Path, data: Path, out: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "citystd", "score", str(data), "-f", str(framework), "--library", str(lib),
           "-o", str(out)]
    return run_child(cmd)


#: the bare pipeline, a script run as its own process: argv = data.csv out.parquet goalposts.npy
BASELINE = r"""
import sys
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq

data, out, gp = sys.argv[1:4]
frame = pd.read_csv(data)
city = frame["city"].to_numpy(dtype=object)
years = frame["year"].to_numpy(dtype=np.int64)
pop = frame["population"].to_numpy(dtype=float)
x = frame.drop(columns=["city", "year", "population"]).to_numpy(dtype=float)
worst, best = np.load(gp)
n_rows, n = x.shape
y = x / pop[:, None] * 1000                                       # the formulas
for yr in np.unique(years):                                       # the skew/kurtosis test per year
    b = y[years == yr]
    d = b - b.mean(axis=0)
    s2 = (d ** 2).sum(axis=0)
    _ = np.sqrt(len(b)) * (d ** 3).sum(axis=0) / s2 ** 1.5, len(b) * (d ** 4).sum(axis=0) / s2 ** 2
s = np.clip((y - worst) / (best - worst), 0, 1) * 100           # goalposts
per = n // 30                                                     # the tree: 30 groups, 10 domains, overall
groups = s[:, : per * 30].reshape(n_rows, 30, per).mean(axis=2)
doms = groups.reshape(n_rows, 10, 3).mean(axis=2)
overall = doms.mean(axis=1)
scores = np.column_stack([overall, doms, groups, s])            # every node and indicator, city-years as rows
ranks = np.empty(scores.shape, dtype=np.int64)
for yr in np.unique(years):                                       # ranks within each year
    rows = np.flatnonzero(years == yr)
    ranks[rows] = np.argsort(np.argsort(-scores[rows], axis=0, kind="stable"), axis=0) + 1
codes, inv = np.unique(city, return_inverse=True)                 # each city's trend: least-squares slope
order = np.argsort(inv, kind="stable")
starts = np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]
count = np.diff(np.r_[starts, n_rows])
ts, sc = years[order].astype(float), scores[order]
tc = ts - np.repeat(np.add.reduceat(ts, starts) / count, count)
yc = sc - np.repeat(np.add.reduceat(sc, starts, axis=0) / count[:, None], count, axis=0)
slope = np.add.reduceat(tc[:, None] * yc, starts, axis=0) / np.add.reduceat(tc * tc, starts)[:, None]
k = scores.shape[1]
ids = ["overall", *(f"dom{d}" for d in range(10)), *(f"g{d}_{g}" for d in range(10) for g in range(3)),
       *(f"i{i}" for i in range(n))]
values = np.column_stack([np.full((n_rows, 41), np.nan), y])
table = pa.table({
    "city": pa.DictionaryArray.from_arrays(pa.array(np.tile(inv.astype(np.int32), k)), pa.array(codes)),
    "year": pa.array(np.tile(years.astype(np.int32), k)),
    "id": pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(k, dtype=np.int32), n_rows)), pa.array(ids)),
    "value": pa.array(values.T.ravel()),
    "score": pa.array(scores.T.ravel()),
    "rank": pa.array(ranks.T.ravel().astype(np.int32)),
})
pq.write_table(table, out, compression="zstd", row_group_size=1 << 20)
"""


def baseline_process(lib: Path, framework: Path, data: Path, out: Path) -> tuple[float, float]:
    """The bare pipeline (:data:`BASELINE`) as a whole process: its time and peak memory (MiB)."""
    from citystd.engine.pipeline import build_spec
    from citystd.library.validate import validate

    libobj, _ = validate([lib, framework])
    spec = build_spec(libobj, next(iter(libobj.frameworks.values())))
    gp = out.with_suffix(".npy")
    np.save(gp, np.array([[libobj.indicators[i].goalposts.worst for i in spec.indicators],
                          [libobj.indicators[i].goalposts.best for i in spec.indicators]]))
    script = out.with_suffix(".py")
    script.write_text(BASELINE, encoding="utf-8")
    return run_child([sys.executable, str(script), str(data), str(out), str(gp)])


def engine_vs_numpy(lib: Path, framework: Path, data: Path) -> tuple[float, float]:
    from citystd.engine.derive import derive
    from citystd.engine.pipeline import build_spec, run
    from citystd.library.validate import validate

    libobj, _ = validate([lib, framework])
    fw = next(iter(libobj.frameworks.values()))
    spec = build_spec(libobj, fw)
    frame = pd.read_csv(data)
    frame["year"] = frame["year"].astype("Int64")
    values = frame.set_index(["city", "year"]).rename_axis(["unit", "year"])
    t0 = time.perf_counter()
    ind, _ = derive(values, libobj, list(spec.indicators))
    run(spec, ind)
    t_engine = time.perf_counter() - t0

    x = values.drop(columns="population").to_numpy()
    pop = values["population"].to_numpy()
    gp = np.array([libobj.indicators[i].goalposts.worst for i in spec.indicators])
    gb = np.array([libobj.indicators[i].goalposts.best for i in spec.indicators])
    years = values.index.get_level_values("year").to_numpy(dtype=int)
    t0 = time.perf_counter()
    y = x / pop[:, None] * 1000
    for yr in np.unique(years):  # skew/kurtosis test per year, as the engine does
        b = y[years == yr]
        d = b - b.mean(axis=0)
        s2 = (d**2).sum(axis=0)
        _ = np.sqrt(len(b)) * (d**3).sum(axis=0) / s2**1.5
        _ = len(b) * (d**4).sum(axis=0) / s2**2
    s = np.clip((y - gp) / (gb - gp), 0, 1) * 100
    groups = s.reshape(len(s), 30, -1).mean(axis=2) if s.shape[1] % 30 == 0 else s
    doms = groups.reshape(len(s), 10, -1).mean(axis=2) if groups.shape[1] % 10 == 0 else groups
    _ = doms.mean(axis=1)
    t_numpy = time.perf_counter() - t0
    return t_engine, t_numpy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--indicators", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--output", choices=("json", "parquet"), default="json")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="citystd-bench-"))
    try:
        lib, fw, data = build(root, args.rows, args.indicators)
        times, peaks = [], []
        for _ in range(args.runs):
            t, m = whole_process(lib, fw, data, root / f"results.{args.output}")
            times.append(t)
            peaks.append(m)
        size = (root / f"results.{args.output}").stat().st_size / 1e6
        med = statistics.median(times)
        print(f"| score {args.rows:,} city-years × {args.indicators} indicators (whole process, {args.output} "
              f"{size:.0f} MB) | {med:.2f} s (min {min(times):.2f}) | peak ≤ {max(peaks):.0f} MiB |")
        if args.output == "parquet":
            base = [baseline_process(lib, fw, data, root / "baseline.parquet") for _ in range(args.runs)]
            bt = statistics.median(t for t, _ in base)
            bsize = (root / "baseline.parquet").stat().st_size / 1e6
            print(f"| bare numpy/pandas pipeline, same CSV, same arithmetic, same tidy table (Parquet {bsize:.0f} MB) "
                  f"| {bt:.2f} s (min {min(t for t, _ in base):.2f}) | peak ≤ {max(m for _, m in base):.0f} MiB; "
                  f"citystd / bare = {med / bt:.1f}× |")
        if not args.skip_engine:
            te, tn = engine_vs_numpy(lib, fw, data)
            print(f"| engine stages (derive → rank) vs bare numpy | {te:.2f} s vs {tn:.2f} s | ratio {te / tn:.1f}× |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
