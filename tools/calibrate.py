"""Calibrate the built-in library on the real distribution of Chinese cities, and check its bounds.

Run:  .venv/bin/python tools/calibrate.py [--yearbook DIR] [--census CSV] [--check]

Reads section 2 of 中国城市统计年鉴2024 (the 297 cities at prefecture level and above, data year
2023) and the census panel (2010, 2020) through citystd's own reader, with the built-in library,
exactly as ``citystd score`` reads them (values outside a variable's or indicator's range are left
out, as ``--keep-going`` does: the two printed values of the 2024 yearbook that lost their decimal
point). Every indicator of the library that can be computed for at least 100 of the 297 cities is
then described by its distribution across them (its yearbook year, or the census year for census
indicators) and checked:

- ``rule_worst``, ``rule_best``: the bounds the calibration rule gives
  (:mod:`citystd.library.calibration`: worst = 2.5th percentile at the bad end, best = mean of the
  five best cities, two significant figures);
- ``worst``, ``best``, ``basis``: the library's goalposts and the kind of their basis;
- ``share_0``, ``share_100``: the share of the cities that score 0 and 100 with the library's
  goalposts — the sanity check wants both below one half (context indicators are not scored and
  are listed without shares).

Redundancy: inside every node of every framework, the Spearman correlation across the cities of
each pair of its computable indicators (:func:`citystd.audit.coherence.spearman`, the audit's own);
a pair above 0.9 in absolute value must not both be scored (one is shown with weight 0, or is
context).

Writes ``docs/calibration/quantiles.csv`` and ``docs/calibration/redundancy.csv`` (distributions
and correlations across cities are facts; no city's value is written) and the generated parts of
``docs/calibration.md``. With ``--check`` nothing is written:
the exit code is 1 when a bound calibrated on this data set differs from what the rule gives now,
when an indicator leaves half of the cities or more at 0 or at 100, or when two scored indicators of one
node correlate above 0.9.

Needs the shared data (not in a user's clone); exits 2 with a message without it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
YEARBOOK = SHARED / "china-city-yearbook-2024" / "中国城市统计年鉴2024（excel）" / "2、地级以上城市统计资料"
CENSUS = SHARED / "china-census-2010-2020" / "data" / "census" / "census_city_2010-2020_v1.csv"
OUT_CSV = ROOT / "docs" / "calibration" / "quantiles.csv"
OUT_RED = ROOT / "docs" / "calibration" / "redundancy.csv"
OUT_MD = ROOT / "docs" / "calibration.md"
REPORTED = 0.7  # pairs listed in redundancy.csv
COLLINEAR = 0.9
YEAR = 2023
MIN_CITIES = 100
#: The ``basis.source`` of a pair calibrated on this data set starts with this text.
DATA_SET = "中国城市统计年鉴2024"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
RSTART, REND = "<!-- redundancy:start -->", "<!-- redundancy:end -->"


def within(s: pd.Series, rng: tuple) -> pd.Series:
    lo, hi = rng
    bad = pd.Series(False, index=s.index)
    if lo is not None:
        bad |= s < lo
    if hi is not None:
        bad |= s > hi
    return s.where(~bad)


def read(yearbook: Path, census: Path):  # type: ignore[no-untyped-def]
    from citystd.engine.derive import derive
    from citystd.io.inputs import read_inputs
    from citystd.io.vocabulary import Vocabulary
    from citystd.library.load import builtin_path, load_library

    lib, _ = load_library([builtin_path()])
    data = read_inputs([yearbook, census], Vocabulary.from_library(lib))
    values = data.values
    # values outside their variable's range are missing, as `score --keep-going` leaves them
    for col in values.columns:
        item = lib.variables.get(col) or lib.indicators.get(col)
        if item is not None:
            values[col] = within(values[col], item.range)
    derived, _ = derive(values, lib, list(lib.indicators))
    for iid, ind in lib.indicators.items():
        derived[iid] = within(derived[iid], ind.range)
    in_year = values.xs(YEAR, level="year") if YEAR in values.index.get_level_values("year") else values.iloc[:0]
    cities = [u for u, n in in_year.notna().sum(axis=1).items() if n > 0]
    return lib, derived, cities


def table(lib, derived: pd.DataFrame, cities: list) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    from citystd.library import calibration as cal

    cross = cal.cross_section(derived, cities, prefer_year=YEAR)
    keep = [c for c in cross.columns if cross[c].notna().sum() >= MIN_CITIES]
    cross = cross[keep]
    direction = {i: lib.indicators[i].direction for i in keep}
    targets = {i: lib.indicators[i].target.value for i in keep if lib.indicators[i].target is not None}
    q = cal.quantiles(cross, direction, targets)
    rows = []
    for iid in keep:
        ind = lib.indicators[iid]
        gp = ind.goalposts
        r = q.loc[iid]
        row = {"indicator": iid, "year": cross.attrs["years"][iid], "direction": ind.direction,
               "context": bool(ind.context), **{k: r[k] for k in q.columns}}
        if ind.direction != "target" or iid in targets:
            row["rule_worst"], row["rule_best"] = cal.rule_bounds(r, ind.direction, targets.get(iid))
        if gp is not None:
            row["worst"], row["best"] = gp.worst, gp.best
            row["basis"] = gp.basis.kind if gp.basis is not None else ""
            row["rule"] = (gp.basis.rule or "") if gp.basis is not None else ""
            row["calibrated_here"] = bool(gp.basis is not None and gp.basis.kind == "calibration"
                                          and (gp.basis.source or "").startswith(DATA_SET))
        rows.append(row)
    out = pd.DataFrame(rows).set_index("indicator")
    scored = out[~out["context"] & out["worst"].notna()] if "worst" in out else out.iloc[:0]
    if len(scored):
        bounds = pd.DataFrame({"direction": scored["direction"], "worst": scored["worst"], "best": scored["best"],
                               "target": [lib.indicators[i].target.value if lib.indicators[i].target else np.nan
                                          for i in scored.index]}, index=scored.index)
        sh = cal.shares(cross[list(scored.index)], bounds)
        out["share_0"] = sh["share_0"]
        out["share_100"] = sh["share_100"]
    return out.sort_index()


def redundancy(lib, cross: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Pairs of indicators under one node of a framework, both computable, with |Spearman| ≥ 0.7."""
    from citystd.audit.coherence import spearman
    from citystd.library.models import Leaf, Node
    from citystd.library.rules import context_ids, iter_nodes

    ctx = context_ids(lib)
    rows = []
    for fid in sorted(lib.frameworks):
        fw = lib.frameworks[fid]
        parents = [("root", fw.tree)] + [(n.id, n.children) for n, _ in iter_nodes(fw.tree) if isinstance(n, Node)]
        for node_id, children in parents:
            leaves = [(c.indicator, c.weight > 0 and c.indicator not in ctx) for c in children
                      if isinstance(c, Leaf) and c.indicator in cross.columns]
            if len(leaves) < 2:
                continue
            ids = [i for i, _ in leaves]
            scored = dict(leaves)
            r = spearman(cross[ids].to_numpy(float), cross[ids].to_numpy(float))
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    rho = float(r[a, b])
                    if abs(rho) >= REPORTED:
                        rows.append({"framework": fid, "node": node_id, "a": ids[a], "b": ids[b], "spearman": rho,
                                     "both_scored": scored[ids[a]] and scored[ids[b]]})
    return pd.DataFrame(rows, columns=["framework", "node", "a", "b", "spearman", "both_scored"])


