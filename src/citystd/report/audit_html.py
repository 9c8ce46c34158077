"""The HTML audit report: one self-contained file rendered from the audit document (docs/audit.md).

The same page as the score report (:func:`citystd.report.html.page`: inline CSS, the sortable
tables' script, no request of any kind) with the audit's sections: overview, rank intervals
(nominal and median rank with the 5–95 % bar per city), sensitivity (Sobol indices with their
bootstrap intervals), drop-one impacts, statistical coherence (per node: Cronbach's α, PCA,
flags, and a correlation heatmap), main effects, size dependence and the full specification
(settings and seed, uncertain inputs, pipeline, failed replications, findings). Charts are the
SVG primitives of :mod:`citystd.report.svg`.

Every text from the document is escaped; the output is deterministic (document order, fixed
number formats).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from citystd.report import labels as L
from citystd.report import svg
from citystd.report.html import _dv, _section, _table, page
from citystd.report.svg import esc

MAX_FAILED = 200  # rows of the failed-replications table; the rest are counted
MAX_DROP_BARS = 25  # largest drop-one impacts drawn as bars (the table has all)
MAX_MATRIX = 25  # nodes with more children show only their correlations with the node (the Excel report has all)
MAX_FLAGS = 4  # flags listed per node in the coherence table (the rest are counted)
S1, ST = "#0072b2", "#e69f00"  # first-order and total indices (Okabe–Ito)


def render(doc: dict[str, Any], lang: str) -> bytes:
    """The audit report as UTF-8 HTML bytes."""
    ctx = _Ctx(doc, lang)
    sections = [_overview(ctx), _ranks(ctx), _sensitivity(ctx), _drop_one(ctx), _coherence(ctx),
                _main_effects(ctx), _size(ctx), _specification(ctx)]
    nav = [(a, t) for a, t in (("ranks", ctx.t("ranks_title")), ("sensitivity", ctx.t("sensitivity")),
                               ("drop-one", ctx.t("drop_one")), ("coherence", ctx.t("coherence")),
                               ("main-effects", ctx.t("main_effects")), ("size", ctx.t("size")),
                               ("specification", ctx.t("specification")))
           if f'id="{a}"' in "".join(sections)]
    fw = doc.get("framework") or {}
    inp = doc.get("input") or {}
    st = doc.get("settings") or {}
    fw_name = ctx.name(fw.get("name")) or str(fw.get("id", ""))
    prov = (
        f"<dt>{esc(ctx.t('framework'))}</dt><dd>{esc(fw_name)} · <b>{esc(fw.get('id', ''))}</b> "
        f"{esc(ctx.t('version'))} {esc(fw.get('version', ''))}<br><code>SHA-256 {esc(fw.get('sha256', ''))}</code></dd>"
        f"<dt>{esc(ctx.t('input'))}</dt><dd>{esc(inp.get('file') or '—')}"
        f"{' · ' + esc(ctx.t('sheet')) + ' ' + esc(inp['sheet']) if inp.get('sheet') else ''}<br>"
        f"<code>SHA-256 {esc(inp.get('sha256') or '—')}</code></dd>"
        f"<dt>{esc(ctx.t('audit_source'))}</dt><dd>{esc(ctx.t('samples'))} {esc(st.get('n', '—'))} · "
        f"{esc(ctx.t('replications'))} {esc(st.get('replications', '—'))} · {esc(ctx.t('seed'))} "
        f"{esc(st.get('seed', '—'))} · {esc(st.get('design', ''))}</dd>"
        f"<dt>{esc(ctx.t('generated_by'))}</dt><dd>citystd {esc(doc.get('citystd_version', ''))}</dd>"
    )
    footer = (f"{esc(ctx.t('framework'))} {esc(fw.get('id', ''))} {esc(fw.get('version', ''))} · SHA-256 "
              f"{esc(fw.get('sha256', ''))} · {esc(ctx.t('seed'))} {esc(st.get('seed', ''))} · "
              f"citystd {esc(doc.get('citystd_version', ''))}")
    html = page(ctx.lang, title=f"{ctx.t('audit_title')} · {fw_name}", kicker=ctx.t("audit_title"), heading=fw_name,
                provenance=prov, nav=nav, body="".join(sections), footer=footer,
                version=str(doc.get("citystd_version", "")), contents=ctx.t("contents"))
    return html.encode("utf-8")


class _Ctx:
    def __init__(self, doc: dict[str, Any], lang: str) -> None:
        self.doc = doc
        self.lang = "zh" if lang == "zh" else "en"
        names = doc.get("names") or {}
        self.node_names: dict[str, Any] = names.get("nodes") or {}
        self.ind_names: dict[str, Any] = names.get("indicators") or {}
        self.parent = {c: n["node"] for n in doc.get("tree") or [] for c in n.get("children") or []}
        self.units = int((doc.get("settings") or {}).get("units") or len(doc.get("ranks") or []))

    def t(self, key: str, **kw: Any) -> str:
        text = L.label(key, self.lang)
        return text.format(**kw) if kw else text

    def name(self, obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj.get(self.lang) or obj.get("en") or obj.get("zh") or "")
        return "" if obj is None else str(obj)

    def label(self, element: str) -> str:
        """The name of a node (by its label) or an indicator, else the id itself."""
        if element in self.node_names:
            return self.name(self.node_names[element]) or element
        return self.name(self.ind_names.get(element)) or element


def f2(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def rank_text(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values from ``lo`` to ``hi`` (ranks: whole numbers)."""
    span = max(hi - lo, 1.0)
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000) if span / s <= count),
                10 ** math.ceil(math.log10(span)))
    first = math.ceil(lo / step) * step
    out = [float(lo)] if first > lo else []
    t = first
    while t <= hi + 1e-9:
        out.append(float(t))
        t += step
    return out


