"""Rendering an audit document: JSON, a plain-text summary, HTML or Excel. Every renderer reads the
document only (docs/audit.md); the labels are the reports' (:mod:`citystd.report.labels`)."""

from __future__ import annotations

from typing import Any


def t(key: str, lang: str) -> str:
    from citystd.report.labels import label

    return label(key, lang)


def render(doc: dict[str, Any], fmt: str, lang: str) -> bytes:
    """The audit in ``fmt``: ``json``, ``table`` (text summary), ``html`` or ``xlsx``."""
    if fmt == "json":
        from citystd.assessment.audit.document import dumps

        return dumps(doc)
    if fmt == "html":
        from citystd.report.audit_html import render as html

        return html(doc, lang)
    if fmt == "xlsx":
        from citystd.report.audit_excel import render as xlsx

        return xlsx(doc, lang)
    return summary_text(doc, lang).encode("utf-8")


def _f(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _r(x: Any) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    return [line] + ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]


def summary_text(doc: dict[str, Any], lang: str) -> str:
    from citystd.report.labels import flag_label

    fw, st = doc["framework"], doc["settings"]
    out = [f"{t('audit_of', lang)} {fw['name'][lang]} ({fw['id']} v{fw['version']}, sha256 {fw['sha256'][:12]}…)",
           f"{t('year', lang)} {doc['year'] if doc['year'] is not None else '—'}, {st['units']} {t('units', lang)}; "
           + t("audit_settings", lang).format(**st), ""]
    out.append(t("coherence", lang))
    rows = []
    for c in doc["coherence"]["nodes"]:
        share = c["pca"]["variance_share"][0] if c["pca"]["variance_share"] else None
        flags = ", ".join(f"{flag_label(f['flag'], lang)} {f['a']}~{f['b']} {f['r']:.2f}" for f in c["flags"][:3])
        more = len(c["flags"]) - 3
        rows.append([c["node"], str(c["level"]), _f(c["cronbach_alpha"]), _f(share),
                     flags + (f" (+{more})" if more > 0 else "")])
    out += _table([t("node", lang), t("level", lang), t("alpha", lang), t("pc1", lang), t("flags", lang)], rows)
    out += ["", t("drop_one", lang) + " — " + t("drop_note", lang)]
    drops = sorted(doc["drop_one"], key=lambda d: -(d["mean_abs_rank_change"] or 0))[:10]
    out += _table([t("removed", lang), t("mean_change", lang)],
                  [[f"{d['element']} ({d['kind']})", _f(d["mean_abs_rank_change"], 2)] for d in drops])
    if doc["uncertainty"]:
        out += ["", t("ranks_title", lang)]
        ranks = sorted(doc["ranks"], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["city"]))
        out += _table([t("city", lang), t("nominal", lang), t("median_rank", lang), t("interval", lang),
                       t("mean_shift", lang)],
                      [[r["city"], _r(r["rank"]), _r(r.get("median_rank")),
                        f"{_r(r.get('q05'))}–{_r(r.get('q95'))}", _f(r.get("mean_abs_shift"), 2)] for r in ranks])
    for s in doc["sensitivity"][:1]:
        out += ["", t("sobol_heading", lang)]
        out += _table([t("input_name", lang), t("first_order", lang), t("total_effect", lang)],
                      [[i["input"], f"{_f(i['first'])} [{_f(i['first_ci'][0])}, {_f(i['first_ci'][1])}]",
                        f"{_f(i['total'])} [{_f(i['total_ci'][0])}, {_f(i['total_ci'][1])}]"] for i in s["indices"]])
    if doc["failed"]:
        out += ["", f"{t('failed', lang)}: {len(doc['failed'])}"]
    return "\n".join(out) + "\n"
