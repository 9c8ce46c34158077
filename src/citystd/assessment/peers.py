"""Peer comparison: ``citystd score CITY --compare-with PEERS`` (docs/self-assessment.md).

PEERS is either

- **a peer data set** (``.xlsx``, ``.csv``, ``.parquet`` …, read like any data file): the city and
  the peers are scored together, in one run, so every method — data-driven ones too — sees the
  same set. Peer rows of a city with the assessed file's name are left out (the assessed file
  wins), and so are peer rows of years before the assessed file's first year (so that trends
  and progress keep the city's own base year); or
- **saved results** (``.json`` written by ``citystd score -o``): the city is scored alone and its
  scores are compared with the peers' saved scores. That is only sound when both were scored by
  the same rules — the same framework id, version and ``sha256`` (which covers the tree, the
  pipeline after ``--set``, the overrides and the indicator definitions) — **and** by a pipeline
  that scores each city on its own terms: goalposts or tiers normalisation; manual, equal or AHP
  weights; no imputation from other cities (mean, median, group means); no outlier treatment;
  no Copeland, TOPSIS or ``fill`` in aggregation. Otherwise the comparison is refused (U903) with
  what differs, and the way out: compare with the peers' data.

The comparison (``peers`` in the results, :func:`comparison`), for each city assessed, in its
latest year against the peers of the same year (else the peers' latest year before it, else the
peers without years): overall and per top-level node, its score, ``rank`` (1 + the number of
peers scoring higher) ``of`` (the peers with a score, plus the city), ``percentile`` (the share
of those peers it scores higher than, in %), the ``best`` peer score and ``best_city``,
``distance_to_best`` (best − score: > 0 behind, ≤ 0 ahead of every peer) and the peers'
``median``. The same ranks are the domain ranks of ``gaps``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citystd.diagnostics import Location, Msg, error
from citystd.library.load import Library
from citystd.library.models import Framework
from citystd.library.rules import RESERVED_NODE as OVERALL

#: methods that score a city on its own terms (its score does not depend on the other cities)
SET_FREE = {"normalise": ("goalposts", "tiers", "scaled"), "weights": ("manual", "equal", "ahp"),
            "impute": ("latest", "linear"),
            "aggregate": ("arithmetic", "geometric", "harmonic", "power", "median")}


def score_with_peers(data: Any, peers: Path, lib: Library, fw: Framework, spec: Any, *, sheet: str | None = None,
                     layout: str = "auto", id_column: str | None = None, keep_going: bool = False, lang: str = "en",
                     progress: Callable[[str], None] | None = None, **read: Any) -> Any:
    """Score ``data`` with the peers of ``peers`` (see the module docs); an Outcome of citystd.assessment.results."""
    from citystd.assessment.prepare import prepare
    from citystd.assessment.results import Outcome, Results
    from citystd.engine.pipeline import ROOT, run

    step = progress or (lambda _stage: None)
    if not peers.exists():
        raise error("U901", f"no such file: {peers}", f"文件不存在：{peers}", Location(str(peers)), exit_code=2)
    saved = load_results(peers) if peers.suffix.lower() == ".json" else None
    if saved is not None:
        refuse_incomparable(saved, spec, str(peers))
    prep = prepare(data, lib, fw, spec, sheet=sheet, layout=layout, id_column=id_column, keep_going=keep_going,
                   progress=step, **read)
    diags = list(prep.diagnostics)
    assessed = list(prep.city.units)
    if saved is None:
        other = prepare(peers, lib, fw, spec, keep_going=keep_going, progress=step)
        diags += other.diagnostics
        if prep.stop or other.stop:
            return Outcome(None, diags)
        values, attrs, left_out = combine(prep.values, prep.city.attributes, other.values, other.city.attributes)
        source = {"file": other.city.source.file, "sha256": other.city.source.sha256, "kind": "data",
                  "left_out": left_out}
    else:
        if prep.stop:
            return Outcome(None, diags)
        values, attrs = prep.values, prep.city.attributes
        source = {"file": str(peers), "sha256": hashlib.sha256(peers.read_bytes()).hexdigest(), "kind": "results",
                  "left_out": None}
    step("score")
    scores = run(spec, values, attrs)
    diags += scores.diagnostics
    codes = {**(other.codes if saved is None else {}), **prep.codes}
    results = Results(spec, scores, lib, input_info=prep.input_info, issues=diags, lang=lang, codes=codes)
    nodes = [n for n in spec.node(ROOT).children if any(x.id == n for x in spec.nodes)]
    mine = _rows_from_scores(scores, [ROOT, *nodes], set(assessed))
    theirs = _rows_from_doc(saved, nodes) if saved is not None else \
        _rows_from_scores(scores, [ROOT, *nodes], None, exclude=set(assessed))
    entries, ranks = comparison(mine, theirs, [ROOT, *nodes])
    n_peers = len({r[0] for r in theirs})
    years = sorted({r[1] for r in theirs if r[1] is not None})
    results.assessed = assessed  # type: ignore[attr-defined]
    results.peer_ranks = ranks  # type: ignore[attr-defined]
    results.peers = {"source": {**source, "cities": n_peers, "years": years}, "cities": entries}  # type: ignore[attr-defined]
    return Outcome(results, diags)


# --- saved results ---------------------------------------------------------------------------------


def load_results(path: Path) -> dict[str, Any]:
    """A results document written by ``citystd score`` (D701 when the file is not one)."""
    name = str(path)
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise error("D701", f"cannot read the peer results '{name}': {exc}", f"无法读取同行结果 '{name}'：{exc}",
                    Location(name), Msg("give the JSON written by `citystd score -o results.json`, or the peers' data",
                                        "请提供 `citystd score -o results.json` 写出的 JSON，或同行城市的数据文件")) from None
    fw = doc.get("framework") if isinstance(doc, dict) else None
    if not isinstance(fw, dict) or not isinstance(doc.get("results"), list) or "sha256" not in fw:
        raise error("D701", f"'{name}' is not the results of `citystd score` (no framework or results)",
                    f"'{name}' 不是 `citystd score` 的结果（缺少 framework 或 results）", Location(name),
                    Msg("give the JSON written by `citystd score -o results.json`, or the peers' data",
                        "请提供 `citystd score -o results.json` 写出的 JSON，或同行城市的数据文件"))
    return doc


def set_dependent_steps(spec: Any) -> list[str]:
    """The pipeline steps of ``spec`` whose result for one city depends on the other cities scored."""
    from citystd.engine.pipeline import ROOT

    out = []
    steps = list(spec.steps)
    if not any(name == "normalise" for name, _ in steps):
        steps.append(("normalise", None))  # goalposts, added by the pipeline
    for name, params in steps:
        if params is None:
            continue
        if name == "treat":
            out.append(f"treat: {params.method}")
        elif name == "normalise":
            own = [q.method for q in (params.indicators or {}).values() if q.method]
            bad = sorted({m for m in (params.method, *own) if m not in SET_FREE[name]})
            if bad:
                out.append("normalise: " + ", ".join(bad))
        elif name in ("weights", "impute") and params.method not in SET_FREE[name]:
            out.append(f"{name}: {params.method}")
        elif name == "aggregate":
            rules = [params.rule(n.id, n.level, "root" if n.id == ROOT else n.id) for n in spec.nodes]
            bad = sorted({r.method for r in rules} - set(SET_FREE["aggregate"]))
            if bad:
                out.append("aggregate: " + ", ".join(bad))
            fills = sorted({r.fill for r in rules if r.fill})
            if fills:
                out.append("aggregate: fill " + ", ".join(fills))
    return out


def refuse_incomparable(doc: Mapping[str, Any], spec: Any, name: str) -> None:
    """U903 unless ``doc`` was scored by the same rules as ``spec``, each city on its own terms."""
    theirs = doc["framework"]
    mine = {"id": spec.framework_id, "version": spec.version, "sha256": spec.sha256()}
    diff = [k for k in ("id", "version", "sha256") if theirs.get(k) != mine[k]]
    hint = Msg("score the peers' data together with the city instead: --compare-with PEERS.xlsx (or .csv)",
               "请改为与同行城市的数据一起评分：--compare-with 同行数据.xlsx（或 .csv）")
    if diff:
        shown = "; ".join(f"{k} {str(theirs.get(k))[:12]} ≠ {str(mine[k])[:12]}" for k in diff)
        if diff == ["sha256"]:
            why_en = "the framework's rules differ (tree, pipeline, --set, overrides or indicator definitions"
            why_zh = "框架的规则不同（指标树、计算流程、--set、覆盖项或指标定义"
        else:
            why_en, why_zh = "another framework or version (", "框架或版本不同（"
        raise error("U903", f"the peer results '{name}' were scored by other rules than this run — {why_en}: "
                    f"{shown}); their scores cannot be compared",
                    f"同行结果 '{name}' 的评分规则与本次不同——{why_zh}：{shown}），得分不可比",
                    Location(name), hint, exit_code=2)
    steps = set_dependent_steps(spec)
    if steps:
        raise error("U903", f"the pipeline scores a city relative to the others scored with it ({', '.join(steps)}); "
                    f"saved peer scores from another run are not comparable", "该计算流程的得分取决于同时评分的其他城市"
                    f"（{', '.join(steps)}），其他批次保存的同行得分不可比", Location(name), hint, exit_code=2)


# --- peer data ---------------------------------------------------------------------------------------


def combine(values: pd.DataFrame, attrs: pd.DataFrame, peer_values: pd.DataFrame,
            peer_attrs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The assessed rows and the peers' rows in one table, and what was left out of the peers
    (module docs): ``{"cities": [names also in the assessed file], "before": first year, "rows": n}``."""
    units = set(values.index.get_level_values("unit"))
    years = values.index.get_level_values("year")
    first = None if years.isna().all() else int(np.nanmin(years.to_numpy(dtype="float64", na_value=np.nan)))
    pu = peer_values.index.get_level_values("unit")
    py = peer_values.index.get_level_values("year").to_numpy(dtype="float64", na_value=np.nan)
    same = np.asarray(pu.isin(units))
    early = (py < first) if first is not None else np.zeros(len(py), dtype=bool)
    keep = ~same & ~early
    left_out = {"cities": sorted({str(u) for u in pu[same]}), "before": first if early.any() else None,
                "rows": int((~keep).sum())}
    pv, pa = peer_values.loc[keep], peer_attrs.reindex(peer_values.index).loc[keep]
    out = pd.concat([values, pv])
    out_attrs = pd.concat([attrs.reindex(values.index), pa]).reindex(out.index)
    return out, out_attrs, left_out