# --------------------------------------------------------------------------- sections


def _overview(ctx: _Ctx) -> str:
    doc, st = ctx.doc, ctx.doc.get("settings") or {}
    kpis = [(str(ctx.units), ctx.t("cities")), (str(len(ctx.ind_names)), ctx.t("indicators")),
            (str(len(doc.get("tree") or [])), ctx.t("node")), (str(len(doc.get("uncertainty") or [])),
                                                               ctx.t("uncertain_inputs")),
            (f"{st.get('replications', 0):,}", ctx.t("replications")),
            (str(len(doc.get("failed") or [])), ctx.t("failed"))]
    if doc.get("year") is not None:
        kpis.insert(0, (str(doc["year"]), ctx.t("year")))
    cards = "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for v, k in kpis)
    return _section("overview", ctx.t("overview"), f'<div class="kpis">{cards}</div>')


def _ranks(ctx: _Ctx) -> str:
    doc = ctx.doc
    if not doc.get("uncertainty"):
        return _section("ranks", ctx.t("ranks_title"), f'<p class="note">{esc(ctx.t("no_inputs"))}</p>')
    rows = sorted(doc.get("ranks") or [], key=lambda r: (r.get("rank") is None, r.get("rank") or 0, str(r["city"])))
    items = []
    for r in rows:
        title = (f"{r['city']} · {ctx.t('nominal')} {rank_text(r.get('rank'))} · {ctx.t('median_rank')} "
                 f"{rank_text(r.get('median_rank'))} · {ctx.t('interval')} {rank_text(r.get('q05'))}–"
                 f"{rank_text(r.get('q95'))} · {ctx.t('mean_shift')} {f2(r.get('mean_abs_shift'))}")
        items.append(svg.Interval(str(r["city"]), r.get("q05"), r.get("q95"), r.get("median_rank"), r.get("rank"),
                                  title=title, prefix=rank_text(r.get("rank"))))
    n = max(ctx.units, 1)
    chart = svg.interval_chart(items, vmin=1, vmax=n, width=900, ticks=_ticks(1, n), label=ctx.t("ranks_title"))
    legend = (f'<div class="legend"><span><i class="sw" style="background:#d55e00"></i>{esc(ctx.t("nominal"))}</span>'
              f'<span><i class="sw" style="background:#1f4e79"></i>{esc(ctx.t("median_rank"))}</span>'
              f'<span><i class="sw" style="background:#a5b8c9"></i>{esc(ctx.t("interval"))}</span></div>')
    top = [c for c in (doc.get("tree") or [{}])[0].get("children") or [] if c in ctx.node_names]
    heads = [(ctx.t("nominal"), "n"), (ctx.t("city"), ""), (ctx.t("score"), "n"), (ctx.t("median_rank"), "n"),
             (ctx.t("interval"), "n"), (ctx.t("mean_shift"), "n")] + [(ctx.label(c), "n") for c in top]
    body = []
    for r in rows:
        nodes = r.get("nodes") or {}
        cells = "".join(f'<td class="n"{_dv(nodes.get(c, {}).get("rank"))}>{esc(rank_text(nodes.get(c, {}).get("rank")))}'
                        f' <span class="muted">({esc(rank_text(nodes.get(c, {}).get("q05")))}–'
                        f'{esc(rank_text(nodes.get(c, {}).get("q95")))})</span></td>' for c in top)
        width = None if r.get("q05") is None or r.get("q95") is None else r["q95"] - r["q05"]
        body.append(f'<tr><td class="n"{_dv(r.get("rank"))}>{esc(rank_text(r.get("rank")))}</td><td>{esc(r["city"])}</td>'
                    f'<td class="n"{_dv(r.get("score"))}>{f2(r.get("score"))}</td>'
                    f'<td class="n"{_dv(r.get("median_rank"))}>{esc(rank_text(r.get("median_rank")))}</td>'
                    f'<td class="n"{_dv(width)}>{esc(rank_text(r.get("q05")))}–{esc(rank_text(r.get("q95")))}</td>'
                    f'<td class="n"{_dv(r.get("mean_abs_shift"))}>{f2(r.get("mean_abs_shift"))}</td>{cells}</tr>')
    st = doc.get("settings") or {}
    stats_n = next((r.get("replications") for r in rows if r.get("replications")), st.get("replications"))
    note = f'<p class="note">{esc(ctx.t("ranks_note", n=stats_n))} {esc(ctx.t("sort_hint"))}</p>'
    return _section("ranks", ctx.t("ranks_title"), note + legend + chart + _table(heads, body, css="sortable ranks"))


