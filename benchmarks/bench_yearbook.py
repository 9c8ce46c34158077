"""Real statistics in: the whole China City Statistical Yearbook 2024 section 2 and the census.

Run:  .venv/bin/python benchmarks/bench_yearbook.py [--runs 3]

Reads ``../shared/data/china-city-yearbook-2024`` (the 30 tables of section 2 as xlsx, and
separately as CSV) and ``../shared/data/china-census-2010-2020`` with the built-in library and no
options, and reports (Markdown, for docs/data.md and docs/performance.md):

- **time** to read the xlsx folder, the CSV folder and the census, with the register and the
  unit registry warm (the median of ``--runs``), beside a plain baseline in the same run: the
  same files read into rows of cells (python-calamine for xlsx, ``pandas.read_csv`` for CSV) and
  nothing else;
- **columns**: the value columns of the tables, how many the library recognises, the ones it
  does not; the variables filled, the cities (and how many have a code);
- **equal to the print**: every recognised value compared with the cell as printed in the CSV
  file (times the unit factor), and the xlsx reading compared with the CSV reading;
- **the PM10 case**: a column ``PM10（毫克/立方米）`` holding 0.123 for Beijing 2008;
- **GDP per capita**: GDP (亿元) ÷ year-end population (万人) against the printed 人均地区生产总值,
  which divides by the average population;
- **indicators computable**: of the library's 383, those with a value for at least one city, and
  per city in 2023.

Needs the shared data (not in a user's clone); exits with a message without it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
YB = SHARED / "china-city-yearbook-2024"
XLSX = YB / "中国城市统计年鉴2024（excel）" / "2、地级以上城市统计资料"
CSV = YB / "中国城市统计年鉴2024（csv）" / "2、地级以上城市统计资料"
CENSUS = SHARED / "china-census-2010-2020" / "data" / "census" / "census_city_2010-2020_v1.csv"


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def baseline_xlsx() -> None:
    from python_calamine import CalamineWorkbook

    for f in sorted(XLSX.glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(f))
        wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)


def baseline_csv() -> None:
    for f in sorted(CSV.glob("*.csv")):
        pd.read_csv(f, header=None, dtype=str, encoding="utf-8-sig")


def printed_cells(data) -> tuple[int, int, list[str]]:  # type: ignore[no-untyped-def]
    """Every recognised value of the xlsx reading against its cell as printed (the sheet and cell
    the value says it came from, read again with python-calamine), times the column's unit factor:
    (compared, equal, first differences)."""
    import re

    from python_calamine import CalamineWorkbook

    sheets: dict[tuple[str, str], list[list[object]]] = {}
    compared = equal = 0
    diffs: list[str] = []
    for col in data.values.columns:
        info = data.columns.get(col)
        if info is None:
            continue
        for (unit, year), value in data.values[col].dropna().items():
            loc = data.locate(unit, year, col)
            m = re.fullmatch(r"([A-Z]+)(\d+)", loc.cell or "")
            if not m or not loc.file or not loc.sheet:
                continue
            key = (loc.file, loc.sheet)
            if key not in sheets:
                sheets[key] = CalamineWorkbook.from_path(loc.file).get_sheet_by_name(loc.sheet).to_python(
                    skip_empty_area=False)
            c = 0
            for ch in m.group(1):
                c = c * 26 + ord(ch) - 64
            cell = sheets[key][int(m.group(2)) - 1][c - 1]
            # the factor of the column this value came from (a merged table keeps one per variable)
            factor = next((i.factor for i in [info] if i.location.file == loc.file), None)
            if factor is None:
                continue
            compared += 1
            if np.isclose(float(str(cell).strip()) * factor, value, rtol=1e-12):
                equal += 1
            elif len(diffs) < 5:
                diffs.append(f"{unit} {col}: printed {cell!r} × {factor:g} ≠ {value}")
    return compared, equal, diffs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not XLSX.is_dir() or not CENSUS.is_file():
        print(f"needs the shared data at {SHARED}; not found", file=sys.stderr)
        return 2

    from citystd.engine.derive import derive
    from citystd.io.cities import register
    from citystd.io.inputs import read_inputs
    from citystd.io.vocabulary import Vocabulary
    from citystd.library.load import builtin_path, load_library
    from citystd.units import registry

    lib, _ = load_library([builtin_path()])
    vocab = Vocabulary.from_library(lib)
    registry(), register()  # warm: the unit registry and the city register load once per process

    t_xlsx = median_time(lambda: read_inputs([XLSX], vocab), args.runs)
    t_csv = median_time(lambda: read_inputs([CSV], vocab), args.runs)
    t_census = median_time(lambda: read_inputs([CENSUS], vocab), args.runs)
    b_xlsx = median_time(baseline_xlsx, args.runs)
    b_csv = median_time(baseline_csv, args.runs)

    xl = read_inputs([XLSX], vocab)
    cs = read_inputs([CSV], vocab)
    both = read_inputs([XLSX, CENSUS], vocab)

    print("| read (no options) | citystd | baseline: rows of cells only |")
    print("|---|---|---|")
    print(f"| section 2, 30 xlsx tables | {t_xlsx:.2f} s | {b_xlsx:.2f} s (python-calamine) |")
    print(f"| section 2, 30 CSV tables | {t_csv:.2f} s | {b_csv:.2f} s (pandas.read_csv) |")
    print(f"| census, 369 units × 2 years | {t_census:.2f} s | |")
    print()

    # columns: every numeric column of the tables, recognised or not
    unmatched = [d for d in xl.diagnostics if d.code == "D703"]
    recognised = len(xl.columns)
    print(f"- section 2 (xlsx): {len(xl.units)} cities, {sum(1 for c in xl.codes if c)} with a code; "
          f"{recognised} columns recognised as {len(xl.values.columns)} variables and indicators; "
          f"{len(unmatched)} numeric columns not recognised")
    for d in unmatched:
        print(f"  - {d.message.en}")
    filled = xl.values.notna().sum()
    print(f"- values filled: {int(filled.sum()):,} of {xl.values.size:,} cells "
          f"({filled.sum() / xl.values.size:.1%}); emptiest: "
          + ", ".join(f"{c} {n}/{len(xl.values)}" for c, n in filled.sort_values().head(3).items()))
    same = xl.values.sort_index().equals(cs.values.reindex(index=xl.values.index, columns=xl.values.columns).sort_index())
    print(f"- xlsx and CSV readings equal: {same} ({len(cs.units)} cities, {len(cs.values.columns)} columns from CSV)")
    errors = [d for d in xl.diagnostics if d.level.value == "error"]
    print(f"- findings: {len(errors)} errors (cells that are not numbers as printed: "
          + "; ".join(d.message.en.split(" in column")[0] for d in errors) + ")")
    print(f"- with the census: {len(both.units)} units, years {both.years}, "
          f"{sum(1 for c in both.codes if c)} with a code; the 297 yearbook cities all matched a census unit: "
          f"{set(both.values.xs(2023, level='year').index) <= set(both.values.xs(2020, level='year').index)}")

    compared, equal, diffs = printed_cells(xl)
    print(f"- equal to the print: {equal:,} of {compared:,} values compared with their printed cell (× the unit "
          f"factor) are equal" + (f"; differences: {diffs}" if diffs else ""))

    # the PM10 case
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "pm10.csv"
        p.write_text("城市,年份,PM10（毫克/立方米）\n北京,2008,0.123\n", encoding="utf-8")
        pm = read_inputs([p], vocab)
        print(f"- PM10 case: 0.123 mg/m³ is read as {pm.values.iloc[0]['pm10_concentration']:g} µg/m³ "
              f"(factor {pm.columns['pm10_concentration'].factor:g})")

    # GDP per capita: computed from GDP and population vs printed
    v = xl.values
    computed, _ = derive(v.drop(columns=["gdp_per_capita"]), lib, ["gdp_per_capita"])
    ratio = (computed["gdp_per_capita"] / v["gdp_per_capita"]).dropna()
    dev = (ratio - 1).abs()
    print(f"- GDP per capita, GDP (亿元→万元) ÷ year-end population (万人→人) vs printed 人均地区生产总值: "
          f"{len(ratio)} cities, median ratio {ratio.median():.4f}, within 1 %: {(dev < 0.01).mean():.0%}, "
          f"within 2 %: {(dev < 0.02).mean():.0%}, within 5 %: {(dev < 0.05).mean():.0%}, largest "
          f"{dev.max():.1%} ({dev.idxmax()[0]})")

    # indicators computable
    values, _ = derive(both.values, lib, list(lib.indicators))
    any_value = values.notna().any()
    in_2023 = values.xs(2023, level="year").notna().sum(axis=1)
    print(f"- indicators computable from section 2 + census: {int(any_value.sum())} of {len(lib.indicators)} "
          f"for at least one city ({', '.join(sorted(any_value[any_value].index))}); per city in 2023: "
          f"median {int(in_2023.median())}, max {int(in_2023.max())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
