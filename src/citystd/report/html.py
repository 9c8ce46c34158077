"""The HTML report: one self-contained file rendered from the results document (docs/results.md).

``render(doc, lang)`` gives the comparison of all cities; ``render(doc, lang, city=NAME)`` a
one-city profile page. Everything is inline — CSS, a few lines of JavaScript (sortable tables,
indicator tables built when opened) and SVG charts from :mod:`citystd.report.svg` — so the file
opens offline and makes no network request. Why SVG in Python rather than a chart library:
docs/reports-html.md.

Safety: every text from the document (city names, messages, file names, framework names) is
escaped with :func:`html.escape`; the data the JavaScript reads sits in a
``<script type="application/json">`` with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the
script writes it with ``textContent`` only. The output is deterministic: no dates, no random ids,
dicts walked in document order.

Size: in the all-cities report each city's profile (a collapsed ``<details>``) holds its radar as
SVG; its domain table, strengths and weaknesses and its indicator table are built by the script
from compact JSON when the profile is opened (as static HTML, 300 cities × 300 indicators would
be ~12 MB; this way 2.4 MB). The one-city page writes everything as plain HTML.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from citystd.report import labels as L
from citystd.report import numbers as N
from citystd.report import summary as S
from citystd.report import svg
from citystd.report.svg import esc

#: rating → sort level in tables (gray and None sort below red)
RATING_LEVEL = {"green": 3, "yellow": 2, "orange": 1, "red": 0, "gray": -1}
#: rating → one-letter code in the embedded JSON
RATING_CODE = {"green": "g", "yellow": "y", "orange": "o", "red": "r", "gray": "a"}
#: colours of highlighted lines (Okabe–Ito, colour-blind safe)
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
INK_ON = {"green": svg.LIGHT, "red": svg.LIGHT}

TOP_N = 3  # strengths and weaknesses per city in the all-cities report
TOP_N_CITY = 5  # … on the one-city page
MAX_RECORDS = 200  # rows of the imputed/treated table; the rest are counted
MAX_GAPS = 20  # largest gaps on the one-city page


def render(doc: dict[str, Any], lang: str, city: str | None = None) -> bytes:
    """The report as UTF-8 HTML bytes: all cities, or the profile page of ``city``.

    Raises ``ValueError`` when ``city`` is not in the results.
    """
    ctx = _Context(doc, lang)
    page = _city_page(ctx, city) if city is not None else _report_page(ctx)
    return page.encode("utf-8")


# --------------------------------------------------------------------------- helpers


def tint(colour: str, amount: float = 0.55) -> str:
    """``colour`` (``#rrggbb``) mixed with white by ``amount``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def script_json(obj: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028 and U+2029 escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def round_value(x: float | None) -> float | int | None:
    """A value rounded for display: 4 significant digits (at least the integer part)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    if x == 0:
        return 0
    digits = max(0, min(6, 3 - math.floor(math.log10(abs(x)))))
    r = round(x, digits) + 0
    return int(r) if r == int(r) and abs(r) < 1e15 else r


def _compact(x: float) -> float | int:
    return int(x) if x == int(x) else x


def fmt_value(x: float | None) -> str:
    """A value in its unit for people: 4 significant digits, never an exponent (:func:`N.plain`)."""
    return N.plain(x)


def fmt_score(x: float | None, digits: int = 1) -> str:
    return N.fixed(x, digits)


fmt_pct = S.coverage_text


def _dv(x: float | int | None) -> str:
    """A ``data-v`` sort key attribute ('' for missing: sorted last)."""
    return "" if x is None else f' data-v="{x:.6g}"' if isinstance(x, float) else f' data-v="{x}"'


class _Context:
    """What every section needs, computed once from the document."""

    def __init__(self, doc: dict[str, Any], lang: str) -> None:
        self.doc = doc
        self.lang = "zh" if lang == "zh" else "en"
        self.indicators: dict[str, dict[str, Any]] = doc.get("indicators") or {}
        self.tree: list[dict[str, Any]] = doc.get("tree") or []
        self.domains = [n for n in self.tree if "id" in n]
        self.domain_of: dict[str, int] = {}
        self.order: list[str] = []
        for node in self.tree:
            for ind in _leaves(node):
                if ind not in self.domain_of:
                    self.order.append(ind)
                    self.domain_of[ind] = self.domains.index(node) if "id" in node else -1
        self.order += [i for i in self.indicators if i not in self.domain_of]
        self.position = {ind: k for k, ind in enumerate(self.order)}
        results: list[dict[str, Any]] = doc.get("results") or []
        self.years = sorted({r["year"] for r in results if r.get("year") is not None})
        self.year = self.years[-1] if self.years else None
        self.rows = [r for r in results if r.get("year") == self.year]
        self.results = results
        self.weights = S.effective_weights(doc)
        self.pipeline: list[dict[str, Any]] = doc.get("pipeline") or []
        rng: list[float] | None = None
        for step in self.pipeline:
            for name, params in step.items():
                if name == "normalise" and isinstance(params, dict) and isinstance(params.get("range"), list):
                    rng = params["range"]
        self.lo, self.hi = self._scale(rng)

    def _scale(self, rng: list[float] | None) -> tuple[float, float]:
        """The score scale: the normalisation range, or the observed range when scores leave it."""
        seen = [r["score"] for r in self.results if r.get("score") is not None]
        seen += [n["score"] for r in self.results for n in (r.get("nodes") or {}).values() if n.get("score") is not None]
        lo, hi = (float(rng[0]), float(rng[1])) if rng and len(rng) == 2 else (0.0, 100.0)
        if seen and (min(seen) < lo - 1e-9 or max(seen) > hi + 1e-9):
            lo, hi = float(math.floor(min(seen))), float(math.ceil(max(seen)))
        return (lo, hi) if hi > lo else (lo, lo + 1)

    # labels and names
    def t(self, key: str, **kw: Any) -> str:
        text = L.label(key, self.lang)
        return text.format(**kw) if kw else text

    def name(self, obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj.get(self.lang) or obj.get("en") or obj.get("zh") or "")
        return "" if obj is None else str(obj)

    def ind_name(self, ind: str) -> str:
        return self.name(self.indicators.get(ind, {}).get("name")) or ind

    def unit(self, ind: str) -> str:
        return self.name(self.indicators.get(ind, {}).get("unit"))

    def target(self, ind: str) -> str:
        tgt = self.indicators.get(ind, {}).get("target")
        if isinstance(tgt, dict):
            value = fmt_value(tgt.get("value"))
            return f"{value} ({tgt['year']})" if tgt.get("year") is not None else value
        return "—" if tgt is None else fmt_value(tgt)

    def domain_name(self, ind: str) -> str:
        k = self.domain_of.get(ind, -1)
        return self.name(self.domains[k]["name"]) if k >= 0 else ""

    def rating(self, rating: str | None) -> str:
        return L.rating_label(rating, self.lang)

    def status(self, status: str | None) -> str:
        return "—" if status is None else self.t(status) if status in L.LABELS else status

    # colours
    def band(self, score: float | None) -> str:
        if score is None:
            return "gray"
        f = (score - self.lo) / (self.hi - self.lo)
        return "green" if f >= 0.75 else "yellow" if f >= 0.5 else "orange" if f >= 0.25 else "red"

    def fill(self, rating: str | None, score: float | None) -> tuple[str, str, bool]:
        """(fill, ink, rated): the rating's colour, or the score band's lighter tint."""
        if rating in L.RATING_COLOURS:
            return L.RATING_COLOURS[rating], INK_ON.get(rating, svg.DARK), True
        band = self.band(score)
        return (tint(L.RATING_COLOURS[band]) if score is not None else L.RATING_COLOURS["gray"]), svg.DARK, False

    def ticks(self) -> list[float]:
        return [self.lo + (self.hi - self.lo) * k / 4 for k in range(5)]


def _leaves(node: dict[str, Any]) -> Iterable[str]:
    if "indicator" in node:
        yield node["indicator"]
    for child in node.get("children") or []:
        yield from _leaves(child)


def _chip(ctx: _Context, rating: str | None) -> str:
    if rating is None:
        return "—"
    return f'<span class="chip r-{esc(rating)}">{esc(ctx.rating(rating))}</span>'


def _table(headers: Sequence[tuple[str, str]], rows: Iterable[str], *, css: str = "sortable") -> str:
    """A table (sortable when ``css`` says so); ``headers`` are (label, css class) pairs, ``rows`` ``<tr>`` strings."""
    head = "".join(f'<th class="{c}">{esc(h)}</th>' if c else f"<th>{esc(h)}</th>" for h, c in headers)
    return (f'<div class="tablewrap"><table class="{css}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# --------------------------------------------------------------------------- page frame

CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;--accent:#1f4e79;--card:#fff}
*{box-sizing:border-box}
html{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","Hiragino Sans GB",
"Noto Sans",system-ui,sans-serif;color:var(--ink);background:var(--bg);font-size:14px;line-height:1.5}
body{margin:0}
header.top{background:var(--accent);color:#fff;padding:22px 32px 18px}
header.top .kicker{opacity:.8;font-size:12px;letter-spacing:.08em;text-transform:uppercase}
header.top h1{margin:4px 0 12px;font-size:24px;font-weight:700}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;font-size:12.5px}
dl.prov dt{opacity:.75}dl.prov dd{margin:0;word-break:break-all}
dl.prov code{font-size:11.5px;opacity:.9}
nav.toc{background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;position:sticky;top:0;z-index:5}
nav.toc a{margin-right:18px;color:var(--accent);text-decoration:none;font-weight:600}
main{padding:8px 32px 32px;max-width:1280px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:16px 20px;margin:16px 0}
h2{font-size:18px;margin:0 0 10px;color:var(--accent)}
h3{font-size:15px;margin:14px 0 6px}
p.note,.muted{color:var(--muted)}p.note{font-size:12.5px;margin:4px 0 10px}
.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:140px;background:#fbfcfd}
.kpi b{display:block;font-size:22px;color:var(--accent)}.kpi span{color:var(--muted);font-size:12px}
.kpi b .chip{font-size:15px;padding:1px 12px;border-radius:12px;vertical-align:middle}
.tablewrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7;font-weight:600;white-space:nowrap}
table.summary{font-size:12px}table.summary th,table.summary td{padding:3px 4px}
table.summary th{white-space:normal;font-size:11px;line-height:1.3;vertical-align:bottom;hyphens:manual}
td.city,th.city{white-space:nowrap}table.pipeline td.prose{max-width:60em;white-space:normal}
table.summary td.city,table.summary th.city{position:sticky;left:0;background:inherit;z-index:1}
table.summary th.city{background:#eef2f7}table.summary tbody tr:nth-child(odd){background:#fff}
td.n,th.n,table.domains td:nth-child(2),table.domains td:nth-child(3),table.domains td:nth-child(5),
table.summary td:nth-child(1),table.summary td:nth-child(3),table.summary td:nth-child(n+5)
{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" ▲";font-size:9px}
table.sortable th[aria-sort=descending]::after{content:" ▼";font-size:9px}
tbody tr:nth-child(even){background:#fafbfc}
.chip{display:inline-block;min-width:2.2em;padding:0 6px;border-radius:9px;font-size:11.5px;text-align:center;color:#1f2933}
.r-green{background:#2e9e44;color:#fff}.r-yellow{background:#f2c318}.r-orange{background:#f08a24}
.r-red{background:#d7301f;color:#fff}.r-gray{background:#b0b0b0}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;color:var(--muted);margin:4px 0 8px}
.sw{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
svg.chart{max-width:100%;height:auto;display:block}
svg text{font-size:11px}svg .ct{font-size:10px}
svg .tick{fill:var(--muted);font-size:10px}svg .muted{fill:var(--muted)}
svg .grid{stroke:#e4e7eb;stroke-width:1}svg .ring{fill:none;stroke:#d9e2ec}svg .spoke{stroke:#d9e2ec}
svg .colhead{font-size:11px}svg .axis{font-size:11px;fill:#3e4c59}
svg.dashboard rect:hover,svg rect.bar:hover{stroke:#1f2933;stroke-width:1.5}
details.city{border-top:1px solid var(--line);padding:6px 0}
details.city>summary{cursor:pointer;font-weight:600;padding:2px 0}
details.city>summary .score{font-variant-numeric:tabular-nums;margin:0 8px}
.profile{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
.sw-list{margin:0;padding-left:18px;font-size:12.5px}.sw-list i{font-style:normal;color:var(--muted)}
.cols{display:flex;flex-wrap:wrap;gap:8px 40px}
details.detail>summary{cursor:pointer;color:var(--accent);font-weight:600;margin:8px 0}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
table.coherence td:first-child{min-width:9em}td.flags{font-size:11.5px;word-break:break-word;min-width:24em}
table.ranks td:nth-child(2),table.ranks td.n{white-space:nowrap}
table.summary.audited td:nth-child(3),table.summary.audited td:nth-child(5){text-align:left;white-space:normal}
table.summary.audited td:nth-child(4){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
@media print{nav.toc{position:static}body{background:#fff}section{break-inside:avoid-page;border:none}
details::details-content{content-visibility:visible;display:contents}}
"""

JS = """
(function(){
"use strict";
function key(td){var v=td.getAttribute("data-v");if(v===null){v=td.textContent.trim();}
if(v===""||v==="—"){return null;}var n=Number(v);return isNaN(n)?v:n;}
function cmp(a,b,dir){if(a===null&&b===null){return 0;}if(a===null){return 1;}if(b===null){return -1;}
var c=(typeof a==="number"&&typeof b==="number")?a-b:String(a).localeCompare(String(b));return dir*c;}
function sortBy(th){var table=th.closest("table"),tbody=table.tBodies[0],idx=th.cellIndex;
var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
Array.prototype.forEach.call(th.parentNode.cells,function(c){c.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",dir===1?"ascending":"descending");
var rows=Array.prototype.map.call(tbody.rows,function(r,i){return [key(r.cells[idx]),i,r];});
rows.sort(function(a,b){return cmp(a[0],b[0],dir)||a[1]-b[1];});
var frag=document.createDocumentFragment();rows.forEach(function(r){frag.appendChild(r[2]);});tbody.appendChild(frag);}
document.addEventListener("click",function(e){var th=e.target.closest("table.sortable thead th");if(th){sortBy(th);}});
var node=document.getElementById("citystd-data");if(!node){return;}
var D=JSON.parse(node.textContent);
function td(text,cls,v){var c=document.createElement("td");c.textContent=text;if(cls){c.className=cls;}
if(v!==undefined&&v!==null){c.setAttribute("data-v",String(v));}return c;}
function chip(cell,c){if(D.rt[c]){var e=document.createElement("span");e.className="chip r-"+D.rc[c];
e.textContent=D.rt[c];cell.appendChild(e);}else{cell.textContent="\u2014";}return cell;}
function f1(x){return x===null?"\u2014":x.toFixed(1);}
function head(id){return document.getElementById(id).content.cloneNode(true);}
function indicators(host,row){var t=head("detail-head"),tb=t.querySelector("tbody");
D.ind.forEach(function(m,i){var tr=document.createElement("tr"),v=row[0][i],s=row[1][i],r=row[2][i],c=row[3].charAt(i);
tr.appendChild(td(m[0]));tr.appendChild(td(m[3]>=0?D.dom[m[3]]:""));
tr.appendChild(td(v===null?"\u2014":String(v),"n"));tr.appendChild(td(m[1]));tr.appendChild(td(m[2],"n"));
tr.appendChild(td(f1(s),"n"));tr.appendChild(td(r===null?"\u2014":String(r),"n"));
tr.appendChild(chip(td("",null,D.lv[c]),c));tb.appendChild(tr);});host.appendChild(t);}
function domains(host,row){var t=head("domain-head"),tb=t.querySelector("tbody");
D.dom.forEach(function(name,j){var tr=document.createElement("tr"),r=row[5][j],c=row[6].charAt(j);
tr.appendChild(td(name));tr.appendChild(td(f1(row[4][j])));tr.appendChild(td(r===null?"\u2014":String(r)));
tr.appendChild(chip(td("",null,D.lv[c]),c));tr.appendChild(td(f1(D.med[j])));tb.appendChild(tr);});host.appendChild(t);}
function item(row,k){var m=D.ind[k],v=row[0][k],r=row[2][k],li=document.createElement("li"),b=document.createElement("b"),
i=document.createElement("i");li.appendChild(document.createTextNode(m[0]+" \u2014 "));b.textContent=f1(row[1][k]);
li.appendChild(b);i.textContent=" ("+(v===null?"\u2014":String(v))+(m[1]?" "+m[1]:"")+(r===null?"":", "+D.rank+" "+r)+")";
li.appendChild(i);return li;}
function profile(host,row){domains(host.querySelector(".dhost"),row);var t=head("sw-lists");
row[7].forEach(function(k){t.querySelector(".best").appendChild(item(row,k));});
row[8].forEach(function(k){t.querySelector(".worst").appendChild(item(row,k));});host.querySelector(".swhost").appendChild(t);}
function once(d,fn,sel){if(d.open&&!d.getAttribute("data-built")){d.setAttribute("data-built","1");
fn(sel?d.querySelector(sel):d,D.rows[Number(d.getAttribute("data-row"))]);}}
Array.prototype.forEach.call(document.querySelectorAll("details[data-row]"),function(d){
var city=d.classList.contains("city");d.addEventListener("toggle",function(){
once(d,city?profile:indicators,city?null:".host");});});
window.addEventListener("beforeprint",function(){Array.prototype.forEach.call(
document.querySelectorAll("details.city"),function(d){d.open=true;once(d,profile,null);});});
})();
"""


def page(lang: str, *, title: str, kicker: str, heading: str, provenance: str, nav: Sequence[tuple[str, str]],
         body: str, footer: str, version: str, contents: str, data: str = "") -> str:
    """The page shell every HTML report shares: head with the inline CSS, a header (``kicker``,
    ``heading`` and the ``provenance`` ``<dt>/<dd>`` pairs), the table of contents ``nav`` (anchor,
    title), ``body``, ``footer`` and the inline script. ``provenance``, ``body``, ``footer`` and
    ``data`` are HTML already escaped by the caller; the other texts are escaped here."""
    links = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in nav)
    lang = "zh" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="generator" content="citystd {esc(version)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header class="top"><div class="kicker">{esc(kicker)}</div><h1>{esc(heading)}</h1>'
        f'<dl class="prov">{provenance}</dl></header><nav class="toc" aria-label="{esc(contents)}">{links}</nav>'
        f"<main>{body}</main><footer>{footer}</footer>"
        f'{data}<script>{JS}</script></body></html>\n'
    )