def _sensitivity(ctx: _Ctx) -> str:
    outputs = ctx.doc.get("sensitivity") or []
    if not outputs:
        return ""
    level = f"{float((ctx.doc.get('settings') or {}).get('confidence') or 0.9) * 100:.0f} %"
    parts = []
    for s in outputs:
        out = s.get("output", "")
        what = ctx.t("output_shift") if out == "mean_abs_rank_shift" else ctx.t("output_rank", city=out[5:])
        bars = []
        lows = [0.0]
        highs = [1.0]
        for i in s.get("indices") or []:
            for key, ci, sym, fill in (("first", "first_ci", "S₁", S1), ("total", "total_ci", "Sₜ", ST)):
                v, (lo, hi) = i.get(key), (i.get(ci) or [None, None])
                title = f"{i['input']} · {sym} = {f2(v, 3)} [{f2(lo, 3)}, {f2(hi, 3)}]"
                bars.append(svg.Bar(str(i["input"]), v, fill, title=title, text=f2(v), prefix=sym, low=lo, high=hi,
                                    css_class="bar sobol"))
                lows += [x for x in (v, lo) if x is not None]
                highs += [x for x in (v, hi) if x is not None]
        vmin, vmax = min(0.0, math.floor(min(lows) * 10) / 10), max(1.0, math.ceil(max(highs) * 10) / 10)
        ticks = [k * 0.25 for k in range(math.ceil(vmin / 0.25 - 1e-9), math.floor(vmax / 0.25 + 1e-9) + 1)]
        chart = svg.bar_chart(bars, vmin=vmin, vmax=vmax, width=900, ticks=ticks, label=f"{ctx.t('sensitivity')} · {what}")
        rows = [f'<tr><td>{esc(i["input"])}</td><td class="n"{_dv(i.get("first"))}>{f2(i.get("first"), 3)}</td>'
                f'<td class="n">[{f2((i.get("first_ci") or [None])[0], 3)}, {f2((i.get("first_ci") or [None, None])[1], 3)}]</td>'
                f'<td class="n"{_dv(i.get("total"))}>{f2(i.get("total"), 3)}</td>'
                f'<td class="n">[{f2((i.get("total_ci") or [None])[0], 3)}, {f2((i.get("total_ci") or [None, None])[1], 3)}]</td></tr>'
                for i in s.get("indices") or []]
        table = _table([(ctx.t("input_name"), ""), (ctx.t("first_order"), "n"), (level, "n"), (ctx.t("total_effect"), "n"),
                        (level, "n")], rows, css="sortable sobol")
        legend = (f'<div class="legend"><span><i class="sw" style="background:{S1}"></i>{esc(ctx.t("first_order"))}</span>'
                  f'<span><i class="sw" style="background:{ST}"></i>{esc(ctx.t("total_effect"))}</span></div>')
        parts.append(f"<h3>{esc(what[:1].upper() + what[1:])}</h3>"
                     f'<p class="note">{esc(ctx.t("sobol_note", output=what, level=level))}</p>{legend}{chart}{table}')
    return _section("sensitivity", ctx.t("sensitivity"), "".join(parts))


