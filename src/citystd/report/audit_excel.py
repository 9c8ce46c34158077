"""The Excel audit report: one workbook rendered from the audit document (docs/audit.md).

Sheets (the HTML report's content): Ranks (nominal, median and 5–95 % rank of every city and of
each top-level node, with a range chart), Sensitivity (first-order and total Sobol indices with
their bootstrap intervals, bar chart with error bars), Drop-one, Coherence (per node: α, PCA,
flags; then each node's correlation matrix under a red–white–blue colour scale), Main effects,
Size (when size variables were given), Replications (every replication's parameters, as recorded
in the JSON) and Specification (settings and seed, uncertain inputs, pipeline, failed
replications, findings).

Built on the score report's workbook (:class:`citystd.report.excel.Styled`, :mod:`citystd.report.xlsxio`):
text from the document is written as text, never as a formula; the same document gives the same
bytes.
"""

from __future__ import annotations

import json
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule

from citystd.report import labels as L
from citystd.report.audit_html import input_text
from citystd.report.excel import MAX_ROWS, Styled
from citystd.report.xlsxio import Sheet

INDEX_FMT, R_FMT = "0.000", "0.00"


def render(doc: dict[str, Any], lang: str) -> bytes:
    """The audit report as .xlsx bytes."""
    report = _AuditBook(doc, lang)
    report.build()
    return report.book.to_bytes()