def _page(ctx: _Context, title: str, heading: str, nav: Sequence[tuple[str, str]], body: str, data: str = "") -> str:
    doc = ctx.doc
    fw = doc.get("framework") or {}
    inp = doc.get("input") or {}
    sheet = f" · {ctx.t('sheet')} {esc(inp['sheet'])}" if inp.get("sheet") else ""
    prov = (
        f"<dt>{esc(ctx.t('framework'))}</dt><dd>{esc(ctx.name(fw.get('name')))} · "
        f"<b>{esc(fw.get('id', ''))}</b> {esc(ctx.t('version'))} {esc(fw.get('version', ''))}<br>"
        f"<code>SHA-256 {esc(fw.get('sha256', ''))}</code></dd>"
        f"<dt>{esc(ctx.t('input'))}</dt><dd>{esc(inp.get('file', ''))}{sheet}<br>"
        f"<code>SHA-256 {esc(inp.get('sha256', ''))}</code></dd>"
        f"<dt>{esc(ctx.t('generated_by'))}</dt><dd>citystd {esc(doc.get('citystd_version', ''))}</dd>"
    )
    footer = (f"{esc(ctx.t('framework'))} {esc(fw.get('id', ''))} {esc(fw.get('version', ''))} · SHA-256 "
              f"{esc(fw.get('sha256', ''))} · citystd {esc(doc.get('citystd_version', ''))}")
    return page(ctx.lang, title=title, kicker=ctx.t("report_title"), heading=heading, provenance=prov, nav=nav,
                body=body, footer=footer, version=str(doc.get("citystd_version", "")), contents=ctx.t("contents"),
                data=data)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def _year_note(ctx: _Context) -> str:
    if len(ctx.years) > 1:
        return f'<p class="note">{esc(ctx.t("latest_year", year=ctx.year, first=ctx.years[0], last=ctx.years[-1]))}</p>'
    return ""