def redundancy_problems(red: pd.DataFrame) -> list[str]:
    bad = red[(red["spearman"].abs() > COLLINEAR) & red["both_scored"]]
    return [f"{r.framework}/{r.node}: {r.a} and {r.b} are both scored, Spearman {r.spearman:.2f}" for r in bad.itertuples()]


def redundancy_markdown(red: pd.DataFrame) -> str:
    lines = ["| framework | node | indicator | indicator | Spearman | both scored |", "|---|---|---|---|---:|---|"]
    for r in red.sort_values(["framework", "node", "a", "b"]).itertuples():
        lines.append(f"| {r.framework} | {r.node} | `{r.a}` | `{r.b}` | {r.spearman:+.2f} | {'yes' if r.both_scored else 'no'} |")
    high = red[red["spearman"].abs() > COLLINEAR]
    lines += ["", f"{len(red)} pairs with |Spearman| ≥ {REPORTED} inside a node; {len(high)} above {COLLINEAR}, "
              f"of which {int(high['both_scored'].sum())} with both indicators scored (the check wants 0)."]
    return "\n".join(lines)


def replace_between(text: str, start: str, end: str, body: str) -> str:
    if start not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n\n{body}\n\n{end}{tail}"


def problems(t: pd.DataFrame) -> list[str]:
    out = []
    for iid, r in t.iterrows():
        if r.get("context"):
            continue
        if r.get("calibrated_here") is True:
            from citystd.library import calibration as cal

            for end, key in cal.data_ends(str(r.get("rule") or ""), str(r["direction"])):
                if not np.isclose(r[end], r[key]):
                    out.append(f"{iid}: calibrated {end} {r[end]:g}, but the rule gives {r[key]:g} now")
        for key in ("share_0", "share_100"):
            v = r.get(key)
            if v is not None and v == v and v >= 0.5:
                out.append(f"{iid}: {v:.0%} of the cities score {key[6:]}")
    return out


