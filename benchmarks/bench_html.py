"""HTML report: rendering time and file size for 300 cities × 300 indicators (issue 5's targets).

Run:  .venv/bin/python benchmarks/bench_html.py [--cities 300] [--indicators 300] [--runs 3]

Builds the synthetic library, framework and data of ``bench_score.py`` (``build()``: 10 domains,
30 groups, every indicator a formula; cities × 10 years), scores it with
``citystd score … -o results.json`` twice — once the last year alone, once all 10 years (trends) —
and times ``citystd.report.html.render`` on each results document: the all-cities report and
one city's profile page. Prints Markdown rows for docs/performance.md (targets: < 5 s, < 3 MB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import build


def score(lib: Path, framework: Path, data: Path, out: Path) -> dict:
    cmd = [sys.executable, "-m", "citystd", "score", str(data), "-f", str(framework), "--library", str(lib),
           "-o", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stderr[-2000:])
    return json.loads(out.read_text(encoding="utf-8"))


def timed(doc: dict, runs: int, city: str | None = None) -> tuple[list[float], int]:
    from citystd.report.html import render

    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        out = render(doc, "zh", city)
        times.append(time.perf_counter() - t0)
        size = len(out)
    return times, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument("--indicators", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="citystd-bench-html-"))
    try:
        lib, fw, data = build(root, args.cities * 10, args.indicators)
        frame = pd.read_csv(data)
        last = root / "last-year.csv"
        frame[frame["year"] == frame["year"].max()].to_csv(last, index=False)
        cases = [("1 year", score(lib, fw, last, root / "r1.json")),
                 ("10 years", score(lib, fw, data, root / "r10.json"))]
        n, k = args.cities, args.indicators
        for name, doc in cases:
            city = doc["results"][-1]["city"]
            for what, c in (("all cities", None), ("one city", city)):
                times, size = timed(doc, args.runs, c)
                print(f"| render HTML, {n} cities × {k} indicators, {name}, {what} | "
                      f"{statistics.median(times):.2f} s (min {min(times):.2f}) | {size / 1e6:.2f} MB |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