def _legend(ctx: _Context) -> str:
    items = "".join(f'<span><i class="sw" style="background:{L.RATING_COLOURS[k]}"></i>{esc(ctx.rating(k))}</span>'
                    for k in ("green", "yellow", "orange", "red"))
    gray = f'<span><i class="sw" style="background:{L.RATING_COLOURS["gray"]}"></i>{esc(ctx.t("no_data"))}</span>'
    bands = "".join(f'<span><i class="sw" style="background:{tint(L.RATING_COLOURS[k])}"></i></span>'
                    for k in ("green", "yellow", "orange", "red"))
    q = [fmt_tick(ctx.lo + (ctx.hi - ctx.lo) * f) for f in (0.75, 0.5, 0.25)]
    band_text = ctx.t("legend_band", a=q[0], b=q[1], c=q[2], lo=fmt_tick(ctx.lo), hi=fmt_tick(ctx.hi))
    return (f'<div class="legend">{items}{gray}<span>{esc(ctx.t("legend_rated"))}</span></div>'
            f'<div class="legend">{bands}<span>{esc(band_text)}</span></div>')


def fmt_tick(x: float) -> str:
    return N.plain(x)


# --------------------------------------------------------------------------- sections


def _overview(ctx: _Context) -> str:
    scores = [r["score"] for r in ctx.rows if r.get("score") is not None]
    issues = ctx.doc.get("issues") or []
    kpis = [
        (str(len(ctx.rows)), ctx.t("cities")),
        (str(len(ctx.order)), ctx.t("indicators")),
        (str(len(ctx.domains)), ctx.t("domain_list")),
        (fmt_score(statistics.median(scores)) if scores else "—", ctx.t("median_score")),
        (str(len(issues)), ctx.t("issues")),
    ]
    if ctx.year is not None:
        kpis.insert(0, (str(ctx.year), ctx.t("year")))
    cards = "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for v, k in kpis)
    return _section("overview", ctx.t("overview"), f'<div class="kpis">{cards}</div>{_year_note(ctx)}')