COLUMNS = ["year", "direction", "context", "n", "min", "p2_5", "p5", "p10", "p25", "p50", "p75", "p90", "p95",
           "p97_5", "max", "best5", "worst5", "dist_p97_5", "rule_worst", "rule_best", "worst", "best", "basis", "rule",
           "calibrated_here",
           "share_0", "share_100"]


def write_csv(t: pd.DataFrame, path: Path) -> None:
    def fmt(v: object) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.6g}"
        return str(v)

    lines = [",".join(["indicator", *COLUMNS])]
    for iid, r in t.iterrows():
        lines.append(",".join([str(iid), *[fmt(r.get(c)) for c in COLUMNS]]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def markdown(t: pd.DataFrame, lib) -> str:  # type: ignore[no-untyped-def]
    def g(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else f"{float(v):.3g}"

    def pct(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else f"{float(v):.0%}"

    lines = ["| indicator | year | n | p2.5 | median | p97.5 | best 5 | rule: worst, best | goalposts: worst, best | basis "
             "| at 0 | at 100 |", "|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|"]
    for iid, r in t.iterrows():
        rule = f"{g(r.get('rule_worst'))}, {g(r.get('rule_best'))}" if r.get("rule_worst") == r.get("rule_worst") else ""
        gp = "context" if r.get("context") else (f"{g(r.get('worst'))}, {g(r.get('best'))}"
                                                  if r.get("worst") == r.get("worst") else "")
        lines.append(f"| `{iid}` | {int(r['year'])} | {int(r['n'])} | {g(r['p2_5'])} | {g(r['p50'])} | {g(r['p97_5'])} "
                     f"| {g(r['best5'])} | {rule} | {gp} | {r.get('basis') or ''} | {pct(r.get('share_0'))} "
                     f"| {pct(r.get('share_100'))} |")
    scored = t[~t["context"].astype(bool)]
    worst0 = scored["share_0"].max() if "share_0" in scored else float("nan")
    worst100 = scored["share_100"].max() if "share_100" in scored else float("nan")
    lines += ["", f"{len(t)} indicators computable for at least {MIN_CITIES} of the {lib_cities(t)} cities; "
              f"{len(scored)} scored, {len(t) - len(scored)} context. Sanity check: the most cities any scored "
              f"indicator puts at 0 is {worst0:.1%}, at 100 {worst100:.1%} (both must stay below 50 %)."]
    return "\n".join(lines)


def lib_cities(t: pd.DataFrame) -> int:
    return int(t.attrs.get("cities", 297))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--yearbook", type=Path, default=YEARBOOK, help="section 2 of the yearbook (a folder)")
    ap.add_argument("--census", type=Path, default=CENSUS, help="the census panel (CSV)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 on a stale calibration or a failed check")
    args = ap.parse_args(argv)
    if not args.yearbook.is_dir() or not args.census.is_file():
        print(f"needs the shared data: {args.yearbook} and {args.census}", file=sys.stderr)
        return 2
    lib, derived, cities = read(args.yearbook, args.census)
    t = table(lib, derived, cities)
    t.attrs["cities"] = len(cities)
    from citystd.library import calibration as cal

    cross = cal.cross_section(derived, cities, prefer_year=YEAR)
    cross = cross[[c for c in t.index]]
    red = redundancy(lib, cross)
    found = problems(t) + redundancy_problems(red)
    for p in found:
        print(p, file=sys.stderr)
    if args.check:
        print(f"{len(t)} indicators, {len(cities)} cities: {len(found)} problem(s)")
        return 1 if found else 0
    write_csv(t, OUT_CSV)
    red.assign(spearman=red["spearman"].map(lambda v: f"{v:.4f}"),
               both_scored=red["both_scored"].map(lambda v: "true" if v else "false")).to_csv(
        OUT_RED, index=False, lineterminator="\n")
    text = OUT_MD.read_text(encoding="utf-8") if OUT_MD.exists() else ""
    text = replace_between(text, START, END, markdown(t, lib))
    text = replace_between(text, RSTART, REND, redundancy_markdown(red))
    OUT_MD.write_text(text, encoding="utf-8")
    print(f"wrote {OUT_CSV.relative_to(ROOT)}, {OUT_RED.relative_to(ROOT)} and {OUT_MD.relative_to(ROOT)}: {len(t)} "
          f"indicators, {len(cities)} cities, {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
