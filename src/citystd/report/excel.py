"""The Excel report: one workbook rendered from the results document (docs/results.md).

``render(doc, lang)`` gives the comparison of all cities — sheets Summary (ranking and its bar
chart), Domains (city × top-level node matrix with a colour scale), Indicators (long table: one
row per city, year and indicator), Gaps (distance to target and to the goalposts' best, largest
weighted gap first), Data issues and Method (framework, hashes, pipeline, effective weights).
``render(doc, lang, city=NAME)`` gives one city's profile: its scores over the years, domains,
indicators, gaps and trend.

Every sheet has a frozen header, filters, number formats (scores with 2 decimals, units in the
headers or in a unit column), ratings coloured by conditional formatting, and column widths that
fit Chinese text. Text from the data is written as text, never as a formula (see
:mod:`citystd.report.xlsxio`). The same document gives the same bytes. docs/reports.md shows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font, PatternFill

from citystd.report import labels as L
from citystd.report import summary as S
from citystd.report.xlsxio import Book, Sheet

#: Excel's row limit: longer tables end with a note pointing at the results JSON
MAX_ROWS = 1_048_576
#: header fill and text colour
HEAD_FILL, HEAD_INK = "#1F4E79", "#FFFFFF"
#: ratings whose fill is dark enough for white text
DARK_RATINGS = ("green", "red", "orange")

SCORE_FMT, SHARE_FMT, WEIGHT_FMT, INT_FMT = "0.00", "0.0%", "0.00%", "0"
#: values in their units: whole numbers with thousands separators, others with 2–4 decimals
COUNT_FMT, VALUE_FMT = "#,##0", "#,##0.00##"


def render(doc: dict[str, Any], lang: str, city: str | None = None) -> bytes:
    """The report as .xlsx bytes: all cities, or the profile of ``city``.

    Raises ``ValueError`` when ``city`` is not in the results.
    """
    report = _Report(doc, lang)
    if city is None:
        report.all_cities()
    else:
        if city not in S.cities(doc):
            raise ValueError(f"city {city!r} is not in the results")
        report.one_city(city)
    return report.book.to_bytes()


def tint(colour: str, amount: float) -> str:
    """``colour`` (``#rrggbb``) mixed with white by ``amount`` (0 = unchanged, 1 = white)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in (r, g, b))


def unit_header(text: str, unit: str, lang: str) -> str:
    """A column header with its unit: ``Score (0–100)`` / ``得分（0–100）``."""
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


class Styled:
    """A workbook with the reports' shared cell styles and sheet helpers (score and audit reports)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.book = Book()
        b = self.book
        self.head = b.style(bold=True, colour=HEAD_INK, fill=HEAD_FILL, wrap=True, vertical="center")
        self.title = b.style(bold=True, size=14)
        self.subtitle = b.style(italic=True, colour="#595959")
        self.key = b.style(bold=True, vertical="top")
        self.text = b.style(vertical="top")
        self.wrap = b.style(wrap=True, vertical="top")
        self.score = b.style(number_format=SCORE_FMT)
        self.share = b.style(number_format=SHARE_FMT)
        self.weight = b.style(number_format=WEIGHT_FMT)
        self.int = b.style(number_format=INT_FMT)
        self.general = b.style(number_format="General")
        self.value = b.style(number_format=VALUE_FMT)
        self.count = b.style(number_format=COUNT_FMT)
        self.centre = b.style(horizontal="center")
        self.year_centre = b.style(number_format=INT_FMT, horizontal="center")

    def t(self, key: str) -> str:
        return L.label(key, self.lang)

    @property
    def rank_stat(self) -> int:
        """Ranks' percentiles: whole or one decimal (registered when first used)."""
        return self.book.style(number_format="0.#")

    def header(self, sheet: Sheet, headers: Sequence[str], height: float | None = None) -> int:
        return sheet.append(list(headers), self.head, height=height)

    def finish(self, sheet: Sheet, *, freeze: str | None, header_row: int = 1, filters: bool = True,
               fixed: dict[int, float] | None = None, maximum: int = 60) -> None:
        """Column widths, frozen panes, filters on the header row, landscape pages fitted to the width."""
        sheet.fit_columns(maximum=maximum, fixed=fixed)
        if freeze:
            sheet.ws.freeze_panes = freeze
        if filters and sheet.nrows > header_row:
            sheet.ws.auto_filter.ref = sheet.ref(first_row=header_row)
        sheet.ws.print_title_rows = f"{header_row}:{header_row}"
        sheet.ws.page_setup.orientation = "landscape"
        sheet.ws.page_setup.fitToWidth = 1
        sheet.ws.page_setup.fitToHeight = 0
        sheet.ws.sheet_properties.pageSetUpPr.fitToPage = True


class _Report(Styled):
    """The workbook being built, with the document's lookups and the shared styles."""

    def __init__(self, doc: dict[str, Any], lang: str) -> None:
        super().__init__(lang)
        self.doc = doc
        self.top = S.top_nodes(doc)
        self.names = S.node_names(doc)
        self.domain_of = S.indicator_domains(doc)
        self.meta = doc["indicators"]
        self.with_years = S.has_years(doc)
        self.range = S.score_range(doc)
        self.weights = S.effective_weights(doc)

    # ------------------------------------------------------------------ small helpers

    def name(self, names: dict[str, str] | None, fallback: str = "") -> str:
        if not names:
            return fallback
        return names.get(self.lang) or names.get("en") or fallback

    def ind_name(self, ind: str) -> str:
        return self.name(self.meta.get(ind, {}).get("name"), ind)

    def unit(self, ind: str) -> str:
        u = self.meta.get(ind, {}).get("unit")
        return self.name(u) if isinstance(u, dict) else (u or "")

    def score_header(self, key: str = "score") -> str:
        rng = self.range
        return unit_header(self.t(key), f"{rng[0]:g}–{rng[1]:g}", self.lang) if rng else self.t(key)

    def rating(self, rating: str | None) -> str | None:
        return None if rating is None else L.rating_label(rating, self.lang)

    def interval_headers(self, audited: bool) -> list[str]:
        """Headers of the rank-interval columns (``citystd score --audit``), or none."""
        if not audited:
            return []
        return [f"{self.t('rank')} · {self.t('median_rank')}", f"{self.t('rank')} · 5 %", f"{self.t('rank')} · 95 %"]

    def interval_cells(self, row: dict[str, Any], audited: bool) -> list[Any]:
        if not audited:
            return []
        iv = S.rank_interval(self.doc, row) or {}
        return [iv.get("median_rank"), iv.get("q05"), iv.get("q95")]

    def rating_rules(self, sheet: Sheet, ref: str) -> None:
        """Fill each rating cell of ``ref`` with its colour (conditional formatting on the label)."""
        for key, colour in L.RATING_COLOURS.items():
            ink = "FFFFFF" if key in DARK_RATINGS else "000000"
            fill = PatternFill("solid", start_color=colour.lstrip("#"), end_color=colour.lstrip("#"))
            text = L.rating_label(key, self.lang).replace('"', '""')
            sheet.ws.conditional_formatting.add(
                ref, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill, font=Font(color=ink)))

    def colour_scale(self, sheet: Sheet, ref: str) -> None:
        """A red–yellow–green 3-colour scale over the score range (min–median–max without one)."""
        c = L.RATING_COLOURS
        red, yellow, green = (tint(c[k], 0.35).lstrip("#") for k in ("red", "yellow", "green"))
        if self.range:
            lo, hi = self.range
            rule = ColorScaleRule(start_type="num", start_value=lo, start_color=red, mid_type="num",
                                  mid_value=(lo + hi) / 2, mid_color=yellow, end_type="num", end_value=hi,
                                  end_color=green)
        else:
            rule = ColorScaleRule(start_type="min", start_color=red, mid_type="percentile", mid_value=50,
                                  mid_color=yellow, end_type="max", end_color=green)
        sheet.ws.conditional_formatting.add(ref, rule)

    def provenance_lines(self, sheet: Sheet, title: str) -> None:
        """Title, framework (id, version, hash) and input on the first rows of a sheet."""
        fw = self.doc["framework"]
        sheet.append([title], self.title, height=22)
        sheet.append([f"{self.t('framework')}: {self.name(fw.get('name'), fw['id'])} · {fw['id']} "
                      f"v{fw['version']} · sha256 {fw['sha256']}"], self.subtitle)
        inp = self.doc.get("input") or {}
        sheet.append([f"{self.t('input')}: {inp.get('file') or '—'} · sha256 {inp.get('sha256') or '—'} · "
                      f"citystd {self.doc.get('citystd_version', '?')}"], self.subtitle)

    def whole(self, rows: list[dict[str, Any]]) -> set[str]:
        """Indicators whose values are all whole numbers in ``rows`` (shown without decimals)."""
        out = set()
        for ind in self.meta:
            vals = [c["value"] for r in rows if (c := r["indicators"].get(ind)) and c["value"] is not None]
            if vals and all(float(v).is_integer() for v in vals):
                out.add(ind)
        return out

    # ------------------------------------------------------------------ the all-cities workbook

    def all_cities(self) -> None:
        rows = self.doc["results"]
        self.summary_sheet(rows)
        self.domains_sheet(rows)
        self.indicators_sheet(rows)
        self.gaps_sheet(S.latest_rows(self.doc))
        self.issues_sheet()
        self.method_sheet()

    def summary_sheet(self, rows: list[dict[str, Any]]) -> None:
        sh = self.book.sheet(self.t("summary"))
        self.provenance_lines(sh, f"{self.name(self.doc['framework'].get('name'))} — {self.t('ranking')}")
        sh.append([])
        sh.reset_widths()  # the wide title rows above overflow into empty cells: not the columns' width
        years = self.with_years
        audited = bool(self.doc.get("audit"))
        heads = [self.t("rank"), self.t("city"), *([self.t("year")] if years else []), self.score_header(),
                 self.t("rating"), unit_header(self.t("coverage"), "%", self.lang), *self.interval_headers(audited)]
        first = self.header(sh, heads, height=30)
        styles = [self.int, self.text, *([self.int] if years else []), self.score, self.centre, self.share,
                  *([self.rank_stat] * 3 if audited else [])]
        for r in rows:
            sh.append([r["rank"], r["city"], *([r["year"]] if years else []), r["score"], self.rating(r["rating"]),
                       S.coverage_value(r["coverage"]), *self.interval_cells(r, audited)], styles)
        rating_col = 4 if years else 3
        if rows:
            self.rating_rules(sh, sh.ref(first + 1, sh.nrows, rating_col, rating_col))
        self.finish(sh, freeze=f"C{first + 1}", header_row=first)
        self.ranking_chart(sh, rows, first, score_col=rating_col - 1, anchor_col=len(heads) + 1)

    def ranking_chart(self, sh: Sheet, rows: list[dict[str, Any]], first: int, score_col: int,
                      anchor_col: int) -> None:
        """Horizontal bars of the latest year's scores, best at the top, coloured by rating."""
        if not rows:
            return
        last_year = rows[-1]["year"]
        block = [k for k, r in enumerate(rows) if r["year"] == last_year and r["score"] is not None]
        if not block:
            return
        lo_row, hi_row = first + 1 + block[0], first + 1 + block[-1]
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        title = self.t("ranking") + (f" {last_year}" if last_year is not None else "")
        chart.title = title
        chart.legend = None
        data = Reference(sh.ws, min_col=score_col + 1, min_row=lo_row, max_row=hi_row)
        cats = Reference(sh.ws, min_col=2, min_row=lo_row, max_row=hi_row)
        chart.add_data(data, titles_from_data=False)
        chart.set_categories(cats)
        series = chart.series[0]
        series.graphicalProperties = GraphicalProperties(solidFill="4472C4")
        for k, idx in enumerate(block):
            colour = L.RATING_COLOURS.get(rows[idx]["rating"] or "")
            if colour:
                pt = DataPoint(idx=k)
                pt.graphicalProperties = GraphicalProperties(solidFill=colour.lstrip("#"))
                series.dPt.append(pt)
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.majorGridlines = None
        if self.range:
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = self.range
        chart.y_axis.number_format = "0"
        chart.gapWidth = 40
        chart.width = 18
        chart.height = min(max(7.5, 0.45 * len(block) + 2.5), 200)
        sh.ws.add_chart(chart, f"{sh._letter(anchor_col)}{first}")

    def domains_sheet(self, rows: list[dict[str, Any]]) -> None:
        sh = self.book.sheet(self.t("domains"))
        years = self.with_years
        heads = [self.t("city"), *([self.t("year")] if years else []), self.score_header("overall"),
                 *[self.name(name, nid) for nid, name in self.top]]
        self.header(sh, heads, height=48)
        lead = 2 if years else 1
        styles = [self.text, *([self.int] if years else []), *[self.score] * (1 + len(self.top))]
        for r in rows:
            sh.append([r["city"], *([r["year"]] if years else []), r["score"],
                       *[r["nodes"].get(nid, {}).get("score") for nid, _ in self.top]], styles)
        if rows:
            self.colour_scale(sh, sh.ref(2, sh.nrows, lead, lead + len(self.top)))
        widths = {j: 14.0 for j in range(lead, lead + 1 + len(self.top))}
        self.finish(sh, freeze=f"{sh._letter(lead)}2", fixed=widths)

    def indicator_table(self, sh: Sheet, rows: list[dict[str, Any]], with_city: bool = True) -> None:
        """Long format: one row per city (and year) and indicator, in tree order."""
        years = self.with_years
        heads = [*([self.t("city")] if with_city else []), *([self.t("year")] if years else []),
                 self.t("domain"), self.t("indicator_id"), self.t("indicator"), self.t("unit"), self.t("direction"),
                 self.t("value"), self.score_header(), self.t("rank"), self.t("rating")]
        self.header(sh, heads, height=30)
        order = [i for i in self.domain_of if i in self.meta] + [i for i in self.meta if i not in self.domain_of]
        fixed = []
        for ind in order:
            dom = self.domain_of.get(ind)
            m = self.meta[ind]
            fixed.append((ind, self.name(self.names.get(dom), dom or "—"), self.ind_name(ind), self.unit(ind),
                          L.direction_label(m["direction"], self.lang) if m.get("direction") else None))
        whole = self.whole(rows)
        cells = [(r, f, c) for r in rows for f in fixed if (c := r["indicators"].get(f[0])) is not None]
        room = MAX_ROWS - sh.nrows - 1
        left_out = max(len(cells) - room, 0)
        cells = cells[:room] if left_out else cells
        rating = {k: self.rating(k) for k in (*L.RATING_COLOURS, None)}
        cols: list[list[Any]] = []
        styles: list[Any] = []
        if with_city:
            cols.append([r["city"] for r, _, _ in cells])
            styles.append(self.text)
        if years:
            cols.append([r["year"] for r, _, _ in cells])
            styles.append(self.int)
        for k in (1, 0, 2, 3, 4):  # domain, id, name, unit, direction
            cols.append([f[k] for _, f, _ in cells])
            styles.append(self.text)
        cols.append([c["value"] for _, _, c in cells])
        styles.append([self.count if f[0] in whole else self.value for _, f, _ in cells])
        cols.append([c["score"] for _, _, c in cells])
        styles.append(self.score)
        cols.append([c["rank"] for _, _, c in cells])
        styles.append(self.int)
        cols.append([rating.get(c["rating"], c["rating"]) for _, _, c in cells])
        styles.append(self.centre)
        sh.extend_columns(cols, styles)
        if left_out:
            sh.append([self.t("more_rows").format(n=left_out)], self.subtitle)
        rating_col = len(heads) - 1
        if sh.nrows > 1:
            self.rating_rules(sh, sh.ref(2, sh.nrows, rating_col, rating_col))
        self.finish(sh, freeze=f"{sh._letter(1 if with_city else 0)}2", maximum=50)

    def indicators_sheet(self, rows: list[dict[str, Any]]) -> None:
        self.indicator_table(self.book.sheet(self.t("indicators")), rows)

    def gaps_sheet(self, rows: list[dict[str, Any]], with_city: bool = True) -> None:
        sh = self.book.sheet(self.t("gaps"))
        years = self.with_years
        heads = [*([self.t("city")] if with_city else []), *([self.t("year")] if years else []),
                 self.t("domain"), self.t("indicator"), self.t("unit"), self.t("value"), self.t("target"),
                 self.t("target_year"), self.t("gap_target"), unit_header(self.t("best"), self.t("goalposts"), self.lang),
                 self.t("gap_best"), self.score_header(), self.t("effective_weight"), self.t("weighted_gap")]
        self.header(sh, heads, height=45)
        whole = self.whole(rows)
        gaps = S.gap_rows(self.doc, rows)
        room = MAX_ROWS - sh.nrows - 1
        left_out = max(len(gaps) - room, 0)
        gaps = gaps[:room] if left_out else gaps
        names = {ind: (self.name(self.names.get(self.domain_of.get(ind)), self.domain_of.get(ind) or "—"),
                       self.ind_name(ind), self.unit(ind)) for ind in self.meta}
        fallback = ("—", "", "")
        fmt = [self.count if g["indicator"] in whole else self.value for g in gaps]
        cols: list[list[Any]] = []
        styles: list[Any] = []
        if with_city:
            cols.append([g["city"] for g in gaps])
            styles.append(self.text)
        if years:
            cols.append([g["year"] for g in gaps])
            styles.append(self.int)
        for k in range(3):
            cols.append([names.get(g["indicator"], fallback)[k] or g["indicator"] for g in gaps])
            styles.append(self.text)
        keys = ("value", "target", "target_year", "gap_target", "best", "gap_best", "score", "weight", "weighted_gap")
        cols += [list(c) for c in zip(*map(itemgetter(*keys), gaps), strict=True)] if gaps else [[] for _ in keys]
        special = {"target_year": self.int, "score": self.score, "weight": self.weight, "weighted_gap": self.score}
        styles += [special.get(key, fmt) for key in keys]
        sh.extend_columns(cols, styles)
        if left_out:
            sh.append([self.t("more_rows").format(n=left_out)], self.subtitle)
        if sh.nrows > 1:
            col = len(heads) - 1
            sh.ws.conditional_formatting.add(sh.ref(2, sh.nrows, col, col), _bar_rule())
        self.finish(sh, freeze=f"{sh._letter(1 if with_city else 0)}2", maximum=50)

    def issues_sheet(self) -> None:
        sh = self.book.sheet(self.t("issues"))
        heads = [self.t("code"), self.t("severity"), self.t("rule"), self.t("file"), self.t("sheet"),
                 self.t("cell"), self.t("line"), self.t("column"), self.t("message"), self.t("hint")]
        self.header(sh, heads)
        issues = self.doc.get("issues") or []
        styles = [self.text, self.text, self.text, self.text, self.text, self.text, self.int, self.int,
                  self.wrap, self.wrap]
        for issue in issues:
            sev = issue.get("severity")
            sh.append([issue.get("code"), self.t(sev) if sev in L.LABELS else sev, issue.get("rule"),
                       issue.get("file"), issue.get("sheet"), issue.get("cell"), issue.get("line"),
                       issue.get("col"), issue.get("message"), issue.get("hint")], styles)
        if not issues:
            sh.append([self.t("no_issues")], self.subtitle)
        else:
            red = tint(L.RATING_COLOURS["red"], 0.7).lstrip("#")
            yellow = tint(L.RATING_COLOURS["yellow"], 0.6).lstrip("#")
            for key, colour in (("error", red), ("warning", yellow)):
                text = self.t(key).replace('"', '""')
                sh.ws.conditional_formatting.add(sh.ref(2, sh.nrows, 1, 1), CellIsRule(
                    operator="equal", formula=[f'"{text}"'],
                    fill=PatternFill("solid", start_color=colour, end_color=colour)))
        self.finish(sh, freeze="A2", filters=bool(issues), fixed={8: 70.0, 9: 50.0})

    def method_sheet(self) -> None:
        doc = self.doc
        sh = self.book.sheet(self.t("method"))
        sh.append([self.t("method")], self.title, height=22)
        fw, inp = doc["framework"], doc.get("input") or {}
        pairs = [
            (self.t("framework"), self.name(fw.get("name"), fw["id"])),
            (self.t("framework") + " id", fw["id"]),
            (self.t("version"), str(fw["version"])),
            (self.t("framework") + " sha256", fw["sha256"]),
            (self.t("input"), inp.get("file")),
            (self.t("sheet"), inp.get("sheet")),
            (self.t("layout"), inp.get("layout")),
            (self.t("input") + " sha256", inp.get("sha256")),
            (self.t("generated_by"), f"citystd {doc.get('citystd_version', '?')}"),
            (self.t("cities"), str(len(S.cities(doc)))),
            (self.t("indicators"), str(len(self.meta))),
        ]
        if self.with_years:
            ys = S.years(doc)
            pairs.append((self.t("year"), f"{ys[0]}–{ys[-1]}" if len(ys) > 1 else str(ys[0])))
        for k, v in pairs:
            sh.append([k, v], [self.key, self.text])
        sh.append([])
        sh.append([self.t("pipeline")], self.title, height=22)
        head = self.header(sh, [self.t("step"), self.t("parameters"), self.t("value")])
        for step in doc.get("pipeline", []):
            for name, params in step.items():
                items = [(k, v) for k, v in (params or {}).items() if k != "effective"] or [("", "")]
                for k, v in items:
                    sh.append([name, k, _param_text(v)], [self.key, self.text, self.wrap])
                if params and "effective" in params:
                    sh.append([name, "effective", self.t("weights_below")], [self.key, self.text, self.wrap])
        del head
        sh.append([])
        sh.append([self.t("effective_weight")], self.title, height=22)
        self.header(sh, [self.t("indicator_id"), self.t("indicator"), self.t("domain"),
                         unit_header(self.t("effective_weight"), "%", self.lang)])
        for ind in self.meta:
            dom = self.domain_of.get(ind)
            sh.append([ind, self.ind_name(ind), self.name(self.names.get(dom), dom or "—"), self.weights.get(ind)],
                      [self.text, self.text, self.text, self.weight])
        dropped = doc.get("dropped") or []
        if dropped:
            sh.append([])
            sh.append([self.t("dropped")], self.title, height=22)
            self.header(sh, [self.t("city"), self.t("year"), unit_header(self.t("coverage"), "%", self.lang),
                             self.t("reason")])
            for d in dropped:
                reason = d.get("reason")
                sh.append([d.get("city"), d.get("year"), S.coverage_value(d.get("coverage")),
                           self.name(reason) if isinstance(reason, dict) else reason],
                          [self.text, self.int, self.share, self.wrap])
        records = doc.get("records") or []
        sh.append([])
        sh.append([self.t("records"), len(records)], [self.key, self.int])
        self.finish(sh, freeze=None, filters=False, fixed={0: 28.0, 1: 48.0, 2: 60.0, 3: 16.0})

    # ------------------------------------------------------------------ the one-city workbook

    def one_city(self, city: str) -> None:
        mine = S.city_rows(self.doc, city)
        latest = S.latest_rows(self.doc)
        row = next(r for r in latest if r["city"] == city)
        self.profile_sheet(city, mine, row)
        if len(mine) > 1:
            self.trend_sheet(city, mine)
        self.indicator_table(self.book.sheet(self.t("indicators")), mine, with_city=False)
        self.gaps_sheet([row], with_city=False)
        self.issues_sheet()
        self.method_sheet()

    def ranked_in(self, year: int | None) -> int:
        return sum(1 for r in self.doc["results"] if r["year"] == year and r["rank"] is not None)

    def profile_sheet(self, city: str, mine: list[dict[str, Any]], row: dict[str, Any]) -> None:
        sh = self.book.sheet(self.t("profile"))
        self.provenance_lines(sh, f"{city} — {self.t('profile')}")
        sh.append([])
        sh.reset_widths()
        years = self.with_years
        audited = bool(self.doc.get("audit"))
        heads = [*([self.t("year")] if years else []), self.score_header("overall"), self.t("rank"),
                 self.t("cities"), self.t("rating"), unit_header(self.t("coverage"), "%", self.lang),
                 *self.interval_headers(audited)]
        first = self.header(sh, heads, height=30)
        styles = [*([self.year_centre] if years else []), self.score, self.int, self.int, self.centre, self.share,
                  *([self.rank_stat] * 3 if audited else [])]
        for r in mine:
            sh.append([*([r["year"]] if years else []), r["score"], r["rank"], self.ranked_in(r["year"]),
                       self.rating(r["rating"]), S.coverage_value(r["coverage"]), *self.interval_cells(r, audited)],
                      styles)
        rating_col = (3 if years else 2) + 1
        self.rating_rules(sh, sh.ref(first + 1, sh.nrows, rating_col, rating_col))
        sh.append([])
        label = self.t("domains") + (f" {row['year']}" if row["year"] is not None else "")
        sh.append([label], self.key)
        dom_first = self.header(sh, [self.t("domain"), self.score_header(), self.t("rank"), self.t("rating"),
                                     unit_header(self.t("coverage"), "%", self.lang)], height=30)
        for nid, name in self.top:
            n = row["nodes"].get(nid, {})
            sh.append([self.name(name, nid), n.get("score"), n.get("rank"), self.rating(n.get("rating")),
                       S.coverage_value(n.get("coverage"))], [self.text, self.score, self.int, self.centre, self.share])
        dom_last = sh.nrows
        if self.top:
            self.rating_rules(sh, sh.ref(dom_first + 1, dom_last, 3, 3))
            self.colour_scale(sh, sh.ref(dom_first + 1, dom_last, 1, 1))
        strong, weak = S.strengths_weaknesses(self.doc, row, 3, self.weights)
        sh.append([])
        sh.append([self.t("strengths_note")], self.subtitle)
        for key, items in (("strengths", strong), ("weaknesses", weak)):
            sh.append([self.t(key)], self.key)
            self.header(sh, [self.t("indicator"), self.score_header(), unit_header(self.t("effective_weight"), "%",
                                                                                  self.lang), self.t("points")])
            for ind, score, weight, points in items:
                sh.append([self.ind_name(ind), score, weight, points], [self.text, self.score, self.weight, self.score])
        self.finish(sh, freeze=None, header_row=first, filters=False)
        if self.top:
            chart = BarChart()
            chart.type = "bar"
            chart.style = 10
            chart.title = label
            chart.legend = None
            chart.add_data(Reference(sh.ws, min_col=2, min_row=dom_first + 1, max_row=dom_last), titles_from_data=False)
            chart.set_categories(Reference(sh.ws, min_col=1, min_row=dom_first + 1, max_row=dom_last))
            chart.series[0].graphicalProperties = GraphicalProperties(solidFill="4472C4")
            chart.x_axis.scaling.orientation = "maxMin"
            chart.x_axis.delete = False
            chart.y_axis.delete = False
            if self.range:
                chart.y_axis.scaling.min, chart.y_axis.scaling.max = self.range
            chart.y_axis.number_format = "0"
            chart.gapWidth = 40
            chart.width, chart.height = 18, max(7.5, 0.6 * len(self.top) + 2.5)
            sh.ws.add_chart(chart, f"H{first}")

    def trend_sheet(self, city: str, mine: list[dict[str, Any]]) -> None:
        sh = self.book.sheet(self.t("trends"))
        heads = [self.t("year"), self.score_header("overall"), *[self.name(name, nid) for nid, name in self.top]]
        self.header(sh, heads, height=48)
        for r in mine:
            sh.append([r["year"], r["score"], *[r["nodes"].get(nid, {}).get("score") for nid, _ in self.top]],
                      [self.int, *[self.score] * (1 + len(self.top))])
        self.colour_scale(sh, sh.ref(2, sh.nrows, 1, len(self.top) + 1))
        self.finish(sh, freeze="B2", filters=False, fixed={j: 14.0 for j in range(1, len(heads))})
        chart = LineChart()
        chart.title = f"{city} — {self.t('overall_over_years')}"
        chart.add_data(Reference(sh.ws, min_col=2, max_col=len(heads), min_row=1, max_row=sh.nrows),
                       titles_from_data=True)
        chart.set_categories(Reference(sh.ws, min_col=1, min_row=2, max_row=sh.nrows))
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.x_axis.number_format = "0"
        chart.y_axis.number_format = "0"
        if self.range:
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = self.range
        chart.width, chart.height = 24, 12
        if chart.series:
            chart.series[0].graphicalProperties.line.width = 38100  # the overall score: 3 pt
        sh.ws.add_chart(chart, f"A{sh.nrows + 3}")
        self.indicator_trends_sheet(city)

    def indicator_trends_sheet(self, city: str) -> None:
        """The city's trend per indicator: CAGR, slope, progress to target, on-track status."""
        trends = [t for t in self.doc.get("trends") or [] if t.get("city") == city]
        if not trends:
            return
        sh = self.book.sheet(self.t("indicator_trends"))
        self.header(sh, [self.t("domain"), self.t("indicator"), self.t("unit"),
                         unit_header(self.t("cagr"), "%", self.lang), unit_header(self.t("slope"), self.t("unit"),
                                                                                   self.lang),
                         unit_header(self.t("progress"), "%", self.lang), self.t("status")], height=30)
        order = {ind: k for k, ind in enumerate(self.domain_of)}
        for t in sorted(trends, key=lambda t: (order.get(t["indicator"], len(order)), t["indicator"])):
            ind, status = t["indicator"], t.get("status")
            dom = self.domain_of.get(ind)
            sh.append([self.name(self.names.get(dom), dom or "—"), self.ind_name(ind), self.unit(ind), t.get("cagr"),
                       t.get("slope"), t.get("progress"), self.t(status) if status in L.LABELS else status],
                      [self.text, self.text, self.text, self.weight, self.value, self.share, self.text])
        self.finish(sh, freeze="C2", maximum=50)


def _bar_rule() -> Any:
    from openpyxl.formatting.rule import DataBarRule

    colour = tint(L.RATING_COLOURS["red"], 0.45).lstrip("#")
    return DataBarRule(start_type="num", start_value=0, end_type="max", color=colour, showValue=True)


def _param_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