def _audit_note(ctx: _Context) -> str:
    """What the rank intervals are (``citystd score --audit``), or nothing."""
    a = ctx.doc.get("audit")
    if not a:
        return ""
    return (f'<p class="note">{esc(ctx.t("audit_note", n=a.get("rank_replications"), file=a.get("file"), seed=a.get("seed")))}'
            "</p>")


def _ranking(ctx: _Context) -> str:
    audited = bool(ctx.doc.get("audit"))
    bars = []
    for r in ctx.rows:
        fill, _, _ = ctx.fill(r.get("rating"), r.get("score"))
        rank = "—" if r.get("rank") is None else str(r["rank"])
        iv = S.rank_interval(ctx.doc, r)
        title = (f"{r['city']} · {ctx.t('score')} {fmt_score(r.get('score'), 2)} · {ctx.t('rank')} {rank}"
                 + (f" ({ctx.t('interval')} {S.interval_text(iv)})" if iv else "") + " · "
                 f"{ctx.t('rating')} {ctx.rating(r.get('rating'))} · {ctx.t('coverage')} {fmt_pct(r.get('coverage'))}")
        bars.append(svg.Bar(label=str(r["city"]), value=r.get("score"), fill=fill, title=title,
                            text=fmt_score(r.get("score")), prefix=rank))
    chart = svg.bar_chart(bars, vmin=ctx.lo, vmax=ctx.hi, width=900, ticks=ctx.ticks(), label=ctx.t("ranking"))
    heads = [(ctx.t("rank"), "n"), *([(ctx.t("rank_interval"), "n")] if audited else []), (ctx.t("city"), "city"),
             (ctx.t("score"), "n"), (ctx.t("rating"), ""),
             (ctx.t("coverage"), "n")] + [(ctx.name(d["name"]), "n") for d in ctx.domains]
    rows = []
    for r in ctx.rows:
        nodes = r.get("nodes") or {}
        cells = "".join(f'<td>{fmt_score(nodes.get(d["id"], {}).get("score"))}</td>' for d in ctx.domains)
        iv = S.rank_interval(ctx.doc, r)
        interval = (f'<td class="n"{_dv(iv["q95"] - iv["q05"] if iv else None)}>{esc(S.interval_text(iv))}</td>'
                    if audited else "")
        rows.append(f'<tr><td>{"—" if r.get("rank") is None else r["rank"]}</td>{interval}'
                    f'<td class="city">{esc(r["city"])}</td><td>{fmt_score(r.get("score"), 2)}</td>'
                    f'<td{_dv(RATING_LEVEL.get(r.get("rating") or ""))}>{_chip(ctx, r.get("rating"))}</td>'
                    f'<td class="n"{_dv(r.get("coverage"))}>{fmt_pct(r.get("coverage"))}</td>{cells}</tr>')
    table = _table(heads, rows, css="sortable summary" + (" audited" if audited else ""))
    body = (f"{_year_note(ctx)}{_legend(ctx)}{chart}<h3>{esc(ctx.t('summary'))}</h3>"
            f'<p class="note">{esc(ctx.t("sort_hint"))}</p>{_audit_note(ctx)}{table}')
    return _section("ranking", ctx.t("ranking"), body)


def _dashboard(ctx: _Context) -> str:
    cols = [ctx.t("overall")] + [ctx.name(d["name"]) for d in ctx.domains]
    cells: list[list[svg.Cell]] = []
    labels: list[str] = []
    for r in ctx.rows:
        nodes = r.get("nodes") or {}
        row = []
        entries = [(ctx.t("overall"), r.get("score"), r.get("rating"), r.get("rank"))]
        entries += [(ctx.name(d["name"]), nodes.get(d["id"], {}).get("score"), nodes.get(d["id"], {}).get("rating"),
                     nodes.get(d["id"], {}).get("rank")) for d in ctx.domains]
        for name, score, rating, rank in entries:
            fill, ink, rated = ctx.fill(rating, score)
            # short tooltips (3,000+ cells for 300 cities): the row label names the city; the
            # rating is named only for rated cells (band-tinted cells have none)
            title = f"{name}: {fmt_score(score)}" if score is not None else f"{name}: {ctx.t('no_data')}"
            title += f" · #{rank}" if rank is not None else ""
            title += f" · {ctx.rating(rating)}" if rated else ""
            row.append(svg.Cell(fill=fill, text="" if score is None else N.fixed(score, 0), title=title, ink=ink))
        cells.append(row)
        labels.append(f"{'—' if r.get('rank') is None else r['rank']}. {r['city']}")
    chart = svg.grid_chart(labels, cols, cells, split_after=1, label=ctx.t("dashboard"))
    return _section("dashboard", ctx.t("dashboard"), f"{_year_note(ctx)}{_legend(ctx)}{chart}")