def _drop_one(ctx: _Ctx) -> str:
    drops = sorted(ctx.doc.get("drop_one") or [], key=lambda d: (-(d.get("mean_abs_rank_change") or 0),
                                                                 d.get("kind", ""), str(d.get("element", ""))))
    if not drops:
        return ""
    kind = {"indicator": ctx.t("indicator"), "node": ctx.t("node")}
    bars = [svg.Bar(ctx.label(str(d["element"])), d.get("mean_abs_rank_change"),
                    "#1f4e79" if d.get("kind") == "node" else "#56b4e9",
                    title=f"{ctx.label(str(d['element']))} ({d['element']}) · {ctx.t('mean_change')} "
                          f"{f2(d.get('mean_abs_rank_change'))} · {ctx.t('max_change')} {d.get('max_abs_rank_change')}",
                    text=f2(d.get("mean_abs_rank_change")), css_class="bar drop") for d in drops[:MAX_DROP_BARS]]
    top = max([d.get("mean_abs_rank_change") or 0 for d in drops] + [1.0])
    hi = float(math.ceil(top))
    chart = svg.bar_chart(bars, vmin=0, vmax=hi, width=900, ticks=_ticks(0, hi), label=ctx.t("drop_one"))
    rows = [f'<tr><td>{esc(ctx.label(str(d["element"])))}</td><td><code>{esc(d["element"])}</code></td>'
            f'<td>{esc(kind.get(d.get("kind", ""), d.get("kind", "")))}</td><td class="n">{esc(d.get("level", ""))}</td>'
            f'<td class="n"{_dv(d.get("mean_abs_rank_change"))}>{f2(d.get("mean_abs_rank_change"))}</td>'
            f'<td class="n"{_dv(d.get("max_abs_rank_change"))}>{esc(d.get("max_abs_rank_change", "—"))}</td></tr>'
            for d in drops]
    table = _table([(ctx.t("removed"), ""), ("id", ""), (ctx.t("kind"), ""), (ctx.t("level"), "n"),
                    (ctx.t("mean_change"), "n"), (ctx.t("max_change"), "n")], rows, css="sortable drop")
    legend = (f'<div class="legend"><span><i class="sw" style="background:#56b4e9"></i>{esc(ctx.t("indicator"))}</span>'
              f'<span><i class="sw" style="background:#1f4e79"></i>{esc(ctx.t("node"))}</span></div>')
    return _section("drop-one", ctx.t("drop_one"), f'<p class="note">{esc(ctx.t("drop_note"))}</p>{legend}{chart}'
                    f'<details class="detail"><summary>{esc(ctx.t("drop_one"))} ({len(drops)})</summary>{table}</details>')


