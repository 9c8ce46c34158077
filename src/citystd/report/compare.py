"""Comparing two results documents: score and rank changes per city (and year) and per node (pure).

:func:`compare` matches the result rows of A (before) and B (after) and gives, per city, the
scores, ranks and their changes overall and for every node, the cities found in one document only,
and :func:`differences` between the frameworks that scored them (id, version, sha256, pipeline
steps and parameters). Renderers: :func:`to_text` (tab-separated), :func:`to_markdown`; the JSON
form is the dict itself.

Matching: by city and year when both documents hold the same years (or none); by city alone when
each holds a single, different year (2022 → 2023); otherwise by city and year over the years both
hold. Rank change = rank in A − rank in B, so a positive change is a move up.
"""

from __future__ import annotations

from typing import Any

from citystd import __version__
from citystd.report import labels as L
from citystd.report import numbers as N
from citystd.report import summary as S

#: pipeline parameters that follow from the data, not from the rules (left out of the comparison)
DATA_DRIVEN = {"weights": ("effective", "optimised")}


def _steps(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for step in doc.get("pipeline") or []:
        for name, params in step.items():
            skip = DATA_DRIVEN.get(name, ())
            out.append((name, {k: v for k, v in (params or {}).items() if k not in skip}))
    return out


def pipeline_differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The pipeline steps that differ: ``{"step", "a", "b"}`` with the differing parameters (or
    ``None`` for a step only one pipeline has), in pipeline order."""
    sa, sb = dict(_steps(a)), dict(_steps(b))
    order = list(dict.fromkeys([n for n, _ in _steps(a)] + [n for n, _ in _steps(b)]))
    out = []
    for name in order:
        pa, pb = sa.get(name), sb.get(name)
        if pa == pb:
            continue
        if pa is None or pb is None:
            out.append({"step": name, "a": pa, "b": pb})
            continue
        keys = [k for k in dict.fromkeys([*pa, *pb]) if pa.get(k) != pb.get(k)]
        out.append({"step": name, "a": {k: pa.get(k) for k in keys}, "b": {k: pb.get(k) for k in keys}})
    order_a = [n for n, _ in _steps(a)]
    order_b = [n for n, _ in _steps(b)]
    if not out and order_a != order_b:
        out.append({"step": "order", "a": order_a, "b": order_b})
    return out


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs between the frameworks of A and B: ``{"field", "a", "b"}`` for ``id``,
    ``version`` and ``sha256``, and ``{"field": "pipeline", "steps": [...]}`` (empty: comparable)."""
    fa, fb = a["framework"], b["framework"]
    out: list[dict[str, Any]] = [{"field": k, "a": fa.get(k), "b": fb.get(k)} for k in ("id", "version", "sha256")
                                 if fa.get(k) != fb.get(k)]
    steps = pipeline_differences(a, b)
    if steps:
        out.append({"field": "pipeline", "steps": steps})
    return out


def refused(diffs: list[dict[str, Any]]) -> bool:
    """True when the differences make the comparison meaningless without ``--force``."""
    return any(d["field"] in ("id", "version", "sha256", "pipeline") for d in diffs)


def _change(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old


def _rank_change(old: int | None, new: int | None) -> int | None:
    return None if new is None or old is None else old - new


def pairs(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """How the rows of A and B are matched (``city-year`` or ``city``) and the matched rows, in B's order.

    Same years on both sides: by city and year. Otherwise the years both hold, by city and year;
    without a common year, each side's latest year (a file without years counts as one year), by city.
    """
    ya = {r["year"] for r in a["results"]}
    yb = {r["year"] for r in b["results"]}
    common = (ya & yb) - {None}
    if ya == yb or common:
        keep = ya if ya == yb else common
        rows_a = {(r["city"], r["year"]): r for r in a["results"] if r["year"] in keep}
        return "city-year", [(rows_a[(r["city"], r["year"])], r) for r in b["results"]
                             if r["year"] in keep and (r["city"], r["year"]) in rows_a]
    last_a = max(ya, key=lambda y: (y is not None, y or 0))
    last_b = max(yb, key=lambda y: (y is not None, y or 0))
    rows_a = {r["city"]: r for r in a["results"] if r["year"] == last_a}
    return "city", [(rows_a[r["city"]], r) for r in b["results"] if r["year"] == last_b and r["city"] in rows_a]


def compare(a: dict[str, Any], b: dict[str, Any], *, name_a: str = "A", name_b: str = "B") -> dict[str, Any]:
    """The comparison of results A (before) and B (after) as a JSON-ready dict (module docs)."""
    match, matched = pairs(a, b)
    nodes = [n for n in S.node_names(b) if n in set(S.node_names(a))]
    out_rows = []
    for ra, rb in matched:
        node_changes = {}
        for n in nodes:
            na, nb = ra["nodes"].get(n) or {}, rb["nodes"].get(n) or {}
            node_changes[n] = {"score_a": na.get("score"), "score_b": nb.get("score"),
                               "change": _change(nb.get("score"), na.get("score")), "rank_a": na.get("rank"),
                               "rank_b": nb.get("rank"), "rank_change": _rank_change(na.get("rank"), nb.get("rank"))}
        out_rows.append({
            "city": rb["city"], "year_a": ra["year"], "year_b": rb["year"],
            "score_a": ra["score"], "score_b": rb["score"], "change": _change(rb["score"], ra["score"]),
            "rank_a": ra["rank"], "rank_b": rb["rank"], "rank_change": _rank_change(ra["rank"], rb["rank"]),
            "rating_a": ra["rating"], "rating_b": rb["rating"], "nodes": node_changes,
        })
    cities_a, cities_b = S.cities(a), S.cities(b)
    diffs = differences(a, b)
    names = S.node_names(b)
    return {
        "citystd_version": __version__,
        "a": {"file": name_a, "framework": a["framework"], "input": a.get("input"),
              "citystd_version": a.get("citystd_version")},
        "b": {"file": name_b, "framework": b["framework"], "input": b.get("input"),
              "citystd_version": b.get("citystd_version")},
        "comparable": not refused(diffs),
        "differences": diffs,
        "match": match,
        "years_a": sorted({ra["year"] for ra, _ in matched}, key=lambda y: (y is not None, y or 0)),
        "years_b": sorted({rb["year"] for _, rb in matched}, key=lambda y: (y is not None, y or 0)),
        "top_nodes": [n for n, _ in S.top_nodes(b) if n in nodes],
        "node_names": {n: names[n] for n in nodes},
        "results": out_rows,
        "only_a": [c for c in cities_a if c not in set(cities_b)],
        "only_b": [c for c in cities_b if c not in set(cities_a)],
    }


def _short(v: Any) -> str:
    text = v if isinstance(v, str) else _json(v)
    return text[:12] + "…" if isinstance(v, str) and len(v) == 64 else text


def _json(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def describe(diffs: list[dict[str, Any]], lang: str) -> list[str]:
    """One line per difference: ``version: 1.0.0 → 1.1.0``, ``pipeline normalise: method goalposts → minmax``."""
    lines = []
    for d in diffs:
        if d["field"] != "pipeline":
            lines.append(f"{d['field']}: {_short(d['a'])} → {_short(d['b'])}")
            continue
        for s in d["steps"]:
            if s["a"] is None or s["b"] is None:
                only = "B" if s["a"] is None else "A"
                lines.append(f"pipeline {s['step']}: " + (f"only in {only}" if lang == "en" else f"仅 {only} 有此步骤"))
            elif s["step"] == "order":
                lines.append(f"pipeline order: {' → '.join(s['a'])} ≠ {' → '.join(s['b'])}")
            else:
                params = "; ".join(f"{k} {_json(s['a'][k])} → {_json(s['b'][k])}" for k in s["a"])
                lines.append(f"pipeline {s['step']}: {params}")
    return lines


def what_differs(diffs: list[dict[str, Any]]) -> str:
    """The differing fields in a few words: ``version, sha256, pipeline (normalise, weights)``."""
    parts = []
    for d in diffs:
        if d["field"] == "pipeline":
            parts.append("pipeline (" + ", ".join(s["step"] for s in d["steps"]) + ")")
        else:
            parts.append(d["field"])
    return ", ".join(parts)


def header_lines(cmp: dict[str, Any], lang: str) -> list[str]:
    """Provenance of A and B and whether they are comparable (every output starts with these)."""
    lines = []
    for side in ("a", "b"):
        fw = cmp[side]["framework"]
        lines.append(f"{side.upper()}: {cmp[side]['file']} — {fw['id']} v{fw['version']} sha256 {fw['sha256']}")
    if cmp["match"] == "city":
        ya = ", ".join("—" if y is None else str(y) for y in cmp["years_a"])
        yb = ", ".join("—" if y is None else str(y) for y in cmp["years_b"])
        lines.append(L.label("years_compared", lang).format(a=ya or "—", b=yb or "—"))
    if cmp["differences"]:
        lines.append("⚠ " + L.label("frameworks_differ", lang).format(what=what_differs(cmp["differences"])))
        lines += ["  " + x for x in describe(cmp["differences"], lang)]
    else:
        lines.append(L.label("same_framework", lang).format(sha=cmp["b"]["framework"]["sha256"][:12] + "…"))
    return lines


def columns(cmp: dict[str, Any], lang: str, nodes: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Headers and text rows: city, year(s), score A, B, change, rank A, B, change, then the change
    of each top node (or of the ``nodes`` given, by id)."""
    shown = cmp["top_nodes"] if nodes is None else nodes
    t = lambda k: L.label(k, lang)  # noqa: E731
    years = any(r["year_a"] is not None or r["year_b"] is not None for r in cmp["results"])
    same_year = cmp["match"] == "city-year"
    delta = "Δ "
    heads = [t("city"), *([t("year")] if years and same_year else [f"{t('year')} A", f"{t('year')} B"] if years else []),
             f"{t('score')} A", f"{t('score')} B", t("change"), f"{t('rank')} A", f"{t('rank')} B", t("rank_change")]
    heads += [delta + cmp["node_names"][n][lang] for n in shown]
    rows = []
    for r in cmp["results"]:
        yrs = ([_s(r["year_b"])] if same_year else [_s(r["year_a"]), _s(r["year_b"])]) if years else []
        rows.append([r["city"], *yrs, S.fmt_number(r["score_a"]), S.fmt_number(r["score_b"]), _signed(r["change"]),
                     _s(r["rank_a"]), _s(r["rank_b"]), _signed_int(r["rank_change"]),
                     *[_signed(r["nodes"][n]["change"], 1) for n in shown]])
    return heads, rows


def _s(v: Any) -> str:
    return "—" if v is None else str(v)


def _signed(v: float | None, digits: int = 2) -> str:
    return N.signed(v, digits)


def _signed_int(v: int | None) -> str:
    return "—" if v is None else f"{v:+d}" if v else "0"


def only_lines(cmp: dict[str, Any], lang: str) -> list[str]:
    """The cities found in one of the two results only."""
    lines = []
    for side in ("a", "b"):
        items = cmp[f"only_{side}"]
        if items:
            where = L.label("only_in", lang).format(file=f"{side.upper()} ({cmp[side]['file']})")
            lines.append(f"{where}: {', '.join(items)}")
    return lines


def to_text(cmp: dict[str, Any], lang: str, nodes: list[str] | None = None) -> str:
    """Tab-separated table with ``#`` lines of provenance and differences above it (cells
    neutralised as in CSV: :func:`citystd.textsafe.tsv_cell`); the Δ columns of the top nodes or
    of the ``nodes`` given."""
    from citystd.textsafe import tsv_cell

    heads, rows = columns(cmp, lang, nodes)
    lines = ["# " + x.replace("\n", " ") for x in header_lines(cmp, lang)]
    lines += ["\t".join(map(tsv_cell, heads)), *["\t".join(map(tsv_cell, r)) for r in rows]]
    lines += ["# " + x for x in only_lines(cmp, lang)]
    return "\n".join(lines) + "\n"


def to_markdown(cmp: dict[str, Any], lang: str) -> str:
    """The comparison as Markdown; differing frameworks are announced in a warning block first."""
    from citystd.report.markdown import md, table

    out = [f"# {L.label('comparison', lang)}"]
    head = header_lines(cmp, lang)
    warn = [k for k, x in enumerate(head) if x.startswith("⚠")]
    if warn:
        k = warn[0]
        out.append("> [!WARNING]\n> **" + md(head[k][2:]) + "**\n" + "\n".join(f"> - {md(x.strip())}"
                                                                                for x in head[k + 1:]))
        head = head[:k]
    out.append("  \n".join(md(x) for x in head))
    heads, rows = columns(cmp, lang)
    numeric = [False] + [True] * (len(heads) - 1)
    out.append(table([md(h) for h in heads], [[md(r[0]), *r[1:]] for r in rows], numeric))
    out += [md(x) for x in only_lines(cmp, lang)]
    return "\n\n".join(out) + "\n"