def _trends(ctx: _Context) -> str:
    if len(ctx.years) < 2:
        return ""
    by_city: dict[str, dict[int, float | None]] = {}
    for r in ctx.results:
        by_city.setdefault(str(r["city"]), {})[r["year"]] = r.get("score")
    latest = [str(r["city"]) for r in ctx.rows]
    order = latest + [c for c in by_city if c not in latest]
    top = set(order[:5])
    series = []
    for c in reversed(order):  # highlighted cities drawn last (on top)
        vals = [by_city[c].get(y) for y in ctx.years]
        if c in top:
            series.append(svg.Line(c, vals, PALETTE[order.index(c) % len(PALETTE)], width=2.4, css_class="line top"))
        else:
            series.append(svg.Line(c, vals, "#c3ccd6", width=1.2, points=False, end_label=False))
    med = [_median(by_city[c].get(y) for c in by_city) for y in ctx.years]
    series.append(svg.Line(ctx.t("median"), med, "#1f2933", width=2, dashed=True, css_class="line median"))
    lo, hi, ticks = svg.nice_range([v for line in series for v in line.values], ctx.lo, ctx.hi)
    chart = svg.line_chart(ctx.years, series, vmin=lo, vmax=hi, ticks=ticks, width=900, height=340,
                           label=ctx.t("overall_over_years"))
    note = f'<p class="note">{esc(ctx.t("overall_over_years"))}</p>'
    return _section("trends", ctx.t("trends"), note + chart)


def _picks(ctx: _Context, row: dict[str, Any], n: int) -> tuple[list[int], list[int]]:
    """Positions (in ``ctx.order``) of the ``n`` strengths and ``n`` weaknesses of a result row.

    The same choice as the Markdown and Excel reports (:func:`summary.strengths_weaknesses`): the
    indicators adding the most points to the overall score (effective weight × score), and those
    losing the most (effective weight × (best score − score)).
    """
    best, worst = S.strengths_weaknesses(ctx.doc, row, n, ctx.weights)
    return ([ctx.position[i[0]] for i in best if i[0] in ctx.position],
            [ctx.position[i[0]] for i in worst if i[0] in ctx.position])


def _strengths(ctx: _Context, row: dict[str, Any], n: int) -> tuple[list[str], list[str]]:
    """The ``<li>`` items of the strengths and weaknesses (:func:`_picks`)."""
    def item(k: int) -> str:
        ind = ctx.order[k]
        v = row["indicators"][ind]
        unit = ctx.unit(ind)
        return (f"<li>{esc(ctx.ind_name(ind))} — <b>{fmt_score(v['score'])}</b> "
                f'<i>({esc(fmt_value(v.get("value")))}{" " + esc(unit) if unit else ""}'
                f'{", " + esc(ctx.t("rank")) + " " + str(v["rank"]) if v.get("rank") is not None else ""})</i></li>')
    best, worst = _picks(ctx, row, n)
    return [item(k) for k in best], [item(k) for k in worst]


def _lists(ctx: _Context, best: Sequence[str], worst: Sequence[str]) -> str:
    return (f'<p class="note">{esc(ctx.t("strengths_note"))}</p><div class="cols"><div><h3>{esc(ctx.t("strengths"))}</h3><ol class="sw-list best">{"".join(best)}</ol></div>'
            f'<div><h3>{esc(ctx.t("weaknesses"))}</h3><ol class="sw-list worst">{"".join(worst)}</ol></div></div>')


def _median_series(ctx: _Context, medians: list[float | None]) -> svg.RadarSeries:
    return svg.RadarSeries(ctx.t("median"), medians, "#7b8794", dashed=True, css_class="radar-median")


def _domain_chart(ctx: _Context, row: dict[str, Any], medians: list[float | None], grid_ref: str = "",
                  points: bool = True) -> str:
    """A radar of the city's domain scores over the median of all cities (bars below 3 domains)."""
    nodes = row.get("nodes") or {}
    names = [ctx.name(d["name"]) for d in ctx.domains]
    vals = [nodes.get(d["id"], {}).get("score") for d in ctx.domains]
    if len(ctx.domains) >= 3:
        titles = [f"{n}: {fmt_score(v)}" for n, v in zip(names, vals, strict=True)] if points else []
        city = svg.RadarSeries(str(row["city"]), vals, "#1f4e79", fill="rgba(31,78,121,0.18)",
                               css_class="radar-city", titles=titles)
        return svg.radar(names, [city], vmin=ctx.lo, vmax=ctx.hi, grid_ref=grid_ref,
                         background=[_median_series(ctx, medians)], label=f"{row['city']} · {ctx.t('domains')}")
    bars = []
    for d, name, v in zip(ctx.domains, names, vals, strict=True):
        fill, _, _ = ctx.fill(nodes.get(d["id"], {}).get("rating"), v)
        bars.append(svg.Bar(name, v, fill, title=f"{name}: {fmt_score(v)}", text=fmt_score(v), css_class="bar profile"))
    return svg.bar_chart(bars, vmin=ctx.lo, vmax=ctx.hi, width=520, ticks=ctx.ticks(),
                         label=f"{row['city']} · {ctx.t('domains')}") if bars else ""


def _domain_table(ctx: _Context, row: dict[str, Any], medians: list[float | None]) -> str:
    """Score, rank, rating and the median of each domain (only the header when ``medians`` is empty)."""
    nodes = row.get("nodes") or {}
    n = len(ctx.rows)
    rows = []
    for d, med in zip(ctx.domains, medians, strict=False):
        v = nodes.get(d["id"], {})
        rows.append(f'<tr><td>{esc(ctx.name(d["name"]))}</td><td>{fmt_score(v.get("score"))}</td>'
                    f'<td>{"—" if v.get("rank") is None else v["rank"]}</td>'
                    f'<td{_dv(RATING_LEVEL.get(v.get("rating") or ""))}>{_chip(ctx, v.get("rating"))}</td>'
                    f'<td>{fmt_score(med)}</td></tr>')
    heads = [(ctx.t("domain"), ""), (ctx.t("score"), "n"), (f"{ctx.t('rank')} / {n}", "n"), (ctx.t("rating"), ""),
             (ctx.t("median_score"), "n")]
    return _table(heads, rows, css="sortable domains")


