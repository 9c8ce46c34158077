"""What the safety checks of issue 9 cost, each against a plain baseline in the same run.

Run:  .venv/bin/python benchmarks/bench_safety.py [--cities 300] [--indicators 300] [--runs 3]

- loading a results document for ``report``/``compare``: ``orjson.loads`` alone (baseline) vs
  ``citystd.report.load.load_results`` (guard + shape check of every field);
- the bidirectional-control scan of a document before a report (``mark_bidi_in``, nothing found);
- writing a 50 MB output: ``Path.write_bytes`` (baseline) vs ``write_bytes_atomic`` (temporary
  file, fsync, rename);
- ``citystd validate`` of a 9.5 MiB library file without aliases (refused as an "alias bomb"
  before issue 9), as a process.

Best of ``--runs``; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _doc(cities: int, indicators: int) -> dict[str, Any]:
    rng = random.Random(1)
    inds = {f"i{k}": {"name": {"zh": f"指标{k}", "en": f"Indicator {k}"}, "unit": {"zh": "", "en": ""},
                      "direction": "higher", "goalposts": {"worst": 0.0, "best": 100.0}, "target": None,
                      "thresholds": None} for k in range(indicators)}
    rows = [{"city": f"City {c}", "year": 2023, "score": rng.random() * 100, "rank": c + 1, "rating": "green",
             "coverage": 1.0, "nodes": {f"n{n}": {"score": 50.0, "rank": 1, "rating": "red", "coverage": 0.5}
                                        for n in range(10)},
             "indicators": {k: {"value": rng.random(), "score": rng.random() * 100, "rank": c + 1, "rating": "yellow"}
                            for k in inds}} for c in range(cities)]
    return {"citystd_version": "0.1.0", "framework": {"id": "f", "version": "1.0.0", "sha256": "0" * 64,
                                                     "name": {"zh": "框架", "en": "F"}},
            "input": {}, "pipeline": [], "tree": [], "indicators": inds, "results": rows}


def best(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import orjson

    from citystd.io.atomic import write_bytes_atomic
    from citystd.report.load import load_results
    from citystd.textsafe import mark_bidi_in

    ap = argparse.ArgumentParser()
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument("--indicators", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        doc = _doc(a.cities, a.indicators)
        path = root / "results.json"
        path.write_bytes(orjson.dumps(doc))
        mb = path.stat().st_size / 2**20
        rows.append((f"read results ({a.cities} × {a.indicators}, {mb:.1f} MB)",
                     best(lambda: orjson.loads(path.read_bytes()), a.runs), best(lambda: load_results(path), a.runs)))
        rows.append(("scan for bidi controls (none)", 0.0, best(lambda: mark_bidi_in(doc), a.runs)))
        blob = bytes(50 * 2**20)
        out = root / "out.bin"
        rows.append(("write 50 MB", best(lambda: out.write_bytes(blob), a.runs),
                     best(lambda: write_bytes_atomic(out, blob), a.runs)))
        lib = root / "big.yaml"
        lines = ["citystd: 1", "domains:", "  - id: economy", "    name: {zh: 经济, en: Economy}", "indicators:"]
        k = 0
        while sum(len(x.encode('utf-8')) + 1 for x in lines) < 9.4 * 2**20:
            lines += [f"  - id: ind_{k}", f"    name: {{zh: 指标{k}, en: Indicator {k}}}",
                      f"    definition: {{zh: 第{k}个指标的定义。, en: Definition of indicator {k} in a large file.}}",
                      "    domain: economy", '    unit: "%"', "    direction: higher", "    range: [0, 100]",
                      "    goalposts: {worst: 0, best: 100}", "    thresholds: {green: 80, yellow: 60, orange: 40}",
                      f'    sources: [{{standard: "ISO 37120:2018", clause: "5.{k % 20}"}}]']
            k += 1
        lib.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "citystd", "validate", str(lib), "--format", "json"]
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        took = time.perf_counter() - t
        errors = json.loads(r.stdout)["errors"] if r.stdout else "?"
        rows.append((f"validate {lib.stat().st_size / 2**20:.1f} MiB, {k} indicators (exit {r.returncode}, "
                     f"{errors} errors)", 0.0, took))
    print("| what | baseline (s) | with the checks (s) |\n|---|---|---|")
    for what, base, checked in rows:
        print(f"| {what} | {base:.3f} | {checked:.3f} |" if base else f"| {what} | — | {checked:.3f} |")


if __name__ == "__main__":
    main()