class _AuditBook(Styled):
    def __init__(self, doc: dict[str, Any], lang: str) -> None:
        super().__init__(lang)
        self.doc = doc
        b = self.book
        self.rank = self.rank_stat
        self.index = b.style(number_format=INDEX_FMT)
        self.r = b.style(number_format=R_FMT)
        names = doc.get("names") or {}
        self.node_names: dict[str, Any] = names.get("nodes") or {}
        self.ind_names: dict[str, Any] = names.get("indicators") or {}
        self.parent = {c: n["node"] for n in doc.get("tree") or [] for c in n.get("children") or []}

    def name(self, obj: Any, fallback: str = "") -> str:
        if isinstance(obj, dict):
            return str(obj.get(self.lang) or obj.get("en") or obj.get("zh") or fallback)
        return fallback if obj is None else str(obj)

    def label(self, element: str) -> str:
        if element in self.node_names:
            return self.name(self.node_names[element], element)
        return self.name(self.ind_names.get(element), element)

    def build(self) -> None:
        self.ranks_sheet()
        self.sensitivity_sheet()
        self.drop_sheet()
        self.coherence_sheet()
        self.main_effects_sheet()
        self.size_sheet()
        self.replications_sheet()
        self.specification_sheet()

    def provenance(self, sh: Sheet, title: str) -> None:
        doc = self.doc
        fw, inp, st = doc.get("framework") or {}, doc.get("input") or {}, doc.get("settings") or {}
        sh.append([title], self.title, height=22)
        sh.append([f"{self.t('framework')}: {self.name(fw.get('name'), fw.get('id', ''))} · {fw.get('id')} "
                   f"v{fw.get('version')} · sha256 {fw.get('sha256')}"], self.subtitle)
        sh.append([f"{self.t('input')}: {inp.get('file') or '—'} · sha256 {inp.get('sha256') or '—'} · "
                   f"citystd {doc.get('citystd_version', '?')}"], self.subtitle)
        sh.append([f"{self.t('audit_source')}: {self.t('samples')} {st.get('n')} · {self.t('replications')} "
                   f"{st.get('replications')} · {self.t('seed')} {st.get('seed')} · {st.get('design')}"
                   + (f" · {self.t('year')} {doc['year']}" if doc.get("year") is not None else "")], self.subtitle)
        sh.append([])
        sh.reset_widths()

    # ------------------------------------------------------------------ sheets

    def ranks_sheet(self) -> None:
        doc = self.doc
        sh = self.book.sheet(self.t("ranks_title"))
        self.provenance(sh, f"{self.t('audit_title')} — {self.t('ranks_title')}")
        top = [c for c in (doc.get("tree") or [{}])[0].get("children") or [] if c in self.node_names]
        heads = [self.t("nominal"), self.t("city"), self.t("score"), self.t("median_rank"), "5 %", "95 %",
                 self.t("interval_width"), self.t("mean_rank"), self.t("mean_shift"),
                 self.t("replications")]
        for c in top:
            name = self.label(c)
            heads += [f"{name} · {self.t('nominal')}", f"{name} · 5 %", f"{name} · 95 %"]
        first = self.header(sh, heads, height=45)
        rows = sorted(doc.get("ranks") or [], key=lambda r: (r.get("rank") is None, r.get("rank") or 0, str(r["city"])))
        styles = [self.int, self.text, self.score, self.rank, self.rank, self.rank, self.rank, self.rank, self.score,
                  self.int] + [self.int, self.rank, self.rank] * len(top)
        for r in rows:
            nodes = r.get("nodes") or {}
            lo, hi = r.get("q05"), r.get("q95")
            cells = [r.get("rank"), r["city"], r.get("score"), r.get("median_rank"), lo, hi,
                     None if lo is None or hi is None else hi - lo, r.get("mean_rank"), r.get("mean_abs_shift"),
                     r.get("replications")]
            for c in top:
                n = nodes.get(c) or {}
                cells += [n.get("rank"), n.get("q05"), n.get("q95")]
            sh.append(cells, styles)
        last = sh.nrows
        if rows:
            sh.ws.conditional_formatting.add(sh.ref(first + 1, last, 8, 8), _bars("#1f4e79"))
        self.finish(sh, freeze=f"C{first + 1}", header_row=first, fixed={0: 10.0, 2: 10.0, 3: 10.0, 4: 8.0, 5: 8.0})
        if rows and doc.get("uncertainty"):
            self.range_chart(sh, first, last, len(heads) + 1)

    def range_chart(self, sh: Sheet, first: int, last: int, anchor_col: int) -> None:
        """The 5–95 % interval per city: a stacked bar of an invisible 5 % and the visible width."""
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = self.t("ranks_title")
        chart.legend = None
        start = Reference(sh.ws, min_col=5, min_row=first + 1, max_row=last)
        width = Reference(sh.ws, min_col=7, min_row=first + 1, max_row=last)
        chart.add_data(start, titles_from_data=False)
        chart.add_data(width, titles_from_data=False)
        chart.set_categories(Reference(sh.ws, min_col=2, min_row=first + 1, max_row=last))
        chart.series[0].graphicalProperties = GraphicalProperties(noFill=True)
        chart.series[0].graphicalProperties.line.noFill = True
        chart.series[1].graphicalProperties = GraphicalProperties(solidFill="A5B8C9")
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = max(int((self.doc.get("settings") or {}).get("units") or 1), 1)
        chart.y_axis.number_format = "0"
        chart.gapWidth = 30
        chart.width = 18
        chart.height = min(max(7.5, 0.42 * (last - first) + 2.5), 200)
        sh.ws.add_chart(chart, f"{sh._letter(anchor_col)}{first}")

    def sensitivity_sheet(self) -> None:
        outputs = self.doc.get("sensitivity") or []
        if not outputs:
            return
        sh = self.book.sheet(self.t("sensitivity"))
        self.provenance(sh, f"{self.t('audit_title')} — {self.t('sensitivity')}")
        level = f"{float((self.doc.get('settings') or {}).get('confidence') or 0.9) * 100:.0f} %"
        for s in outputs:
            out = str(s.get("output", ""))
            what = self.t("output_shift") if out == "mean_abs_rank_shift" else self.t("output_rank").format(city=out[5:])
            sh.append([what], self.key)
            sh.append([self.t("sobol_note").format(output=what, level=level)], self.subtitle)
            first = self.header(sh, [self.t("input_name"), self.t("first_order"), f"S₁ {level} −", f"S₁ {level} +",
                                     self.t("total_effect"), f"Sₜ {level} −", f"Sₜ {level} +", "S₁ − low", "high − S₁",
                                     "Sₜ − low", "high − Sₜ"], height=30)
            for i in s.get("indices") or []:
                (fl, fh), (tl, th) = (i.get("first_ci") or [None, None]), (i.get("total_ci") or [None, None])
                f, t = i.get("first"), i.get("total")
                sh.append([i["input"], f, fl, fh, t, tl, th, _diff(f, fl), _diff(fh, f), _diff(t, tl), _diff(th, t)],
                          [self.text] + [self.index] * 10)
            last = sh.nrows
            if last > first:
                self.sobol_chart(sh, first, last, what)
            sh.append([])
        self.finish(sh, freeze=None, filters=False, fixed={0: 24.0})

    def sobol_chart(self, sh: Sheet, first: int, last: int, what: str) -> None:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{self.t('sensitivity')} · {what}"
        for col, err, colour in ((2, 8, "0072B2"), (5, 10, "E69F00")):
            chart.add_data(Reference(sh.ws, min_col=col, min_row=first, max_row=last), titles_from_data=True)
            series = chart.series[-1]
            series.graphicalProperties = GraphicalProperties(solidFill=colour)
            minus = f"'{sh.ws.title}'!${sh._letter(err - 1)}${first + 1}:${sh._letter(err - 1)}${last}"
            plus = f"'{sh.ws.title}'!${sh._letter(err)}${first + 1}:${sh._letter(err)}${last}"
            series.errBars = ErrorBars(errDir="y", errBarType="both", errValType="cust",
                                       minus=NumDataSource(numRef=NumRef(f=minus)),
                                       plus=NumDataSource(numRef=NumRef(f=plus)))
        chart.set_categories(Reference(sh.ws, min_col=1, min_row=first + 1, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.number_format = "0.00"
        chart.width, chart.height = 16, max(6.0, 1.1 * (last - first) + 3)
        sh.ws.add_chart(chart, f"M{first}")

    def drop_sheet(self) -> None:
        drops = sorted(self.doc.get("drop_one") or [], key=lambda d: (-(d.get("mean_abs_rank_change") or 0),
                                                                      d.get("kind", ""), str(d.get("element", ""))))
        sh = self.book.sheet(self.t("drop_one"))
        sh.append([self.t("drop_note")], self.subtitle)
        sh.reset_widths()
        kind = {"indicator": self.t("indicator"), "node": self.t("node")}
        first = self.header(sh, [self.t("removed"), "id", self.t("kind"), self.t("level"), self.t("mean_change"),
                                 self.t("max_change")], height=30)
        for d in drops:
            sh.append([self.label(str(d["element"])), d["element"], kind.get(d.get("kind", ""), d.get("kind")),
                       d.get("level"), d.get("mean_abs_rank_change"), d.get("max_abs_rank_change")],
                      [self.text, self.text, self.text, self.int, self.score, self.int])
        if drops:
            sh.ws.conditional_formatting.add(sh.ref(first + 1, sh.nrows, 4, 4), _bars("#56B4E9"))
        self.finish(sh, freeze=f"A{first + 1}", header_row=first, maximum=50)

    def coherence_sheet(self) -> None:
        nodes = (self.doc.get("coherence") or {}).get("nodes") or []
        sh = self.book.sheet(self.t("coherence"))
        sh.append([self.t("coherence_note")], self.subtitle)
        sh.reset_widths()
        first = self.header(sh, [self.t("node"), "id", self.t("level"), self.t("children"), self.t("effective_weight"),
                                 self.t("alpha"), self.t("pc1"), self.t("flags"), ""], height=30)
        for c in nodes:
            share = (c.get("pca") or {}).get("variance_share") or []
            flags = c.get("flags") or []
            text = "; ".join(f"{L.flag_label(str(f.get('flag')), self.lang)} {f.get('a')}~{f.get('b')} "
                             f"{f.get('r'):.2f}" for f in flags if f.get("r") is not None)
            sh.append([self.label(str(c["node"])), c["node"], c.get("level"), len(c.get("children") or []),
                       c.get("effective_weight"), c.get("cronbach_alpha"), share[0] if share else None, len(flags),
                       text], [self.text, self.text, self.int, self.int, self.index, self.index, self.index, self.int,
                               self.wrap])
        # each node's correlation matrix: children × (children, node)
        blue, white, red = "1F4E79", "FFFFFF", "D7301F"
        for c in nodes:
            kids = [str(x) for x in c.get("children") or []]
            among = (c.get("pearson") or {}).get("among") or []
            with_node = (c.get("pearson") or {}).get("with_node") or []
            sh.append([])
            sh.append([f"{self.t('correlations')} · {self.label(str(c['node']))} ({c['node']})"], self.key)
            self.header(sh, ["", *kids, f"{self.t('with_node')}: {c['node']}"])
            top = sh.nrows + 1
            for i, k in enumerate(kids):
                row = [among[i][j] if i < len(among) and j < len(among[i]) and i != j else None
                       for j in range(len(kids))]
                sh.append([k, *row, with_node[i] if i < len(with_node) else None],
                          [self.key] + [self.r] * (len(kids) + 1))
            if kids:
                sh.ws.conditional_formatting.add(
                    sh.ref(top, sh.nrows, 1, len(kids) + 1),
                    ColorScaleRule(start_type="num", start_value=-1, start_color=red, mid_type="num", mid_value=0,
                                   mid_color=white, end_type="num", end_value=1, end_color=blue))
        self.finish(sh, freeze=f"A{first + 1}", header_row=first, filters=False, fixed={8: 80.0}, maximum=40)

    def main_effects_sheet(self) -> None:
        items = (self.doc.get("coherence") or {}).get("main_effects") or []
        if not items:
            return
        sh = self.book.sheet(self.t("main_effects"))
        sh.append([self.t("main_effects_note")], self.subtitle)
        sh.reset_widths()
        first = self.header(sh, [self.t("indicator"), "id", self.t("node"), self.t("weight_share"),
                                 self.t("eta2_share"), "η² / w", self.t("eta2"), "r²"], height=30)
        for m in items:
            ind = str(m["indicator"])
            ratio = None if not m.get("weight_share") or m.get("eta2_share") is None else \
                m["eta2_share"] / m["weight_share"]
            sh.append([self.label(ind), ind, self.label(self.parent.get(ind, "")), m.get("weight_share"),
                       m.get("eta2_share"), ratio, m.get("eta2"), m.get("r2")],
                      [self.text, self.text, self.text, self.weight, self.weight, self.r, self.index, self.index])
        self.finish(sh, freeze=f"B{first + 1}", header_row=first, maximum=50)

    def size_sheet(self) -> None:
        items = (self.doc.get("coherence") or {}).get("size") or []
        if not items:
            return
        sh = self.book.sheet(self.t("size"))
        sh.append([self.t("size_note")], self.subtitle)
        sh.reset_widths()
        first = self.header(sh, [self.t("variable"), self.t("node"), "id", "Pearson r", "Spearman ρ", self.t("flags")])
        for s in items:
            sh.append([s.get("variable"), self.label(str(s.get("node", ""))), s.get("node"), s.get("pearson"),
                       s.get("spearman"), self.t("size_dependent") if s.get("size_dependent") else None],
                      [self.text, self.text, self.text, self.index, self.index, self.text])
        self.finish(sh, freeze=f"A{first + 1}", header_row=first)

    def replications_sheet(self) -> None:
        reps = self.doc.get("replications") or {}
        columns, rows = list(reps.get("columns") or []), reps.get("rows") or []
        if not columns:
            return
        sh = self.book.sheet(self.t("replications"))
        self.header(sh, columns)
        room = MAX_ROWS - 2
        shown = rows[:room]
        cols: list[list[Any]] = []
        styles: list[Any] = []
        for j, name in enumerate(columns):
            col = [_cell(r[j]) if j < len(r) else None for r in shown]
            cols.append(col)
            styles.append(self.int if name in ("row",) else self.index if name.startswith(("mean_", "rank:"))
                          else self.general)
        sh.extend_columns(cols, styles)
        if len(rows) > room:
            sh.append([self.t("more_rows").format(n=len(rows) - room)], self.subtitle)
        self.finish(sh, freeze="C2", maximum=40)

    def specification_sheet(self) -> None:
        doc, st = self.doc, self.doc.get("settings") or {}
        sh = self.book.sheet(self.t("specification"))
        self.provenance(sh, f"{self.t('audit_title')} — {self.t('specification')}")
        fw, inp = doc.get("framework") or {}, doc.get("input") or {}
        pairs = [(self.t("framework"), self.name(fw.get("name"), fw.get("id", ""))),
                 (self.t("framework") + " id", fw.get("id")), (self.t("version"), fw.get("version")),
                 (self.t("framework") + " sha256", fw.get("sha256")), (self.t("input"), inp.get("file")),
                 (self.t("input") + " sha256", inp.get("sha256")), (self.t("year"), doc.get("year")),
                 (self.t("samples"), st.get("n")), (self.t("seed"), st.get("seed")), (self.t("design"), st.get("design")),
                 (self.t("replications"), st.get("replications")), (self.t("rank_from"), st.get("rank_statistics_from")),
                 (self.t("bootstrap"), st.get("bootstrap_resamples")), (self.t("confidence"), st.get("confidence")),
                 (self.t("upstream_runs"), st.get("upstream_runs")),
                 (self.t("rank_resolution"), st.get("rank_resolution")),
                 (self.t("generated_by"), f"citystd {doc.get('citystd_version', '?')}")]
        for k, v in pairs:
            sh.append([k, "—" if v is None else v], [self.key, self.general if isinstance(v, (int, float)) else self.text])
        sh.append([])
        sh.append([self.t("uncertain_inputs")], self.title, height=22)
        inputs = doc.get("uncertainty") or []
        if inputs:
            self.header(sh, [self.t("input_name"), self.t("kind"), self.t("varies")])
            for i in inputs:
                sh.append([i.get("name"), i.get("kind"), input_text(i)], [self.key, self.text, self.wrap])
        else:
            sh.append([self.t("no_inputs")], self.subtitle)
        sh.append([])
        sh.append([self.t("pipeline")], self.title, height=22)
        self.header(sh, [self.t("step"), self.t("parameters"), self.t("value")])
        for step in doc.get("pipeline") or []:
            for name, params in step.items():
                for k, v in (params or {}).items() or [("", "")]:
                    sh.append([name, k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)],
                              [self.key, self.text, self.wrap])
        failed = doc.get("failed") or []
        if failed:
            sh.append([])
            sh.append([f"{self.t('failed')} ({len(failed)})"], self.title, height=22)
            self.header(sh, ["#", self.t("reason")])
            for f in failed[:MAX_ROWS // 2]:
                sh.append([f.get("row"), f.get("reason")], [self.int, self.wrap])
        diags = doc.get("diagnostics") or []
        if diags:
            sh.append([])
            sh.append([f"{self.t('findings')} ({len(diags)})"], self.title, height=22)
            self.header(sh, [self.t("code"), self.t("severity"), self.t("message"), self.t("hint")])
            for d in diags:
                sh.append([d.get("code"), d.get("severity"), self.name(d.get("message")), self.name(d.get("hint"))],
                          [self.text, self.text, self.wrap, self.wrap])
        sh.append([])
        sh.append([self.t("replications_note")], self.subtitle)
        self.finish(sh, freeze=None, filters=False, fixed={0: 30.0, 1: 28.0, 2: 70.0, 3: 40.0})


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _cell(v: Any) -> Any:
    """A replication's parameter as a cell: numbers and text as they are, lists and maps as JSON text."""
    if v is None or (isinstance(v, (int, float, str)) and not isinstance(v, bool)):
        return v
    return json.dumps(v, ensure_ascii=False)


def _bars(colour: str) -> Any:
    return DataBarRule(start_type="num", start_value=0, end_type="max", color=colour.lstrip("#"), showValue=True)