def _detail_headers(ctx: _Context, trends: bool = False) -> list[tuple[str, str]]:
    heads = [(ctx.t("indicator"), ""), (ctx.t("domain"), ""), (ctx.t("value"), "n"), (ctx.t("unit"), ""),
             (ctx.t("target"), "n"), (ctx.t("score"), "n"), (ctx.t("rank"), "n"), (ctx.t("rating"), "")]
    if trends:
        heads += [(ctx.t("cagr"), "n"), (ctx.t("status"), "")]
    return heads


def _profiles(ctx: _Context) -> tuple[str, str]:
    """The city profiles section and the JSON their indicator tables are built from."""
    medians = [_median((r.get("nodes") or {}).get(d["id"], {}).get("score") for r in ctx.rows) for d in ctx.domains]
    radar = len(ctx.domains) >= 3
    parts = []
    if radar:
        grid = svg.radar_grid([ctx.name(d["name"]) for d in ctx.domains], grid_id="radar-grid", vmin=ctx.lo,
                              vmax=ctx.hi, background=[_median_series(ctx, medians)])
        parts.append(f'<svg class="defs" width="0" height="0" style="position:absolute" aria-hidden="true">'
                     f"<defs>{grid}</defs></svg>")
    legend = (f'<div class="legend"><span><i class="sw" style="background:#1f4e79"></i>{esc(ctx.t("city"))}</span>'
              f'<span><i class="sw" style="background:#7b8794"></i>{esc(ctx.t("median"))} (- -)</span></div>')
    parts.append(f'{_year_note(ctx)}<p class="note">{esc(ctx.t("sort_hint"))} {esc(ctx.t("detail_hint"))}</p>{legend}')
    json_rows = []
    for k, r in enumerate(ctx.rows):
        rank = "—" if r.get("rank") is None else str(r["rank"])
        summary = (f'<summary><span class="muted">{esc(rank)}.</span> {esc(r["city"])}'
                   f'<span class="score">{fmt_score(r.get("score"))}</span>{_chip(ctx, r.get("rating"))} '
                   f'<span class="muted">{esc(ctx.t("coverage"))} {fmt_pct(r.get("coverage"))}</span></summary>')
        chart = _domain_chart(ctx, r, medians, grid_ref="radar-grid" if radar else "", points=False)
        detail = (f'<details class="detail" data-row="{k}"><summary>{esc(ctx.t("detail"))} '
                  f'({len(ctx.order)})</summary><div class="host"></div></details>')
        parts.append(f'<details class="city" id="city-{k + 1}" data-row="{k}">{summary}<div class="profile">{chart}'
                     f'<div class="dhost"></div></div><div class="swhost"></div>{detail}</details>')
        inds = r.get("indicators") or {}
        vals, scores, ranks, codes = [], [], [], []
        for ind in ctx.order:
            v = inds.get(ind) or {}
            vals.append(round_value(v.get("value")))
            scores.append(None if v.get("score") is None else _compact(round(v["score"], 1)))
            ranks.append(v.get("rank"))
            codes.append(RATING_CODE.get(v.get("rating") or "", "-"))
        nodes = r.get("nodes") or {}
        dom = [nodes.get(d["id"]) or {} for d in ctx.domains]
        json_rows.append([vals, scores, ranks, "".join(codes),
                          [None if n.get("score") is None else _compact(round(n["score"], 1)) for n in dom],
                          [n.get("rank") for n in dom], "".join(RATING_CODE.get(n.get("rating") or "", "-") for n in dom),
                          *_picks(ctx, r, TOP_N)])
    data = {
        "ind": [[ctx.ind_name(i), ctx.unit(i), ctx.target(i), ctx.domain_of.get(i, -1)] for i in ctx.order],
        "dom": [ctx.name(d["name"]) for d in ctx.domains],
        "med": [None if m is None else _compact(round(m, 1)) for m in medians],
        "rows": json_rows,
        "rt": {c: ctx.rating(r) for r, c in RATING_CODE.items()},
        "rc": {c: r for r, c in RATING_CODE.items()},
        "lv": {c: RATING_LEVEL[r] for r, c in RATING_CODE.items()},
        "rank": ctx.t("rank"),
    }
    head = _table(_detail_headers(ctx), [], css="sortable detail-table")
    template = (f'<template id="detail-head">{head}</template>'
                f'<template id="domain-head">{_domain_table(ctx, {}, [])}</template>'
                f'<template id="sw-lists">{_lists(ctx, [], [])}</template>')
    script = f'<script type="application/json" id="citystd-data">{script_json(data)}</script>'
    return _section("profiles", ctx.t("profiles"), "".join(parts)), template + script


def _issues(ctx: _Context, city: str | None = None) -> str:
    issues = ctx.doc.get("issues") or []
    if city is not None:
        issues = [i for i in issues if i.get("city") == city or city in ctx.name(i.get("message"))]
    parts = []
    if issues:
        rows = []
        for i in issues:
            loc = ":".join(str(x) for x in (i.get("file"), i.get("sheet")) if x)
            where = i.get("cell") or (f"{i['line']}" if i.get("line") is not None else "")
            if i.get("col") is not None:
                where += f":{i['col']}"
            loc = f"{loc} {where}".strip()
            rows.append(f'<tr><td>{esc(i.get("code", ""))}</td><td>{esc(i.get("severity", ""))}</td>'
                        f'<td>{esc(loc)}</td><td>{esc(ctx.name(i.get("message")))}</td>'
                        f'<td class="muted">{esc(ctx.name(i.get("hint")))}</td></tr>')
        heads = [(ctx.t("code"), ""), (ctx.t("severity"), ""), (ctx.t("location"), ""), (ctx.t("message"), ""),
                 (ctx.t("hint"), "")]
        parts.append(_table(heads, rows, css="sortable issues"))
    else:
        parts.append(f'<p class="ok">{esc(ctx.t("no_issues"))}</p>')
    dropped = [d for d in ctx.doc.get("dropped") or [] if city is None or d.get("city") == city]
    if dropped:
        rows = [f'<tr><td class="city">{esc(d.get("city", ""))}</td><td>{esc(d.get("year") if d.get("year") is not None else "—")}</td>'
                f'<td class="n"{_dv(d.get("coverage"))}>{fmt_pct(d.get("coverage"))}</td><td>{esc(ctx.name(d.get("reason")))}</td></tr>'
                for d in dropped]
        heads = [(ctx.t("city"), ""), (ctx.t("year"), ""), (ctx.t("coverage"), "n"), (ctx.t("reason"), "")]
        parts.append(f"<h3>{esc(ctx.t('dropped'))} ({len(dropped)})</h3>{_table(heads, rows)}")
    records = [r for r in ctx.doc.get("records") or [] if city is None or r.get("city") == city]
    if records:
        rows = [f'<tr><td class="city">{esc(r.get("city", ""))}</td><td>{esc(r.get("year") if r.get("year") is not None else "—")}</td>'
                f'<td>{esc(ctx.ind_name(str(r.get("indicator", ""))))}</td><td>{esc(r.get("stage", ""))}</td>'
                f'<td>{esc(r.get("action", ""))}</td><td class="n">{esc(fmt_value(r.get("before")))}</td>'
                f'<td class="n">{esc(fmt_value(r.get("after")))}</td></tr>' for r in records[:MAX_RECORDS]]
        heads = [(ctx.t("city"), ""), (ctx.t("year"), ""), (ctx.t("indicator"), ""), (ctx.t("stage"), ""),
                 (ctx.t("action"), ""), (ctx.t("before"), "n"), (ctx.t("after"), "n")]
        more = (f'<p class="note">{esc(ctx.t("more_rows", n=len(records) - MAX_RECORDS))}</p>'
                if len(records) > MAX_RECORDS else "")
        parts.append(f"<h3>{esc(ctx.t('records'))} ({len(records)})</h3>{_table(heads, rows)}{more}")
    return _section("issues", f"{ctx.t('issues')} ({len(issues)})", "".join(parts))