def flag_text(flag: dict[str, Any], lang: str) -> str:
    """``negative tbts~instit −0.62`` (ids: names would make the coherence table unreadable)."""
    return f"{L.flag_label(str(flag.get('flag', '')), lang)} {flag.get('a')}~{flag.get('b')} {f2(flag.get('r'))}"


def _flags_text(ctx: _Ctx, flags: Sequence[dict[str, Any]]) -> str:
    more = len(flags) - MAX_FLAGS
    return "; ".join(flag_text(f, ctx.lang) for f in flags[:MAX_FLAGS]) + (f" (+{more})" if more > 0 else "")


def _coherence(ctx: _Ctx) -> str:
    nodes = (ctx.doc.get("coherence") or {}).get("nodes") or []
    if not nodes:
        return ""
    rows = []
    for c in nodes:
        share = (c.get("pca") or {}).get("variance_share") or []
        flags = c.get("flags") or []
        rows.append(f'<tr><td>{esc(ctx.label(str(c["node"])))}</td><td><code>{esc(c["node"])}</code></td>'
                    f'<td class="n">{esc(c.get("level", ""))}</td><td class="n">{len(c.get("children") or [])}</td>'
                    f'<td class="n"{_dv(c.get("effective_weight"))}>{f2(c.get("effective_weight"), 3)}</td>'
                    f'<td class="n"{_dv(c.get("cronbach_alpha"))}>{f2(c.get("cronbach_alpha"), 3)}</td>'
                    f'<td class="n"{_dv(share[0] if share else None)}>{f2(share[0] if share else None, 3)}</td>'
                    f'<td class="n">{len(flags)}</td><td class="muted flags">{esc(_flags_text(ctx, flags))}</td></tr>')
    table = _table([(ctx.t("node"), ""), ("id", ""), (ctx.t("level"), "n"), (ctx.t("children"), "n"),
                    (ctx.t("effective_weight"), "n"), (ctx.t("alpha"), "n"), (ctx.t("pc1"), "n"),
                    (ctx.t("flags"), "n"), ("", "")], rows, css="sortable coherence")
    maps = []
    for k, c in enumerate(nodes):
        kids = [str(x) for x in c.get("children") or []]
        among = (c.get("pearson") or {}).get("among") or []
        with_node = (c.get("pearson") or {}).get("with_node") or []
        sp_among = (c.get("spearman") or {}).get("among") or []
        names = [ctx.label(x) for x in kids]
        node_name = ctx.label(str(c["node"]))
        full = len(kids) <= MAX_MATRIX
        cells = []
        for i in range(len(kids)):
            row = []
            for j in range(len(kids) + 1) if full else [len(kids)]:
                r = (with_node[i] if i < len(with_node) else None) if j == len(kids) else \
                    (among[i][j] if i < len(among) and j < len(among[i]) else None)
                rho = None if j == len(kids) or i >= len(sp_among) or j >= len(sp_among[i]) else sp_among[i][j]
                diagonal = i == j and j < len(kids)
                # short tooltips (a node may have hundreds of cells): the row and column labels name the pair
                title = "" if diagonal else f"r = {f2(r, 3)}" + (f", ρ = {f2(rho, 3)}" if rho is not None else "")
                text = "" if r is None or diagonal else f"{r:.2f}".replace("0.", ".", 1)
                row.append(svg.Cell(svg.diverging(None if diagonal else r), text=text, title=title,
                                    ink=svg.LIGHT if r is not None and abs(r) > 0.6 else svg.DARK))
            cells.append(row)
        cols = [*names] if full else []
        chart = svg.grid_chart(names, [*cols, f"{ctx.t('with_node')}: {node_name}"], cells, split_after=0,
                               cell_width=40, cell_height=20, label=f"{ctx.t('correlations')} · {node_name}")
        note = "" if full else f'<p class="note">{esc(ctx.t("matrix_elsewhere", n=len(kids)))}</p>'
        opened = " open" if k == 0 else ""
        maps.append(f'<details class="detail heatmap"{opened}><summary>{esc(node_name)} '
                    f'<span class="muted">({len(kids)})</span></summary>{note}{chart}</details>')
    body = (f'<p class="note">{esc(ctx.t("coherence_note"))} {esc(ctx.t("sort_hint"))}</p>{table}'
            f'<h3>{esc(ctx.t("correlations"))}</h3><p class="note">{esc(ctx.t("correlations_note"))}</p>{"".join(maps)}')
    return _section("coherence", ctx.t("coherence"), body)


