"""What every summary of a results document says: the ranking rows, provenance, strengths, gaps.

Pure functions of the results document (docs/results.md), shared by the terminal table of
``citystd score``, the Markdown summary and the Excel report, so they agree cell for cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from citystd.report.labels import label, rating_label
from citystd.report.numbers import fixed, share_value
from citystd.report.numbers import share as share_text

#: top-level node ids of the tree with their names
Node = tuple[str, dict[str, str]]


def fmt_number(v: float | None, digits: int = 2) -> str:
    """``v`` with ``digits`` decimals, or ``—`` when missing (never ``-0.00``)."""
    return fixed(v, digits)


def coverage_text(share: float | None) -> str:
    """A share as a percentage to 0.1 %, rounded; never 100 % while data are missing
    (:func:`citystd.report.numbers.share`)."""
    return share_text(share)


def coverage_value(share: float | None) -> float | None:
    """The share as shown by :func:`coverage_text`, as a number (for cells formatted ``0.0%``)."""
    return share_value(share)


def top_nodes(doc: dict[str, Any]) -> list[Node]:
    """The top-level nodes (domains) of the framework's tree: ``(id, name)``."""
    return [(n["id"], n["name"]) for n in doc["tree"] if "id" in n]


def node_names(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every node of the tree by id → bilingual name."""
    out: dict[str, dict[str, str]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "id" in item:
                out[item["id"]] = item["name"]
                walk(item.get("children", []))

    walk(doc["tree"])
    return out


def indicator_domains(doc: dict[str, Any]) -> dict[str, str]:
    """Indicator id → id of the top-level node that holds it."""
    out: dict[str, str] = {}

    def walk(items: list[dict[str, Any]], top: str | None) -> None:
        for item in items:
            if "id" in item:
                walk(item.get("children", []), top or item["id"])
            elif top is not None:
                out.setdefault(item["indicator"], top)

    walk(doc["tree"], None)
    return out


def has_years(doc: dict[str, Any]) -> bool:
    return any(r["year"] is not None for r in doc["results"])


def years(doc: dict[str, Any]) -> list[int]:
    return sorted({r["year"] for r in doc["results"] if r["year"] is not None})


def city_rows(doc: dict[str, Any], city: str | None = None) -> list[dict[str, Any]]:
    """The result rows of one city (all years, in document order), or all rows."""
    rows = doc["results"]
    return [r for r in rows if r["city"] == city] if city is not None else rows


def cities(doc: dict[str, Any]) -> list[str]:
    """Every city of the document, in document order, once."""
    return list(dict.fromkeys(r["city"] for r in doc["results"]))


def latest_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each city's row of its latest year (document order: best rank first within the year)."""
    latest: dict[str, dict[str, Any]] = {}
    for r in doc["results"]:
        seen = latest.get(r["city"])
        if seen is None or (r["year"] or 0) >= (seen["year"] or 0):
            latest[r["city"]] = r
    chosen = {id(r) for r in latest.values()}
    return [r for r in doc["results"] if id(r) in chosen]


def score_range(doc: dict[str, Any]) -> tuple[float, float] | None:
    """The range of normalised scores (``normalise.range``; ``None`` for unbounded z-scores)."""
    for step in doc.get("pipeline", []):
        params = step.get("normalise")
        if params is not None:
            if params.get("method") == "zscore":
                return None
            lo, hi = params.get("range", (0.0, 100.0))
            return float(lo), float(hi)
    return 0.0, 100.0


def score_top(doc: dict[str, Any]) -> float:
    """The best possible normalised score (100 unless the pipeline says otherwise)."""
    rng = score_range(doc)
    return rng[1] if rng else 100.0


def effective_weights(doc: dict[str, Any]) -> dict[str, float]:
    """Each indicator's weight in the overall score: ``weights.effective`` of the pipeline.

    Documents without it (older results) get the product of the normalised tree weights.
    """
    for step in doc.get("pipeline", []):
        params = step.get("weights")
        if params is not None and params.get("effective"):
            return {k: float(v) for k, v in params["effective"].items()}
    out: dict[str, float] = {}

    def walk(items: list[dict[str, Any]], share: float) -> None:
        total = sum(float(i.get("weight", 1.0)) for i in items)
        for item in items:
            w = share * (float(item.get("weight", 1.0)) / total if total > 0 else 0.0)
            if "id" in item:
                walk(item.get("children", []), w)
            else:
                out[item["indicator"]] = out.get(item["indicator"], 0.0) + w

    walk(doc["tree"], 1.0)
    return out


def rank_interval(doc: dict[str, Any], row: dict[str, Any], node: str | None = None) -> dict[str, Any] | None:
    """The audit's rank interval of a result row (``citystd score --audit``; docs/results.md ``audit``):
    ``median_rank``, ``q05``, ``q95`` … of the overall rank, or of ``node``; None without one."""
    audit = doc.get("audit")
    if not audit or row.get("year") != audit.get("year"):
        return None
    entry = (audit.get("ranks") or {}).get(row["city"])
    if entry is not None and node is not None:
        entry = (entry.get("nodes") or {}).get(node)
    return entry if entry and entry.get("q05") is not None and entry.get("q95") is not None else None


def rank_number(x: float | None) -> str:
    """A rank statistic: whole ranks as integers, others with one decimal."""
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def interval_text(entry: dict[str, Any] | None) -> str:
    """``4–9`` (the 5th–95th percentile of the rank), or ``—``."""
    return "—" if entry is None else f"{rank_number(entry['q05'])}–{rank_number(entry['q95'])}"


def summary_rows(doc: dict[str, Any], lang: str, city: str | None = None, *, titled: bool = False,
                 nodes: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """The ranking as text: rank, city, year (with years), score, rating, coverage, then the
    top-level nodes (or the ``nodes`` given, by id: any node of the tree).

    The terminal table of ``citystd score`` and the Markdown summary both show these rows.
    English headers are lower case (a machine-friendly header line) unless ``titled``.
    """
    names = node_names(doc)
    shown = [(t, name) for t, name in top_nodes(doc)] if nodes is None else [(n, names[n]) for n in nodes]
    with_years = has_years(doc)
    audited = bool(doc.get("audit"))
    keys = ["rank", *(["rank_interval"] if audited else []), "city", *(["year"] if with_years else []), "score",
            "rating", "coverage"]
    headers = [label(k, lang) for k in keys]
    if lang == "en" and not titled:
        headers = [h.lower() for h in headers]
    headers += [name[lang] for _, name in shown]
    rows = []
    for r in city_rows(doc, city):
        rows.append([
            "—" if r["rank"] is None else str(r["rank"]), *([interval_text(rank_interval(doc, r))] if audited else []),
            r["city"], *([str(r["year"] or "—")] if with_years else []),
            fmt_number(r["score"]), rating_label(r["rating"], lang), coverage_text(r["coverage"]),
            *[fmt_number((r["nodes"].get(t) or {}).get("score"), 1) for t, _ in shown],
        ])
    return headers, rows


def contributions(doc: dict[str, Any], row: dict[str, Any],
                  weights: dict[str, float] | None = None) -> Iterator[tuple[str, float, float, float, float]]:
    """Per scored indicator of a result row: ``(id, score, weight, points added, points lost)``.

    Points added = effective weight × score; points lost = effective weight × (best score −
    score): what the indicator adds to, and what it costs, the overall score.
    """
    w = effective_weights(doc) if weights is None else weights
    top = score_top(doc)
    rng = score_range(doc)
    bottom = rng[0] if rng else 0.0
    for ind, cell in row["indicators"].items():
        s = cell["score"]
        weight = w.get(ind, 0.0)
        if s is None or weight <= 0:
            continue
        yield ind, s, weight, weight * (s - bottom), weight * (top - s)


def strengths_weaknesses(doc: dict[str, Any], row: dict[str, Any], n: int = 3,
                         weights: dict[str, float] | None = None) -> tuple[list[tuple], list[tuple]]:
    """The ``n`` indicators adding the most points (strengths) and losing the most (weaknesses).

    Each item is ``(id, score, weight, points)``. Ties are broken by indicator id.
    """
    items = list(contributions(doc, row, weights))
    strong = sorted(items, key=lambda x: (-x[3], x[0]))[:n]
    weak = sorted(items, key=lambda x: (-x[4], x[0]))[:n]
    return [(i, s, w, a) for i, s, w, a, _ in strong], [(i, s, w, lost) for i, s, w, _, lost in weak]


def issue_counts(doc: dict[str, Any]) -> dict[str, int]:
    """Data findings by severity: ``{"error": n, "warning": m}`` (both keys always present)."""
    counts = {"error": 0, "warning": 0}
    for issue in doc.get("issues", []):
        sev = issue.get("severity") or "warning"
        counts[sev] = counts.get(sev, 0) + 1
    return counts


def shortfall(value: float | None, goal: float | None, direction: str) -> float | None:
    """How far ``value`` is from ``goal`` in the indicator's unit: 0 once reached or passed.

    ``higher``: goal − value; ``lower``: value − goal (both floored at 0); ``target``: |value − goal|.
    """
    if value is None or goal is None:
        return None
    if direction == "higher":
        return max(goal - value, 0.0)
    if direction == "lower":
        return max(value - goal, 0.0)
    return abs(value - goal)


def gap_rows(doc: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per city (its latest year, unless ``rows`` are given) and indicator: the gaps, largest first.

    Uses the document's ``gaps`` (the gap analysis of ``citystd score``, one entry per city with
    its ``indicators``) when it covers the rows; otherwise computes the simple version here:
    ``gap_target`` and ``gap_best`` (:func:`shortfall` to the target and to the goalposts' best, in
    the indicator's unit) and ``weighted_gap`` = effective weight × (best score − score), the
    points of the overall score the indicator loses. Items: ``city, year, indicator, value, target,
    target_year, gap_target, best, gap_best, score, weight, weighted_gap``; sorted by weighted gap
    (largest first, missing last), then city and indicator.
    """
    rows = latest_rows(doc) if rows is None else rows
    wanted = {(r["city"], r["year"]) for r in rows}
    given = {(g.get("city"), g.get("year")): g for g in doc.get("gaps") or []
             if isinstance(g, dict) and isinstance(g.get("indicators"), dict)}
    if wanted and wanted <= set(given):
        out = [_gap_from_doc(city, year, ind, e) for (city, year) in sorted(wanted, key=str)
               for ind, e in given[(city, year)]["indicators"].items()]
    else:
        out = _compute_gaps(doc, rows)
    out.sort(key=lambda g: (g["weighted_gap"] is None, -(g["weighted_gap"] or 0.0), str(g["city"]),
                            g["year"] or 0, g["indicator"]))
    return out


def _gap_from_doc(city: str, year: int | None, ind: str, e: dict[str, Any]) -> dict[str, Any]:
    """One indicator of the document's ``gaps`` (:mod:`citystd.assessment.gaps`) as a gap row."""
    t = e.get("target") if isinstance(e.get("target"), dict) else {}
    return {"city": city, "year": year, "indicator": ind, "value": e.get("value"), "target": t.get("value"),
            "target_year": t.get("year"), "gap_target": e.get("gap_to_target"), "best": e.get("best"),
            "gap_best": e.get("gap_to_best"), "score": e.get("score"), "weight": e.get("weight"),
            "weighted_gap": e.get("points")}


def _compute_gaps(doc: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    weights = effective_weights(doc)
    top = score_top(doc)
    meta = doc["indicators"]
    plan = []
    for ind, m in meta.items():
        t, gp = m.get("target"), m.get("goalposts")
        plan.append((ind, m.get("direction", "higher"), t["value"] if t else None, t["year"] if t else None,
                     gp["best"] if gp else None, weights.get(ind, 0.0)))
    out = []
    for r in rows:
        cells = r["indicators"]
        for ind, direction, target, target_year, best, w in plan:
            cell = cells.get(ind)
            if cell is None:
                continue
            v, s = cell["value"], cell["score"]
            out.append({
                "city": r["city"], "year": r["year"], "indicator": ind, "value": v, "target": target,
                "target_year": target_year, "gap_target": shortfall(v, target, direction), "best": best,
                "gap_best": shortfall(v, best, direction), "score": s, "weight": w,
                "weighted_gap": None if s is None else w * (top - s),
            })
    return out