def _method(ctx: _Context) -> str:
    from citystd.report.method_text import describe

    rows = []
    for k, step in enumerate(ctx.pipeline, 1):
        for name, params in step.items():
            rows.append(f'<tr><td class="n">{k}</td><td><b>{esc(name)}</b></td>'
                        f'<td class="prose">{esc(describe(name, params, ctx.lang))}</td></tr>')
    pipe = _table([("#", "n"), (ctx.t("step"), ""), (ctx.t("what_it_does"), "")], rows, css="pipeline")
    drows = [f'<tr><td>{esc(ctx.name(d["name"]))}</td><td><code>{esc(d["id"])}</code></td>'
             f'<td class="n">{esc(fmt_value(d.get("weight")))}</td>'
             f'<td class="n">{sum(1 for i in ctx.order if ctx.domain_of.get(i) == k)}</td></tr>'
             for k, d in enumerate(ctx.domains)]
    dom = _table([(ctx.t("domain"), ""), ("id", ""), (ctx.t("weight"), "n"), (ctx.t("indicators"), "n")], drows,
                 css="sortable")
    wrows = []
    for ind in ctx.order:
        w = ctx.weights.get(ind)
        meta = ctx.indicators.get(ind, {})
        gp = meta.get("goalposts") or {}
        wrows.append(f'<tr><td>{esc(ctx.ind_name(ind))}</td><td><code>{esc(ind)}</code></td>'
                     f'<td>{esc(ctx.domain_name(ind))}</td>'
                     f'<td>{esc(L.direction_label(meta["direction"], ctx.lang) if meta.get("direction") else "—")}</td>'
                     f'<td class="n">{esc(fmt_value(gp.get("worst")))}</td><td class="n">{esc(fmt_value(gp.get("best")))}</td>'
                     f'<td class="n"{_dv(w)}>{"—" if w is None else f"{w * 100:.3f}%"}</td></tr>')
    heads = [(ctx.t("indicator"), ""), ("id", ""), (ctx.t("domain"), ""), (ctx.t("direction"), ""),
             (ctx.t("worst"), "n"), (ctx.t("best"), "n"), (ctx.t("effective_weight"), "n")]
    weights = (f'<details class="detail"><summary>{esc(ctx.t("effective_weight"))} ({len(ctx.order)})</summary>'
               f'{_table(heads, wrows, css="sortable weights")}</details>')
    body = f"<h3>{esc(ctx.t('pipeline'))}</h3>{pipe}<h3>{esc(ctx.t('domain_list'))}</h3>{dom}{weights}"
    return _section("method", ctx.t("method"), body)


def _report_page(ctx: _Context) -> str:
    profiles, data = _profiles(ctx)
    sections = [_overview(ctx), _ranking(ctx), _dashboard(ctx), _trends(ctx), profiles, _issues(ctx), _method(ctx)]
    nav = [("ranking", ctx.t("ranking")), ("dashboard", ctx.t("dashboard"))]
    if len(ctx.years) > 1:
        nav.append(("trends", ctx.t("trends")))
    nav += [("profiles", ctx.t("profiles")), ("issues", ctx.t("issues")), ("method", ctx.t("method"))]
    fw_name = ctx.name((ctx.doc.get("framework") or {}).get("name")) or ctx.t("report_title")
    return _page(ctx, f"{ctx.t('report_title')} · {fw_name}", fw_name, nav, "".join(sections), data)


# --------------------------------------------------------------------------- one-city page


def _city_page(ctx: _Context, city: str) -> str:
    mine = [r for r in ctx.results if str(r["city"]) == city]
    if not mine:
        known = sorted({str(r["city"]) for r in ctx.results})
        shown = ", ".join(known[:10]) + (", …" if len(known) > 10 else "")
        raise ValueError(f"city {city!r} is not in the results (cities: {shown})")
    row = next((r for r in mine if r.get("year") == ctx.year), mine[-1])
    medians = [_median((r.get("nodes") or {}).get(d["id"], {}).get("score") for r in ctx.rows) for d in ctx.domains]
    n = len(ctx.rows)
    rank_text = "—" if row.get("rank") is None else ctx.t("rank_of", rank=row["rank"], n=n)
    iv = S.rank_interval(ctx.doc, row)
    if iv:
        rank_text += f" · {ctx.t('interval')} {S.interval_text(iv)}"
    kpis = [(fmt_score(row.get("score")), ctx.t("score")), (rank_text, ctx.t("rank")),
            (fmt_pct(row.get("coverage")), ctx.t("coverage"))]
    if ctx.year is not None:
        kpis.insert(0, (str(ctx.year), ctx.t("year")))
    cards = "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for v, k in kpis)
    cards += (f'<div class="kpi"><b>{_chip(ctx, row.get("rating"))}</b><span>{esc(ctx.t("rating"))}</span></div>')
    sections = [_section("overview", ctx.t("overview"), f'<div class="kpis">{cards}</div>{_year_note(ctx)}'
                         f"{_audit_note(ctx) if iv else ''}")]

    legend = (f'<div class="legend"><span><i class="sw" style="background:#1f4e79"></i>{esc(city)}</span>'
              f'<span><i class="sw" style="background:#7b8794"></i>{esc(ctx.t("median"))} (- -)</span></div>')
    lists = _lists(ctx, *_strengths(ctx, row, TOP_N_CITY))
    sections.append(_section("domains", ctx.t("domains"),
                             f'{legend}<div class="profile">{_domain_chart(ctx, row, medians)}'
                             f"<div>{_domain_table(ctx, row, medians)}</div></div>{lists}"))

    if len(ctx.years) > 1:
        sections.append(_city_trend(ctx, city, mine))
    gaps = _gaps(ctx, city, row)
    if gaps:
        sections.append(gaps)
    sections.append(_city_indicators(ctx, city, row))
    sections.append(_issues(ctx, city))
    sections.append(_method(ctx))
    nav = [("domains", ctx.t("domains"))]
    if len(ctx.years) > 1:
        nav.append(("trends", ctx.t("trends")))
    if gaps:
        nav.append(("gaps", ctx.t("gaps")))
    nav += [("indicators", ctx.t("indicators")), ("issues", ctx.t("issues")), ("method", ctx.t("method"))]
    fw_name = ctx.name((ctx.doc.get("framework") or {}).get("name"))
    heading = f"{city} · {ctx.t('profile')}"
    return _page(ctx, f"{heading} · {fw_name}", heading, nav, "".join(sections))