# --- the comparison -------------------------------------------------------------------------------------

Row = tuple[str, "int | None", dict[str, "float | None"]]


def _rows_from_scores(scores: Any, nodes: Sequence[str], only: set[str] | None,
                      exclude: set[str] | None = None) -> list[Row]:
    frame = scores.nodes
    units = frame.index.get_level_values("unit").astype(str)
    years = frame.index.get_level_values("year")
    out: list[Row] = []
    arr = frame[list(nodes)].to_numpy(dtype=float)
    for k, (u, y) in enumerate(zip(units, years, strict=True)):
        if (only is not None and u not in only) or (exclude is not None and u in exclude):
            continue
        out.append((u, None if pd.isna(y) else int(y),
                    {n: (None if np.isnan(arr[k, j]) else float(arr[k, j])) for j, n in enumerate(nodes)}))
    return out


def _rows_from_doc(doc: Mapping[str, Any], nodes: Sequence[str]) -> list[Row]:
    from citystd.engine.pipeline import ROOT

    out: list[Row] = []
    for r in doc.get("results", []):
        if not isinstance(r, dict) or "city" not in r:
            continue
        scores_: dict[str, float | None] = {ROOT: r.get("score")}
        for n in nodes:
            scores_[n] = ((r.get("nodes") or {}).get(n) or {}).get("score")
        out.append((str(r["city"]), r.get("year"), scores_))
    return out