def _main_effects(ctx: _Ctx) -> str:
    items = (ctx.doc.get("coherence") or {}).get("main_effects") or []
    if not items:
        return ""
    rows = []
    for m in items:
        ind = str(m["indicator"])
        ratio = None if not m.get("weight_share") or m.get("eta2_share") is None else m["eta2_share"] / m["weight_share"]
        rows.append(f'<tr><td>{esc(ctx.label(ind))}</td><td><code>{esc(ind)}</code></td>'
                    f'<td>{esc(ctx.label(ctx.parent.get(ind, "")))}</td>'
                    f'<td class="n"{_dv(m.get("weight_share"))}>{_pct(m.get("weight_share"))}</td>'
                    f'<td class="n"{_dv(m.get("eta2_share"))}>{_pct(m.get("eta2_share"))}</td>'
                    f'<td class="n"{_dv(ratio)}>{f2(ratio)}</td>'
                    f'<td class="n"{_dv(m.get("eta2"))}>{f2(m.get("eta2"), 3)}</td></tr>')
    table = _table([(ctx.t("indicator"), ""), ("id", ""), (ctx.t("node"), ""), (ctx.t("weight_share"), "n"),
                    (ctx.t("eta2_share"), "n"), ("η² / w", "n"), (ctx.t("eta2"), "n")], rows, css="sortable effects")
    return _section("main-effects", ctx.t("main_effects"), f'<p class="note">{esc(ctx.t("main_effects_note"))}</p>'
                    f'<details class="detail"><summary>{esc(ctx.t("main_effects"))} ({len(items)})</summary>'
                    f"{table}</details>")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def _size(ctx: _Ctx) -> str:
    items = (ctx.doc.get("coherence") or {}).get("size") or []
    if not items:
        return ""
    rows = [f'<tr><td>{esc(s.get("variable", ""))}</td><td>{esc(ctx.label(str(s.get("node", ""))))}</td>'
            f'<td class="n"{_dv(s.get("pearson"))}>{f2(s.get("pearson"), 3)}</td>'
            f'<td class="n"{_dv(s.get("spearman"))}>{f2(s.get("spearman"), 3)}</td>'
            f'<td>{esc(ctx.t("size_dependent")) if s.get("size_dependent") else ""}</td></tr>' for s in items]
    table = _table([(ctx.t("variable"), ""), (ctx.t("node"), ""), ("Pearson r", "n"), ("Spearman ρ", "n"),
                    (ctx.t("flags"), "")], rows, css="sortable size")
    return _section("size", ctx.t("size"), f'<p class="note">{esc(ctx.t("size_note"))}</p>{table}')


def input_text(inp: dict[str, Any]) -> str:
    """What an uncertain input of the document varies, in one line (``treat.winmax ∈ {1, 3, 5}``)."""
    kind = inp.get("kind")
    if kind == "step":
        values = ", ".join(json.dumps(v, ensure_ascii=False) for v in inp.get("values") or [])
        return f"{inp.get('step')}.{inp.get('param')} ∈ {{{values}}}"
    if kind == "weights_noise":
        levels = inp.get("levels")
        return f"× (1 ± {inp.get('noise')})" + (f", levels {levels}" if levels else "")
    elements = inp.get("elements") or []
    return (f"{inp.get('exclude')}" + (f", level {inp['level']}" if inp.get("level") is not None else "")
            + f": {len(elements)} ({', '.join(map(str, elements[:12]))}{', …' if len(elements) > 12 else ''})")