def _city_trend(ctx: _Context, city: str, mine: list[dict[str, Any]]) -> str:
    by_year = {r["year"]: r for r in mine}
    vals = [by_year[y].get("score") if y in by_year else None for y in ctx.years]
    med = [_median(r.get("score") for r in ctx.results if r.get("year") == y) for y in ctx.years]
    series = [svg.Line(ctx.t("median"), med, "#7b8794", width=1.6, dashed=True, css_class="line median"),
              svg.Line(city, vals, "#1f4e79", width=2.6, css_class="line city")]
    lo, hi, ticks = svg.nice_range(vals + med, ctx.lo, ctx.hi)
    chart = svg.line_chart(ctx.years, series, vmin=lo, vmax=hi, ticks=ticks, width=900, height=300,
                           label=ctx.t("overall_over_years"))
    heads = [(ctx.t("year"), "n"), (ctx.t("score"), "n"), (ctx.t("rank"), "n"), (ctx.t("rating"), "")]
    heads += [(ctx.name(d["name"]), "n") for d in ctx.domains]
    rows = []
    for y in ctx.years:
        r = by_year.get(y)
        if r is None:
            continue
        nodes = r.get("nodes") or {}
        cells = "".join(f'<td class="n">{fmt_score(nodes.get(d["id"], {}).get("score"))}</td>' for d in ctx.domains)
        rows.append(f'<tr><td class="n">{esc(y)}</td><td class="n">{fmt_score(r.get("score"))}</td>'
                    f'<td class="n">{"—" if r.get("rank") is None else r["rank"]}</td>'
                    f'<td>{_chip(ctx, r.get("rating"))}</td>{cells}</tr>')
    body = f'<p class="note">{esc(ctx.t("overall_over_years"))}</p>{chart}{_table(heads, rows, css="sortable years")}'
    return _section("trends", ctx.t("trends"), body)


def _gaps(ctx: _Context, city: str, row: dict[str, Any]) -> str:
    """The city's largest gaps, when the document has a gap analysis (``gaps``, issue 6).

    Rows come from :func:`summary.gap_rows` (as in the Excel and Markdown reports): distance to the
    target and to the goalposts' best in the indicator's unit, and the points of the overall
    score the gap costs (effective weight × (best score − score)), largest first.
    """
    if not ctx.doc.get("gaps"):
        return ""
    items = [g for g in S.gap_rows(ctx.doc, [row]) if g.get("weighted_gap")][:MAX_GAPS]
    if not items:
        return ""
    heads = [("#", "n"), (ctx.t("indicator"), ""), (ctx.t("value"), "n"), (ctx.t("unit"), ""),
             (ctx.t("target"), "n"), (ctx.t("gap_target"), "n"), (ctx.t("best"), "n"), (ctx.t("gap_best"), "n"),
             (ctx.t("score"), "n"), (ctx.t("weighted_gap"), "n")]
    rows = []
    for k, g in enumerate(items, 1):
        ind = str(g["indicator"])
        target = fmt_value(g.get("target"))
        if g.get("target") is not None and g.get("target_year") is not None:
            target += f" ({g['target_year']})"
        rows.append(f'<tr><td class="n">{k}</td><td>{esc(ctx.ind_name(ind))}</td>'
                    f'<td class="n">{esc(fmt_value(g.get("value")))}</td><td>{esc(ctx.unit(ind))}</td>'
                    f'<td class="n">{esc(target)}</td><td class="n">{esc(fmt_value(g.get("gap_target")))}</td>'
                    f'<td class="n">{esc(fmt_value(g.get("best")))}</td><td class="n">{esc(fmt_value(g.get("gap_best")))}</td>'
                    f'<td class="n">{fmt_score(g.get("score"))}</td><td class="n">{fmt_score(g.get("weighted_gap"), 2)}</td></tr>')
    return _section("gaps", ctx.t("gaps"), f'<p class="note">{esc(ctx.t("sort_hint"))}</p>'
                    + _table(heads, rows, css="sortable gaps"))


def _city_indicators(ctx: _Context, city: str, row: dict[str, Any]) -> str:
    trends = {t["indicator"]: t for t in ctx.doc.get("trends") or [] if str(t.get("city")) == city}
    inds = row.get("indicators") or {}
    rows = []
    for ind in ctx.order:
        v = inds.get(ind) or {}
        rating = v.get("rating")
        cells = (f'<td>{esc(ctx.ind_name(ind))}</td><td>{esc(ctx.domain_name(ind))}</td>'
                 f'<td class="n">{esc(fmt_value(v.get("value")))}</td>'
                 f'<td>{esc(ctx.unit(ind))}</td><td class="n">{esc(ctx.target(ind))}</td>'
                 f'<td class="n">{fmt_score(v.get("score"))}</td>'
                 f'<td class="n">{"—" if v.get("rank") is None else v["rank"]}</td>'
                 f'<td{_dv(RATING_LEVEL.get(rating or ""))}>{_chip(ctx, rating)}</td>')
        if trends:
            t = trends.get(ind) or {}
            c = t.get("cagr")
            cells += (f'<td class="n"{_dv(c)}>{"—" if c is None else N.signed(c * 100, 1) + "%"}</td>'
                      f'<td>{esc(ctx.status(t.get("status")))}</td>')
        rows.append(f"<tr>{cells}</tr>")
    table = _table(_detail_headers(ctx, trends=bool(trends)), rows, css="sortable detail-table")
    note = f'<p class="note">{esc(ctx.t("sort_hint"))} {esc(ctx.t("detail_hint"))}</p>'
    return _section("indicators", f"{ctx.t('indicators')} ({len(ctx.order)})", note + table)
