"""The assessed city among its peers (``citystd score CITY --compare-with PEERS``), for people.

Pure functions of a results document that has ``peers`` and ``gaps`` (docs/results.md,
docs/self-assessment.md), shared by the terminal table of ``citystd score`` and the Markdown
summary so that they say the same:

- :func:`comparison_doc` — the document with the rows that are compared: each assessed city in
  its compared (latest) year and the peers of the year it is compared with, ranked together
  (1 + the number of rows scoring higher, ties sharing a rank). The engine ranks each year on its
  own, so without this the assessed city would be rank 1 of every year the peers do not have.
- :func:`year_note` — which years are compared, when they differ.
- :func:`standing_line`, :func:`domain_rows` — its rank among the peers, overall and per domain,
  with the best peer and the peers' median.
- :func:`priority_rows` — the indicators whose improvement would raise its overall score most.
"""

from __future__ import annotations

from typing import Any

from citystd.report import numbers as N

#: priorities listed by the terminal and the Markdown summary (the JSON has them all)
TOP_PRIORITIES = 10


def entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The assessed cities' entries of ``peers`` (empty without a comparison)."""
    peers = doc.get("peers")
    if not isinstance(peers, dict):
        return []
    return [e for e in peers.get("cities") or [] if isinstance(e, dict) and "city" in e]


