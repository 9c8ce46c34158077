"""The Markdown summary: for CI comments, pull requests and wikis (GitHub-flavoured tables).

``render(doc, lang)``: provenance (framework id, version and hash; input file and hash), the
ranking table (the rows of the terminal table of ``citystd score``, :func:`summary_rows`), each
city's top strengths and weaknesses, and the data issues by severity. ``render(doc, lang,
city=NAME)``: one city's profile (scores over the years, domains, strengths and weaknesses, the
largest gaps).

Text from the data (city and indicator names, file names, messages) is escaped: Markdown
punctuation gets a backslash and ``<``, ``>``, ``&`` become entities, so a city named
``<script>`` or ``a|b`` neither injects HTML nor breaks a table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from citystd.report import labels as L
from citystd.report import numbers as N
from citystd.report import standing
from citystd.report import summary as S

#: rating → marker shown before the rating's name
EMOJI = {"green": "🟢", "yellow": "🟡", "orange": "🟠", "red": "🔴", "gray": "⚪"}
TOP_N = 3
TOP_GAPS = 10

_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
#: characters that only mean something at the start of a line (headings, lists, quotes, images)
_LEADING = ("#", "+", "-", "!", "=")
_SPACE = re.compile(r"[\r\n\t\v\f]+")
_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")


def md(text: Any) -> str:
    """``text`` safe inside a Markdown paragraph or table cell (one line, no markup, no HTML)."""
    s = _SPACE.sub(" ", str(text))
    s = _SPECIAL.sub(r"\\\1", s)
    if s.startswith(_LEADING):
        s = "\\" + s
    s = _ORDERED.sub(r"\1\\\2", s)  # "1. x" would start an ordered list
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None) -> str:
    """A GitHub table from already escaped cells (numeric columns right-aligned)."""
    numeric = numeric or [False] * len(headers)
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(doc: dict[str, Any], lang: str, city: str | None = None) -> bytes:
    """The summary as UTF-8 Markdown bytes: all cities, or the profile of ``city``.

    Raises ``ValueError`` when ``city`` is not in the results.
    """
    if city is not None and city not in S.cities(doc):
        raise ValueError(f"city {city!r} is not in the results")
    parts = _city(doc, lang, city) if city is not None else _all(doc, lang)
    return ("\n\n".join(p for p in parts if p) + "\n").encode("utf-8")


def _t(key: str, lang: str) -> str:
    return L.label(key, lang)


def _name(names: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    if not names:
        return fallback
    return names.get(lang) or names.get("en") or fallback


def _rating(rating: str | None, lang: str) -> str:
    if rating is None:
        return "—"
    return f"{EMOJI.get(rating, '')} {md(L.rating_label(rating, lang))}".strip()


def provenance(doc: dict[str, Any], lang: str) -> str:
    """One line: framework id, version, hash; input file and hash; citystd version."""
    fw, inp = doc["framework"], doc.get("input") or {}
    sep = "：" if lang == "zh" else ": "
    return (f"**{_t('framework', lang)}**{sep}{md(fw['id'])} v{md(fw['version'])} · sha256 `{md(fw['sha256'])}`  \n"
            f"**{_t('input', lang)}**{sep}{md(inp.get('file') or '—')} · sha256 `{md(inp.get('sha256') or '—')}` · "
            f"citystd {md(doc.get('citystd_version', '?'))}")


def _ranking(doc: dict[str, Any], lang: str, city: str | None = None, bold: set[str] | None = None) -> str:
    headers, rows = S.summary_rows(doc, lang, city, titled=True)
    with_years = S.has_years(doc)
    audited = bool(doc.get("audit"))
    at = 2 if audited else 1  # the city column
    rating_at = at + (3 if with_years else 2)
    cells = []
    for text_row, r in zip(rows, S.city_rows(doc, city), strict=True):
        row = list(text_row)  # numbers formatted here; only the city is text from the data
        row[at] = f"**{md(row[at])}**" if bold and r["city"] in bold else md(row[at])
        row[rating_at] = _rating(r["rating"], lang)
        cells.append(row)
    numeric = [True, *([True] if audited else []), False, *([True] if with_years else []), True, False, True]
    numeric += [True] * (len(headers) - len(numeric))
    table_md = table([md(h) for h in headers], cells, numeric)
    if audited:
        a = doc["audit"]
        table_md += "\n\n" + md(_t("audit_note", lang).format(n=a.get("rank_replications"), file=a.get("file"),
                                                               seed=a.get("seed")))
    return table_md


def _ind(doc: dict[str, Any], ind: str, lang: str) -> str:
    return md(_name(doc["indicators"].get(ind, {}).get("name"), lang, ind))


def _points(v: float, lang: str) -> str:
    return f"{N.fixed(v)} 分" if lang == "zh" else f"{N.fixed(v)} pts"


def _strengths_line(doc: dict[str, Any], row: dict[str, Any], lang: str, weights: dict[str, float]) -> list[str]:
    strong, weak = S.strengths_weaknesses(doc, row, TOP_N, weights)
    sep = "：" if lang == "zh" else ": "
    out = []
    for key, items, sign in (("strengths", strong, "+"), ("weaknesses", weak, "−")):
        text = "; ".join(f"{_ind(doc, ind, lang)} {N.fixed(score, 1)} ({sign}{_points(points, lang)})"
                         for ind, score, _w, points in items) or "—"
        out.append(f"- **{_t(key, lang)}**{sep}{text}")
    return out


def _issues(doc: dict[str, Any], lang: str) -> str:
    counts = S.issue_counts(doc)
    head = f"## {_t('issues', lang)}\n\n" + md(_t("issues_count", lang).format(
        errors=counts.get("error", 0), warnings=counts.get("warning", 0)))
    issues = doc.get("issues") or []
    if not issues:
        return head
    by_code: dict[tuple[str, str, str], int] = {}
    for i in issues:
        key = (str(i.get("code")), str(i.get("severity")), str(i.get("rule")))
        by_code[key] = by_code.get(key, 0) + 1
    rows = [[md(c), md(_t(s, lang) if s in L.LABELS else s), md(r), str(n)]
            for (c, s, r), n in sorted(by_code.items())]
    return head + "\n\n" + table([_t("code", lang), _t("severity", lang), _t("rule", lang), _t("count", lang)],
                                 rows, [False, False, False, True])


def _all(doc: dict[str, Any], lang: str) -> list[str]:
    fw = doc["framework"]
    weights = S.effective_weights(doc)
    parts = [f"# {md(_name(fw.get('name'), lang, fw['id']))} — {_t('summary', lang)}", provenance(doc, lang),
             f"## {_t('ranking', lang)}"]
    peers = standing.entries(doc)
    for e in peers:  # the rows compared: each assessed city among its peers, ranked together
        note = standing.year_note(e, lang)
        parts.append(md(standing.heading(doc, e, lang)) + (f"  \n_{md(note)}_" if note else ""))
    parts.append(_ranking(standing.comparison_doc(doc), lang, bold={e["city"] for e in peers} or None))
    legend = " · ".join(f"{EMOJI[k]} {md(L.rating_label(k, lang))}" for k in EMOJI)
    parts.append(legend)
    for e in peers:
        parts += _standing(doc, e, lang)
    parts.append(f"## {_t('strengths', lang)} / {_t('weaknesses', lang)}\n\n_{md(_t('strengths_note', lang))}_")
    for r in S.latest_rows(standing.comparison_doc(doc)):  # with peers: the rows compared, ranked together
        year = f" ({r['year']})" if r["year"] is not None else ""
        rank = f"{r['rank']}. " if r["rank"] is not None else ""
        parts.append(f"### {rank}{md(r['city'])}{year}\n\n" + "\n".join(_strengths_line(doc, r, lang, weights)))
    dropped = doc.get("dropped") or []
    if dropped:
        parts.append(f"## {_t('dropped', lang)}\n\n" + table(
            [_t("city", lang), _t("year", lang), _t("coverage", lang), _t("reason", lang)],
            [[md(d.get("city")), md(d.get("year") or "—"), S.coverage_text(d.get("coverage")),
              md(_name(d.get("reason"), lang) if isinstance(d.get("reason"), dict) else d.get("reason") or "")]
             for d in dropped], [False, True, True, False]))
    parts.append(_issues(doc, lang))
    return parts


def _standing(doc: dict[str, Any], entry: dict[str, Any], lang: str) -> list[str]:
    """An assessed city among its peers: its standing, per domain, its priorities (:mod:`standing`)."""
    parts = [f"## {md(standing.heading(doc, entry, lang))}",
             md(standing.standing_line(entry, lang))]
    rows = standing.domain_rows(doc, entry, lang)
    if rows:
        parts.append(f"### {md(standing.title('domains', lang))}\n\n" + table(
            [md(h) for h in standing.domain_headers(lang)],
            [[md(c) if k in (0, 4) else c for k, c in enumerate(r)] for r in rows],  # names are text, numbers ours
            [False, True, True, True, False, True, True, True]))
    rows = standing.priority_rows(doc, entry, lang)
    if rows:
        parts.append(f"### {md(standing.title('priorities', lang))}\n\n" + table(
            [md(h) for h in standing.priority_headers(lang)],
            [[md(c) if k in (1, 3) else c for k, c in enumerate(r)] for r in rows],
            [True, False, True, False, True, True, True, True]))
    years = standing.years_line(doc, entry, lang)
    if years:
        parts.append(md(years))
    return parts


def _city(doc: dict[str, Any], lang: str, city: str) -> list[str]:
    weights = S.effective_weights(doc)
    mine = S.city_rows(doc, city)
    row = next(r for r in S.latest_rows(doc) if r["city"] == city)
    parts = [f"# {md(city)} — {_t('profile', lang)}", provenance(doc, lang), _ranking(doc, lang, city)]
    year = f" ({row['year']})" if row["year"] is not None else ""
    dom_rows = []
    for nid, name in S.top_nodes(doc):
        n = row["nodes"].get(nid, {})
        dom_rows.append([md(_name(name, lang, nid)), S.fmt_number(n.get("score")),
                         "—" if n.get("rank") is None else str(n["rank"]), _rating(n.get("rating"), lang),
                         S.coverage_text(n.get("coverage"))])
    parts.append(f"## {_t('domains', lang)}{year}\n\n" + table(
        [_t("domain", lang), _t("score", lang), _t("rank", lang), _t("rating", lang), _t("coverage", lang)],
        dom_rows, [False, True, True, False, True]))
    parts.append(f"## {_t('strengths', lang)} / {_t('weaknesses', lang)}{year}\n\n_{md(_t('strengths_note', lang))}_\n\n"
                 + "\n".join(_strengths_line(doc, row, lang, weights)))
    gaps = [g for g in S.gap_rows(doc, [row]) if g["weighted_gap"]][:TOP_GAPS]
    if gaps:
        meta = doc["indicators"]

        num = N.plain
        rows = [[_ind(doc, g["indicator"], lang), num(g["value"]),
                 md(_name(meta.get(g["indicator"], {}).get("unit"), lang)), num(g["target"]), num(g["gap_target"]),
                 num(g["best"]), num(g["gap_best"]), S.fmt_number(g["score"]), S.fmt_number(g["weighted_gap"])]
                for g in gaps]
        parts.append(f"## {_t('gaps', lang)}{year}\n\n" + table(
            [_t("indicator", lang), _t("value", lang), _t("unit", lang), _t("target", lang), _t("gap_target", lang),
             _t("best", lang), _t("gap_best", lang), _t("score", lang), _t("weighted_gap", lang)],
            rows, [False, True, False, True, True, True, True, True, True]))
    if len(mine) > 1:
        trends = [t for t in doc.get("trends") or [] if t.get("city") == city and t.get("status")]
        counts: dict[str, int] = {}
        for t in trends:
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        if counts:
            parts.append(f"## {_t('trends', lang)}\n\n" + table(
                [_t("status", lang), _t("count", lang)],
                [[md(_t(k, lang) if k in L.LABELS else k), str(v)] for k, v in sorted(counts.items())], [False, True]))
    parts.append(_issues(doc, lang))
    return parts
