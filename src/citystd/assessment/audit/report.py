"""Rendering an audit document: JSON or a plain-text summary. Every renderer reads the document
only (docs/audit.md)."""

from __future__ import annotations

from typing import Any

L = {
    "title": ("Audit of", "审计："),
    "year": ("year", "年份"),
    "units": ("units", "个单元"),
    "settings": ("design {design}, N = {n}, {replications} replications, seed {seed}",
                 "设计 {design}，N = {n}，共 {replications} 次重复计算，随机种子 {seed}"),
    "coherence": ("Coherence", "统计一致性"),
    "node": ("node", "节点"),
    "level": ("level", "层级"),
    "alpha": ("Cronbach α", "Cronbach α"),
    "pc1": ("PC1 share", "第一主成分方差占比"),
    "flags": ("flags", "提示"),
    "drop": ("Drop-one impact (mean |Δ rank| of the overall rank)", "逐一剔除影响（总排名的平均绝对变化）"),
    "element": ("removed", "剔除项"),
    "change": ("mean |Δ rank|", "平均 |Δ 排名|"),
    "ranks": ("Rank intervals", "排名区间"),
    "city": ("city", "城市"),
    "nominal": ("nominal", "名义排名"),
    "median": ("median", "中位排名"),
    "interval": ("5–95 %", "5–95 %"),
    "shift": ("mean |shift|", "平均 |偏移|"),
    "sobol": ("Sensitivity (Sobol indices of the mean absolute rank shift)", "敏感性（平均绝对排名偏移的 Sobol 指数）"),
    "input": ("input", "不确定输入"),
    "first": ("first order", "一阶"),
    "total": ("total", "总效应"),
    "failed": ("replications failed (not scored)", "次重复计算失败（未计入）"),
}


def t(key: str, lang: str) -> str:
    return L[key][lang == "zh"]


def render(doc: dict[str, Any], fmt: str, lang: str) -> bytes:
    if fmt == "json":
        from citystd.assessment.audit.document import dumps

        return dumps(doc)
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
    fw, st = doc["framework"], doc["settings"]
    out = [f"{t('title', lang)} {fw['name'][lang]} ({fw['id']} v{fw['version']}, sha256 {fw['sha256'][:12]}…)",
           f"{t('year', lang)} {doc['year'] if doc['year'] is not None else '—'}, {st['units']} {t('units', lang)}; "
           + t("settings", lang).format(**st), ""]
    out.append(t("coherence", lang))
    rows = []
    for c in doc["coherence"]["nodes"]:
        share = c["pca"]["variance_share"][0] if c["pca"]["variance_share"] else None
        flags = ", ".join(f"{f['flag']} {f['a']}~{f['b']} {f['r']:.2f}" for f in c["flags"][:3])
        more = len(c["flags"]) - 3
        rows.append([c["node"], str(c["level"]), _f(c["cronbach_alpha"]), _f(share),
                     flags + (f" (+{more})" if more > 0 else "")])
    out += _table([t("node", lang), t("level", lang), t("alpha", lang), t("pc1", lang), t("flags", lang)], rows)
    out += ["", t("drop", lang)]
    drops = sorted(doc["drop_one"], key=lambda d: -(d["mean_abs_rank_change"] or 0))[:10]
    out += _table([t("element", lang), t("change", lang)],
                  [[f"{d['element']} ({d['kind']})", _f(d["mean_abs_rank_change"], 2)] for d in drops])
    if doc["uncertainty"]:
        out += ["", t("ranks", lang)]
        ranks = sorted(doc["ranks"], key=lambda r: (r["rank"] is None, r["rank"] or 0, r["city"]))
        out += _table([t("city", lang), t("nominal", lang), t("median", lang), t("interval", lang), t("shift", lang)],
                      [[r["city"], _r(r["rank"]), _r(r.get("median_rank")),
                        f"{_r(r.get('q05'))}–{_r(r.get('q95'))}", _f(r.get("mean_abs_shift"), 2)] for r in ranks])
    for s in doc["sensitivity"][:1]:
        out += ["", t("sobol", lang)]
        out += _table([t("input", lang), t("first", lang), t("total", lang)],
                      [[i["input"], f"{_f(i['first'])} [{_f(i['first_ci'][0])}, {_f(i['first_ci'][1])}]",
                        f"{_f(i['total'])} [{_f(i['total_ci'][0])}, {_f(i['total_ci'][1])}]"] for i in s["indices"]])
    if doc["failed"]:
        out += ["", f"{len(doc['failed'])} {t('failed', lang)}"]
    return "\n".join(out) + "\n"