def comparison_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with ``results`` holding the rows compared (module docs), ranked together, best first.

    With saved peer results (``peers.source.kind`` = ``results``) the peers' rows are not in the
    document: the rows are the assessed cities', each with its rank among the peers.
    """
    items = entries(doc)
    if not items:
        return doc
    assessed = {e["city"] for e in items}
    compared = {(e["city"], e.get("year")) for e in items}
    peer_years = {e.get("peer_year") for e in items}
    kind = ((doc.get("peers") or {}).get("source") or {}).get("kind")
    rows = [r for r in doc["results"] if (r["city"], r["year"]) in compared]
    if kind == "results":
        ranks = {(e["city"], e.get("year")): (e.get("overall") or {}).get("rank") for e in items}
        out = [{**r, "rank": ranks.get((r["city"], r["year"]))} for r in rows]
    else:
        rows += [r for r in doc["results"] if r["city"] not in assessed and r["year"] in peer_years]
        scores = [r["score"] for r in rows if r["score"] is not None]
        out = [{**r, "rank": None if r["score"] is None else 1 + sum(s > r["score"] for s in scores)} for r in rows]
    out.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, str(r["city"])))
    return {**doc, "results": out, "trends": []}


def is_assessed(doc: dict[str, Any], row: dict[str, Any]) -> bool:
    """True for a row of an assessed city (not a peer)."""
    return any(e["city"] == row["city"] for e in entries(doc))


def heading(doc: dict[str, Any], entry: dict[str, Any], lang: str) -> str:
    """``示范市 (2024) among 30 peers (examples/cities-2023.xlsx)``."""
    source = (doc.get("peers") or {}).get("source") or {}
    file = source.get("file") or "—"
    if lang == "zh":
        year = "" if entry.get("year") is None else f"（{entry['year']} 年）"
        return f"{entry['city']}{year}与 {entry.get('peers', 0)} 个同行城市对比（{file}）"
    year = "" if entry.get("year") is None else f" ({entry['year']})"
    return f"{entry['city']}{year} among {entry.get('peers', 0)} peers ({file})"


def year_note(entry: dict[str, Any], lang: str) -> str | None:
    """Which years are compared, when the city's and the peers' differ (``None`` when they agree)."""
    year, peer_year = entry.get("year"), entry.get("peer_year")
    if year == peer_year:
        return None
    city = entry["city"]
    if peer_year is None:
        return (f"同行数据没有年份：比较的是 {city} {year} 年的得分与同行数据中的得分。" if lang == "zh" else
                f"The peers' data has no year: {city}'s {year} scores are compared with the peers' as they are.")
    if year is None:
        return (f"{city} 的数据没有年份：与同行 {peer_year} 年的得分比较。" if lang == "zh" else
                f"{city}'s data has no year: it is compared with the peers' {peer_year}.")
    if lang == "zh":
        return f"年份不同：比较的是 {city} {year} 年与同行 {peer_year} 年（同行在 {year} 年及以前的最近一年）。"
    return (f"Years differ: {city} in {year} is compared with the peers in {peer_year} (their latest year up to "
            f"{year}).")


def standing_line(entry: dict[str, Any], lang: str) -> str:
    """The overall standing in one sentence: rank of n, score, best peer, median, percentile."""
    o = entry.get("overall") or {}
    rank = "—" if o.get("rank") is None else str(o["rank"])
    best = "—" if o.get("best") is None else (f"{N.fixed(o['best'])}（{o.get('best_city')}）" if lang == "zh" else
                                             f"{N.fixed(o['best'])} ({o.get('best_city')})")
    pct = "—" if o.get("percentile") is None else f"{N.fixed(o['percentile'], 0)}%"
    if lang == "zh":
        return (f"综合：第 {rank} 名 / 共 {o.get('of', 0)} 个，得分 {N.fixed(o.get('score'))}；同行最高 {best}，"
                f"中位数 {N.fixed(o.get('median'))}；高于 {pct} 的同行。")
    return (f"Overall: rank {rank} of {o.get('of', 0)}, score {N.fixed(o.get('score'))}; best peer {best}, "
            f"peers' median {N.fixed(o.get('median'))}; ahead of {pct} of the peers.")


def _gaps_entry(doc: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    for g in doc.get("gaps") or []:
        if isinstance(g, dict) and g.get("city") == entry["city"] and g.get("year") == entry.get("year"):
            return g
    return {}


def domain_headers(lang: str) -> list[str]:
    if lang == "zh":
        return ["领域", "得分", "排名", "同行最高", "最高城市", "同行中位数", "距最高", "可提升（分）"]
    return ["Domain", "Score", "Rank", "Best peer", "Best city", "Peers' median", "To best", "Points to gain"]


def domain_rows(doc: dict[str, Any], entry: dict[str, Any], lang: str) -> list[list[str]]:
    """Per top-level domain: name, score, ``rank/of``, best peer score and city, the peers' median,
    the distance to the best (``+`` behind, ``-`` ahead) and the points of the overall score the
    domain could add (``gaps``: all its indicators at their best)."""
    names = {n["id"]: n["name"] for n in doc.get("tree") or [] if "id" in n}
    gains = {d.get("id"): d.get("points") for d in _gaps_entry(doc, entry).get("domains") or [] if isinstance(d, dict)}
    out = []
    for nid, d in (entry.get("domains") or {}).items():
        rank = "—" if d.get("rank") is None else f"{d['rank']}/{d.get('of', 0)}"
        name = (names.get(nid) or {}).get(lang) or nid
        out.append([name, N.fixed(d.get("score"), 1), rank, N.fixed(d.get("best"), 1), str(d.get("best_city") or "—"),
                    N.fixed(d.get("median"), 1), N.signed(d.get("distance_to_best"), 1), N.fixed(gains.get(nid))])
    return out


def priority_headers(lang: str) -> list[str]:
    if lang == "zh":
        return ["优先序", "指标", "数值", "单位", "最佳值", "得分", "有效权重", "可提升（分）"]
    return ["Priority", "Indicator", "Value", "Unit", "Best", "Score", "Weight", "Points to gain"]


def priority_rows(doc: dict[str, Any], entry: dict[str, Any], lang: str, n: int = TOP_PRIORITIES) -> list[list[str]]:
    """The first ``n`` priorities of ``gaps``: the indicators whose reaching the best would raise
    the overall score most (``points``), with value, unit, best, score and effective weight."""
    g = _gaps_entry(doc, entry)
    inds = g.get("indicators") or {}
    meta = doc.get("indicators") or {}
    out = []
    for k, ind in enumerate((g.get("priorities") or [])[:n], 1):
        e = inds.get(ind) or {}
        m = meta.get(ind) or {}
        name = (m.get("name") or {}).get(lang) or ind
        unit = ((m["unit"].get(lang) or "") if isinstance(m.get("unit"), dict) else str(m.get("unit") or ""))
        out.append([str(k), name, N.plain(e.get("value")), unit, N.plain(e.get("best")), N.fixed(e.get("score"), 1),
                    N.fixed(e.get("weight"), 4), N.fixed(e.get("points"))])
    return out


def years_line(doc: dict[str, Any], entry: dict[str, Any], lang: str) -> str | None:
    """The assessed city's overall score in each of its years (``None`` with one year)."""
    mine = sorted((r for r in doc["results"] if r["city"] == entry["city"] and r["year"] is not None),
                  key=lambda r: r["year"])
    if len(mine) < 2:
        return None
    series = " · ".join(f"{r['year']} {N.fixed(r['score'])}" for r in mine)
    if lang == "zh":
        return f"{entry['city']} 历年综合得分：{series}（--city {entry['city']} 查看其画像）"
    return f"{entry['city']} over the years: {series} (--city {entry['city']} for its profile)"


TITLES = {"domains": ("By domain", "各领域"),
          "priorities": ("Priorities: what would raise the overall score most", "优先改进：对综合得分提升最大的指标")}


def title(key: str, lang: str) -> str:
    """A section title: ``domains`` or ``priorities``."""
    en, zh = TITLES[key]
    return zh if lang == "zh" else en
