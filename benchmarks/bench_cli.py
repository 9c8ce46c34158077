"""Start-up and validation speed of the command line (issue 2's targets).

Run:  .venv/bin/python benchmarks/bench_cli.py [--runs 15]

Measures wall time of whole processes, as a user experiences them:
- `citystd --help` (target < 0.3 s: pandas and pydantic are imported lazily);
- `citystd validate` on the built-in library (target < 1 s);
- `citystd validate --strict` on a synthetic library 5× the size of the built-in one.
Prints a Markdown table (median, min, max) to paste into docs/performance.md.
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

CLI = [sys.executable, "-m", "citystd"]


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    subprocess.run(cmd, capture_output=True)  # warm the file cache
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        out.append(time.perf_counter() - t0)
    return out


def big_library(factor: int) -> Path:
    """The built-in library copied `factor` times with renamed ids (one namespace per copy)."""
    from citystd.library.load import builtin_path

    src = builtin_path()
    root = Path(tempfile.mkdtemp(prefix="citystd-bench-"))
    shutil.copytree(src, root / "copy0")
    ids = []
    import yaml

    for f in (root / "copy0").rglob("*.yaml"):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for section in ("variables", "indicators"):
            ids += [x["id"] for x in data.get(section, []) if isinstance(x, dict) and "id" in x]
    ids.sort(key=len, reverse=True)
    import re

    pattern = re.compile(r"\b(" + "|".join(map(re.escape, ids)) + r")\b") if ids else None
    for k in range(1, factor):
        dst = root / f"copy{k}"
        for f in (root / "copy0").rglob("*.yaml"):
            rel = f.relative_to(root / "copy0")
            if rel.parts[0] == "domains.yaml":
                continue
            text = f.read_text(encoding="utf-8")
            text = re.sub(r"^(\s*id: )([a-z][a-z0-9_-]*)", rf"\g<1>\g<2>_{k}", text, flags=re.M)
            if pattern:
                text = pattern.sub(lambda m, k=k: f"{m.group(1)}_{k}", text)
            out = dst / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    from citystd.library.load import builtin_path
    from citystd.library.validate import validate

    lib, _ = validate()
    big = big_library(5)
    big_lib, _ = validate([big])
    rows = [
        ("`citystd --help`", timed([*CLI, "--help"], args.runs), "< 0.3 s"),
        (f"`citystd validate` (built-in: {len(lib.indicators)} indicators, {len(lib.files)} files)",
         timed([*CLI, "validate", str(builtin_path())], args.runs), "< 1 s"),
        (f"`citystd validate` (5× synthetic: {len(big_lib.indicators)} indicators)",
         timed([*CLI, "validate", str(big)], max(3, args.runs // 3)), "—"),
    ]
    shutil.rmtree(big, ignore_errors=True)
    print("| command | median | min | max | target |")
    print("|---|---|---|---|---|")
    for name, times, target in rows:
        print(f"| {name} | {statistics.median(times):.3f} s | {min(times):.3f} s | {max(times):.3f} s | {target} |")


if __name__ == "__main__":
    main()
