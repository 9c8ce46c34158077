"""Speed of the city register: resolving a column of city names (docs/cities.md).

Run:  .venv/bin/python benchmarks/bench_cities.py [--runs 5]

Cases, each timed against a plain baseline in the same run — a dict from stripped full names to
codes, applied with ``Series.str.strip().map(dict)`` (what a hand-written lookup does: exact
names only, no short or English names, no years, no notes):

- the 297 cities of the yearbook's section 2 as printed (two-space indentation), once each;
- 100,000 rows drawn from those names, their short and English names and a few misspellings
  (the shape of a long panel: many rows per city);
- 100,000 rows with a year column (2000–2023) and names of earlier periods (襄樊, 莱芜, 毕节地区),
  so that resolution depends on the year;
- 100,000 rows of distinct unknown names (the worst case for per-distinct-name caching), without
  did-you-mean suggestions (``suggest=False``; they cost 2–4 ms per distinct unknown name).

``resolve_many`` is timed cold (a new register, empty cache: loading ``cities.csv`` included) and
warm (the second call). Prints a Markdown table for docs/cities.md.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from citystd.io import cities

ROOT = Path(__file__).resolve().parents[1]


def section2() -> list[dict[str, str]]:
    with open(ROOT / "tests" / "data" / "cities" / "yearbook2024_section2.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fresh() -> cities.CityRegister:
    text = (ROOT / "src" / "citystd" / "io" / "cities.csv").read_text(encoding="utf-8")
    return cities.CityRegister(cities.load_rows(text))


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def fmt(ts: list[float]) -> str:
    m = statistics.median(ts)
    return f"{m * 1000:.1f} ms" if m < 1 else f"{m:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    rows = section2()
    printed = pd.Series([r["city"] for r in rows])
    reg = fresh()
    units = [reg.resolve(n).unit for n in printed]
    pool = list(printed) + [u.short for u in units if u] + [u.name_en for u in units if u] + ["邛峡市", "Liaoeheng"]
    long = pd.Series(rng.choice(pool, 100_000))
    historic = [*pool, "襄樊", "莱芜", "毕节地区", "思茅", "海东地区", "巢湖"]
    with_years = pd.Series(rng.choice(historic, 100_000))
    years = pd.Series(rng.integers(2000, 2024, 100_000))
    distinct = pd.Series([f"Town {i}" for i in range(100_000)])

    lookup = {u.name: u.code for u in reg.units if u.valid_to is None}

    def baseline(s: pd.Series) -> pd.Series:
        return s.str.strip().map(lookup)

    cases = [
        ("297 section-2 names, as printed", printed, None, True),
        ("100,000 rows (names, short, English, misspelt)", long, None, True),
        ("100,000 rows with years 2000–2023 and former names", with_years, years, True),
        ("100,000 distinct unknown names, `suggest=False`", distinct, None, False),
    ]
    print("| case | resolve_many cold | warm | dict baseline | matched |")
    print("|---|---|---|---|---|")
    for label, names, yrs, sug in cases:
        cold = timed(lambda n=names, y=yrs, s=sug: fresh().resolve_many(n, years=y, suggest=s), args.runs)
        warm_reg = fresh()
        warm_reg.resolve_many(names, years=yrs, suggest=sug)
        warm = timed(lambda n=names, y=yrs, r=warm_reg, s=sug: r.resolve_many(n, years=y, suggest=s), args.runs)
        base = timed(lambda n=names: baseline(n), args.runs)
        out = warm_reg.resolve_many(names, years=yrs, suggest=sug)
        share = (out["status"] == "matched").mean()
        print(f"| {label} | {fmt(cold)} | {fmt(warm)} | {fmt(base)} | {share:.0%} |")
    load = timed(fresh, args.runs)
    print(f"\nloading the register (825 rows, indexes): {fmt(load)}")


if __name__ == "__main__":
    main()
