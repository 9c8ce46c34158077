"""Report rendering speed (issue 5's target: a 300-city × 300-indicator result in under 5 s).

Run:  .venv/bin/python benchmarks/bench_reports.py [--cities 300] [--indicators 300] [--years 1] [--runs 3]

Builds the synthetic library, framework and data of ``bench_score.py`` (its ``build()``), keeps
``--years`` years of ``--cities`` cities, scores them once with ``citystd score -o results.json``,
then times, in this process, for each report format: loading the results JSON and rendering it
(``citystd.report.renderer(fmt)(doc, lang)``), best of ``--runs``; and the whole
``citystd report results.json -o report.EXT`` command once as a process. Prints a Markdown table
for docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import build

FORMATS = {"xlsx": ".xlsx", "markdown": ".md", "html": ".html"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument("--indicators", type=int, default=300)
    ap.add_argument("--years", type=int, default=1, help="years per city (1–10)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="xlsx,markdown,html")
    args = ap.parse_args()
    import orjson

    from citystd.report import renderer

    root = Path(tempfile.mkdtemp(prefix="citystd-bench-reports-"))
    try:
        lib, fw, data = build(root, args.cities * 10, args.indicators)
        frame = pd.read_csv(data)
        keep = sorted(frame["year"].unique())[-args.years:]
        frame[frame["year"].isin(keep)].to_csv(data, index=False, float_format="%.6g")
        results = root / "results.json"
        p = subprocess.run([sys.executable, "-m", "citystd", "score", str(data), "-f", str(fw), "--library", str(lib),
                            "-o", str(results)], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(p.stderr[-2000:])
        size = results.stat().st_size / 1e6
        t0 = time.perf_counter()
        doc = orjson.loads(results.read_bytes())
        t_load = time.perf_counter() - t0
        case = f"{args.cities} cities × {args.indicators} indicators × {args.years} year{'s' if args.years > 1 else ''}"
        print(f"| load results JSON ({size:.0f} MB), {case} | {t_load:.2f} s | |")
        for fmt in [f for f in args.formats.split(",") if f]:
            try:
                render = renderer(fmt)
            except ModuleNotFoundError:
                print(f"| {fmt} | (renderer not available) | |")
                continue
            times = []
            out = b""
            for _ in range(args.runs):
                t0 = time.perf_counter()
                out = render(doc, "zh")
                times.append(time.perf_counter() - t0)
            target = root / f"report{FORMATS[fmt]}"
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "citystd", "report", str(results), "-o", str(target),
                                "--lang", "zh"], capture_output=True, text=True)
            t_cmd = time.perf_counter() - t0
            if p.returncode != 0:
                raise SystemExit(p.stderr[-2000:])
            print(f"| render {fmt} ({len(out) / 1e6:.1f} MB), {case} | {min(times):.2f} s (max {max(times):.2f}) "
                  f"| `citystd report` whole process {t_cmd:.2f} s |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