def _peer_year(year: int | None, available: set[int | None]) -> int | None:
    if year in available:
        return year
    earlier = [y for y in available if y is not None and (year is None or y <= year)]
    if earlier:
        return max(earlier)
    if None in available:
        return None
    later = [y for y in available if y is not None]
    return min(later) if later else None


def comparison(mine: list[Row], theirs: list[Row], nodes: Sequence[str]) -> tuple[list[dict[str, Any]],
                                                                                  dict[str, dict[str, tuple]]]:
    """One entry per assessed city (its latest year) and the ranks ``{city: {node: (rank, of)}}``."""
    from citystd.engine.pipeline import ROOT

    latest: dict[str, Row] = {}
    for row in mine:
        cur = latest.get(row[0])
        if cur is None or (row[1] is not None and (cur[1] is None or row[1] > cur[1])):
            latest[row[0]] = row
    available = {r[1] for r in theirs}
    entries, ranks = [], {}
    for city in sorted(latest, key=str):
        _, year, scores_ = latest[city]
        py = _peer_year(year, available)
        pool = [r for r in theirs if r[1] == py and r[0] != city]
        item: dict[str, Any] = {"city": city, "year": year, "peer_year": py, "peers": len({r[0] for r in pool})}
        ranks[city] = {}
        per_node = {}
        for n in nodes:
            stats = _standing(scores_.get(n), [(r[0], r[2].get(n)) for r in pool])
            per_node[OVERALL if n == ROOT else n] = stats
            ranks[city][n] = (stats["rank"], stats["of"])
        item[OVERALL] = per_node.pop(OVERALL)
        item["domains"] = per_node
        entries.append(item)
    return entries, ranks


def _standing(score: float | None, peers: list[tuple[str, float | None]]) -> dict[str, Any]:
    vals = [(c, v) for c, v in peers if v is not None and not (isinstance(v, float) and np.isnan(v))]
    out: dict[str, Any] = {"score": score, "rank": None, "of": len(vals) + (score is not None), "percentile": None,
                           "best": None, "best_city": None, "distance_to_best": None, "median": None}
    if vals:
        best_city, best = max(vals, key=lambda cv: (cv[1], _neg(cv[0])))
        out.update(best=best, best_city=best_city, median=float(np.median([v for _, v in vals])))
    if score is None:
        return out
    higher = sum(1 for _, v in vals if v > score)
    lower = sum(1 for _, v in vals if v < score)
    out["rank"] = 1 + higher
    if vals:
        out["percentile"] = 100.0 * lower / len(vals)
        out["distance_to_best"] = out["best"] - score
    return out


def _neg(text: str) -> tuple[int, ...]:
    """Sort key that puts the alphabetically first city first among equal best scores."""
    return tuple(-ord(ch) for ch in text)
