"""Score the 297 cities of the 2024 city statistical yearbook on `core`, and publish the coverage.

Run:  .venv/bin/python tools/score_core.py [--yearbook DIR] [--census CSV]

Runs, through the real command line, exactly

    citystd score <section-2 folder> <census csv> -f core --keep-going --format json -o <tmp>

and writes the generated part of ``docs/core.md``: the command as run and its exit code, the data
errors it reported (printed values that lost their decimal point, a negative expenditure …), how
many of the cities of the yearbook's year got a total score, the coverage per field (the share
of the cities with a field score, and the mean share of the field's indicators with data) and per
city (how many cities have every indicator, and each city's coverage). Coverage is the results'
``coverage``: the share of the framework's scored indicators with a value before imputation.

Needs the shared data (not in a user's clone); exits 2 with a message without it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
YEARBOOK = SHARED / "china-city-yearbook-2024" / "中国城市统计年鉴2024（excel）" / "2、地级以上城市统计资料"
CENSUS = SHARED / "china-census-2010-2020" / "data" / "census" / "census_city_2010-2020_v1.csv"
OUT_MD = ROOT / "docs" / "core.md"
YEAR = 2023
START, END = "<!-- core-coverage:start -->", "<!-- core-coverage:end -->"


def run(yearbook: Path, census: Path) -> tuple[int, dict, list[dict], float]:  # type: ignore[type-arg]
    from typer.testing import CliRunner

    from citystd.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "core.json"
        t0 = time.perf_counter()
        r = CliRunner().invoke(app, ["score", str(yearbook), str(census), "-f", "core", "--keep-going",
                                     "--format", "json", "-o", str(out)])
        seconds = time.perf_counter() - t0
        doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    errors = [i for i in doc.get("issues", []) if i["severity"] == "error"]
    return r.exit_code, doc, errors, seconds


def summary(code: int, doc: dict, errors: list[dict], seconds: float) -> str:  # type: ignore[type-arg]
    rows = [r for r in doc["results"] if r["year"] == YEAR]
    scored = [r for r in rows if r["score"] is not None]
    nodes = [n["id"] for n in doc["tree"]]
    names = {n["id"]: n["name"]["en"] for n in doc["tree"]}
    cov = [r["coverage"] for r in rows]
    lines = [
        "```console",
        "$ citystd score \"../shared/data/china-city-yearbook-2024/中国城市统计年鉴2024（excel）/2、地级以上城市统计资料\" \\",
        "    ../shared/data/china-census-2010-2020/data/census/census_city_2010-2020_v1.csv \\",
        "    -f core --keep-going --format json -o core.json",
        "```",
        "",
        f"Exit code {code}, {seconds:.1f} s (2 cores). Framework `core` {doc['framework']['version']}. "
        f"The data hold {len(rows)} cities in {YEAR} (the yearbook) and the census units in 2010 and 2020; "
        f"**{len(scored)} of the {len(rows)} cities get a total score**"
        + (": " + ", ".join(sorted(r["city"] for r in rows if r["score"] is None)) + " does not (the yearbook prints "
           "only its population)." if len(scored) < len(rows) else "."),
        "",
        f"Data errors reported and left out (`--keep-going`; [data.md](data.md)): {len(errors)}",
        "",
    ]
    for e in errors:
        lines.append(f"- `{e['code']}` {e['message']}")
    lines += ["", "Per field (the cities of " + str(YEAR) + "):", "",
              "| field | cities with a field score | mean coverage of its indicators |", "|---|---:|---:|"]
    for nid in nodes:
        with_score = sum(r["nodes"][nid]["score"] is not None for r in rows)
        mean = statistics.fmean(r["nodes"][nid]["coverage"] or 0.0 for r in rows)
        lines.append(f"| {names[nid]} (`{nid}`) | {with_score} of {len(rows)} | {mean:.1%} |")
    bands = [(1.0, "all indicators"), (0.9, "at least 90 %"), (0.75, "at least 75 %"), (0.5, "at least 50 %")]
    lines += ["", "Per city:", "", "| coverage | cities |", "|---|---:|"]
    for lo, label in bands:
        lines.append(f"| {label} | {sum(c >= lo - 1e-12 for c in cov)} |")
    lines.append(f"| below 50 % | {sum(c < 0.5 for c in cov)} |")
    lines += ["", f"Median coverage {statistics.median(cov):.1%}, mean {statistics.fmean(cov):.1%}.", "",
              "<details><summary>Coverage of every city (the share of the scored indicators with a value)</summary>", "",
              "| city | code | coverage | total score |", "|---|---|---:|---|"]
    for r in sorted(rows, key=lambda r: (r["coverage"], r["city"])):
        lines.append(f"| {r['city']} | {r['code'] or ''} | {r['coverage']:.0%} | {'yes' if r['score'] is not None else 'no'} |")
    lines += ["", "</details>"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yearbook", type=Path, default=YEARBOOK)
    ap.add_argument("--census", type=Path, default=CENSUS)
    args = ap.parse_args(argv)
    if not args.yearbook.is_dir() or not args.census.is_file():
        print(f"needs the shared data: {args.yearbook} and {args.census}", file=sys.stderr)
        return 2
    code, doc, errors, seconds = run(args.yearbook, args.census)
    if not doc:
        print(f"citystd score exited {code} without results", file=sys.stderr)
        return 1
    body = summary(code, doc, errors, seconds)
    text = OUT_MD.read_text(encoding="utf-8") if OUT_MD.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    OUT_MD.write_text(f"{head}{START}\n\n{body}\n\n{END}{tail}", encoding="utf-8")
    print(f"wrote {OUT_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