def _specification(ctx: _Ctx) -> str:
    doc, st = ctx.doc, ctx.doc.get("settings") or {}
    pairs = [("samples", st.get("n")), ("seed", st.get("seed")), ("design", st.get("design")),
             ("replications", st.get("replications")), ("rank_from", st.get("rank_statistics_from")),
             ("bootstrap", st.get("bootstrap_resamples")), ("confidence", st.get("confidence")),
             ("upstream_runs", st.get("upstream_runs")), ("rank_resolution", st.get("rank_resolution")),
             ("year", doc.get("year"))]
    settings = _table([(ctx.t("settings"), ""), (ctx.t("value"), "")],
                      [f"<tr><td>{esc(ctx.t(k))}</td><td><code>{esc('—' if v is None else v)}</code></td></tr>"
                       for k, v in pairs], css="settings")
    inputs = doc.get("uncertainty") or []
    parts = [f"<h3>{esc(ctx.t('settings'))}</h3>{settings}"]
    if inputs:
        rows = [f'<tr><td>{esc(i.get("name", ""))}</td><td>{esc(i.get("kind", ""))}</td>'
                f'<td><code>{esc(input_text(i))}</code></td></tr>' for i in inputs]
        parts.append(f"<h3>{esc(ctx.t('uncertain_inputs'))}</h3>" + _table(
            [(ctx.t("input_name"), ""), (ctx.t("kind"), ""), (ctx.t("varies"), "")], rows, css="inputs"))
    else:
        parts.append(f'<p class="note">{esc(ctx.t("no_inputs"))}</p>')
    pipe = []
    for k, step in enumerate(doc.get("pipeline") or [], 1):
        for name, params in step.items():
            text = json.dumps(params, ensure_ascii=False, sort_keys=False) if params else ""
            pipe.append(f'<tr><td class="n">{k}</td><td><b>{esc(name)}</b></td><td><code>{esc(text)}</code></td></tr>')
    parts.append(f"<h3>{esc(ctx.t('pipeline'))}</h3>"
                 + _table([("#", "n"), (ctx.t("step"), ""), (ctx.t("parameters"), "")], pipe, css="pipeline"))
    failed = doc.get("failed") or []
    if failed:
        rows = [f'<tr><td class="n">{esc(f.get("row", ""))}</td><td>{esc(f.get("reason", ""))}</td></tr>'
                for f in failed[:MAX_FAILED]]
        more = (f'<p class="note">{esc(ctx.t("more_rows", n=len(failed) - MAX_FAILED))}</p>'
                if len(failed) > MAX_FAILED else "")
        parts.append(f"<h3>{esc(ctx.t('failed'))} ({len(failed)})</h3>"
                     + _table([("#", "n"), (ctx.t("reason"), "")], rows, css="failed") + more)
    diags = doc.get("diagnostics") or []
    if diags:
        rows = [f'<tr><td>{esc(d.get("code", ""))}</td><td>{esc(d.get("severity", ""))}</td>'
                f'<td>{esc(ctx.name(d.get("message")))}</td><td class="muted">{esc(ctx.name(d.get("hint")))}</td></tr>'
                for d in diags]
        parts.append(f"<h3>{esc(ctx.t('findings'))} ({len(diags)})</h3>" + _table(
            [(ctx.t("code"), ""), (ctx.t("severity"), ""), (ctx.t("message"), ""), (ctx.t("hint"), "")], rows,
            css="findings"))
    parts.append(f'<p class="note">{esc(ctx.t("replications_note"))}</p>')
    return _section("specification", ctx.t("specification"), "".join(parts))
