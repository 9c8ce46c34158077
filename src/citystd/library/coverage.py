"""Coverage of an indicator library: what it holds, by domain, source standard and framework.

:func:`coverage` turns a :class:`~citystd.library.load.Library` (and, optionally, the rows of the
reference map that says what became of every row of the source table) into a list of
:class:`Table` objects; :func:`to_markdown` and :func:`to_json` render them. Nothing here reads
or writes files except the two small readers :func:`read_reference_map` and
:func:`read_reference_table`, which the command line calls; the computation itself is pure, so
``docs/library.md`` can be regenerated and compared with a fresh run in a test.

A *reference map* is a directory of CSV files, one per domain (``<domain>.csv``), with the columns
``row, status, indicator, reason``: ``row`` is the 1-based data row of the reference table,
``status`` is ``included`` (the row became the indicator), ``merged`` (the row is the same
measurement as another row's indicator) or ``excluded`` (left out, ``reason`` says why).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citystd.library.load import Library
from citystd.library.rules import iter_leaves, iter_nodes

STATUSES = ("included", "merged", "excluded")

#: Markers around the generated part of a Markdown page (``docs/library.md``).
START_MARKER = "<!-- coverage:start -->"
END_MARKER = "<!-- coverage:end -->"

#: Size of a source standard where it is known for certain, keyed by the ``standard`` text the
#: built-in library uses: ISO 37120:2014 has 100 indicators (46 core, 54 supporting); ISO 37120:2018
#: 104 (World Council on City Data, 2024); the MOHURD city-checkup basic system 61; SDG 11 has 15
#: indicators in the current UN list (11.c.1 deleted in 2020, 11.5.3 split off 11.5.2); the 2016
#: smart-city evaluation 54 sub-items (8 first-level, 21 second-level indicators).
PUBLISHED_SIZE: dict[str, int] = {
    "ISO 37120:2014": 100,
    "ISO 37120:2018": 104,
    "MOHURD 城市体检 2024": 61,
    "SDG 11": 15,
    "新型智慧城市评价指标 2016": 54,
}


@dataclass(frozen=True)
class MapRow:
    """One row of the reference map: what became of one row of the reference table."""

    domain: str
    row: int
    status: str
    indicator: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReferenceRow:
    """The identifying columns of one row of the reference table."""

    row: int
    source: str
    clause: str
    name_en: str
    name_zh: str

    def name(self, lang: str) -> str:
        if lang == "zh":
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Table:
    """A titled table; ``rows`` are mappings from column key to a text or a number."""

    id: str
    title_zh: str
    title_en: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def note(self, lang: str) -> str:
        return self.note_zh if lang == "zh" else self.note_en


# ---------------------------------------------------------------- readers (the only file access)

def read_reference_map(directory: Path) -> list[MapRow]:
    """Every ``<domain>.csv`` of a reference-map directory, in file-name order.

    Raises a :class:`~citystd.diagnostics.CitystdError` (U901) for a missing directory, a file
    without the four columns, a row number that is not a number or an unknown status.
    """
    from citystd.diagnostics import error

    directory = Path(directory)
    if not directory.is_dir():
        raise error("U901", f"no such reference-map directory: {directory}", f"参照映射目录不存在：{directory}",
                    exit_code=2)
    out: list[MapRow] = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"row", "status", "indicator", "reason"} - set(reader.fieldnames or [])
            if missing:
                raise error("U901", f"{path}: missing column(s) {', '.join(sorted(missing))}",
                            f"{path}：缺少列 {', '.join(sorted(missing))}", exit_code=2)
            for line, rec in enumerate(reader, start=2):
                status = (rec["status"] or "").strip()
                try:
                    row = int(rec["row"])
                except (TypeError, ValueError):
                    raise error("U901", f"{path}:{line}: row '{rec['row']}' is not a number",
                                f"{path}:{line}：行号 '{rec['row']}' 不是数字", exit_code=2) from None
                if status not in STATUSES:
                    raise error("U901", f"{path}:{line}: status '{status}' is not one of {', '.join(STATUSES)}",
                                f"{path}:{line}：状态 '{status}' 不是 {', '.join(STATUSES)} 之一", exit_code=2)
                out.append(MapRow(path.stem, row, status, (rec["indicator"] or "").strip() or None,
                                  (rec["reason"] or "").strip() or None))
    return out


def read_reference_table(path: Path) -> dict[int, ReferenceRow]:
    """The reference table (``indicators_reference.csv``): data row number (1-based) → its identity."""
    from citystd.diagnostics import error

    try:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            return {n: ReferenceRow(n, rec.get("source") or "", rec.get("clause") or "",
                                    rec.get("name_en") or "", rec.get("name_zh") or "")
                    for n, rec in enumerate(reader, start=1)}
    except OSError as exc:
        raise error("U901", f"cannot read the reference table {path}: {exc.strerror}",
                    f"无法读取参照表 {path}：{exc.strerror}", exit_code=2) from None


# ---------------------------------------------------------------- the tables

def _pct(n: int, total: int) -> str:
    return f"{n / total * 100:.0f}%" if total else "—"


def _verified(ind: Any) -> str:
    """``yes`` when at least one source is verified, else ``partial`` when one is partial, else ``unverified``."""
    flags = {s.verified for s in ind.sources}
    if "yes" in flags:
        return "yes"
    if "partial" in flags:
        return "partial"
    return "unverified"


def _counts(inds: list[Any]) -> dict[str, int]:
    return {
        "indicators": len(inds),
        "formula": sum(i.formula is not None for i in inds),
        "goalposts": sum(i.goalposts is not None for i in inds),
        "thresholds": sum(i.thresholds is not None for i in inds),
        "target": sum(i.target is not None for i in inds),
        "verified": sum(_verified(i) == "yes" for i in inds),
        "partial": sum(_verified(i) == "partial" for i in inds),
        "unverified": sum(_verified(i) == "unverified" for i in inds),
    }


_COUNT_COLUMNS = [
    Column("indicators", "指标", "indicators"),
    Column("formula", "有公式", "formula"),
    Column("goalposts", "有目标值区间", "goalposts"),
    Column("thresholds", "有评级阈值", "thresholds"),
    Column("target", "有目标", "target"),
    Column("verified", "来源已核实", "verified source"),
    Column("partial", "部分核实", "partly verified"),
    Column("unverified", "未核实", "unverified"),
]


def summary_table(lib: Library) -> Table:
    inds = list(lib.indicators.values())
    n = len(inds)
    c = _counts(inds)
    tags = Counter(t for i in inds for t in i.tags)
    rows: list[tuple[str, str, str, int, bool]] = [
        ("indicators", "指标", "indicators", n, False),
        ("domains", "领域", "domains", len(lib.domains), False),
        ("variables", "变量", "variables", len(lib.variables), False),
        ("frameworks", "评价框架", "frameworks", len(lib.frameworks), False),
        ("formula", "有计算公式的指标", "indicators with a formula", c["formula"], True),
        ("goalposts", "有目标值区间（goalposts）的指标", "indicators with goalposts", c["goalposts"], True),
        ("thresholds", "有评级阈值的指标", "indicators with thresholds", c["thresholds"], True),
        ("target", "有国家或国际目标的指标", "indicators with a national or international target", c["target"], True),
        ("verified", "至少一个来源已核实（verified: yes）的指标", "indicators with a verified source (verified: yes)",
         c["verified"], True),
        ("partial", "来源仅部分核实的指标", "indicators whose sources are at best partly verified", c["partial"], True),
        ("unverified", "来源未核实的指标", "indicators with unverified sources only", c["unverified"], True),
        ("contested", "方向有争议的指标（contested-direction）", "indicators with a contested direction",
         tags.get("contested-direction", 0), True),
        ("proposal", "citystd 提议的指标（citystd-proposal）", "citystd proposals (citystd-proposal)",
         tags.get("citystd-proposal", 0), True),
        ("context", "背景指标（context：展示、不计分）", "context indicators (context: shown, never scored)",
         sum(i.context for i in inds), True),
        ("provisional", "目标值区间为暂定值的指标（provisional-bounds）",
         "indicators with provisional goalposts (provisional-bounds)", tags.get("provisional-bounds", 0), True),
        ("in_framework", "至少属于一个框架的指标", "indicators used by at least one framework",
         len(_framework_members(lib)), True),
    ]
    return Table(
        "summary", "总体", "Summary",
        [Column("what", "项目", "what"), Column("count", "数量", "count"), Column("share", "占指标比例", "share")],
        [{"key": key, "what": (zh, en), "count": count, "share": _pct(count, n) if share else ""}
         for key, zh, en, count, share in rows],
    )


def _framework_members(lib: Library) -> set[str]:
    return {leaf.indicator for fw in lib.frameworks.values() for leaf in iter_leaves(fw.tree)}


def domain_table(lib: Library) -> Table:
    rows: list[dict[str, Any]] = []
    known = list(lib.domains)
    extra = sorted({i.domain for i in lib.indicators.values()} - set(known))
    for did in [*known, *extra]:
        inds = [i for i in lib.indicators.values() if i.domain == did]
        dom = lib.domains.get(did)
        rows.append({"domain": did, "name": (dom.name.zh, dom.name.en) if dom else ("", ""), **_counts(inds)})
    rows.append({"domain": ("合计", "total"), "name": ("", ""), **_counts(list(lib.indicators.values()))})
    return Table("domains", "按领域", "By domain",
                 [Column("domain", "领域", "domain"), Column("name", "名称", "name"), *_COUNT_COLUMNS], rows,
                 "“来源已核实”：至少一个来源标为 verified: yes；“部分核实”：最好的来源为 partial；“未核实”：其余。",
                 "verified source: at least one source marked `verified: yes`; partly verified: the best source is "
                 "`partial`; unverified: the rest.")


def standard_table(lib: Library) -> Table:
    inds: dict[str, set[str]] = {}
    clauses: dict[str, set[str]] = {}
    flags: dict[str, Counter[str]] = {}
    for ind in lib.indicators.values():
        for s in ind.sources:
            inds.setdefault(s.standard, set()).add(ind.id)
            if s.clause:
                clauses.setdefault(s.standard, set()).add(s.clause)
            flags.setdefault(s.standard, Counter())[s.verified or "unverified"] += 1
    order = sorted(inds, key=lambda k: (-len(inds[k]), k))
    rows = [{
        "standard": std,
        "indicators": len(inds[std]),
        "clauses": len(clauses.get(std, ())),
        "published": PUBLISHED_SIZE.get(std, ""),
        "yes": flags[std]["yes"],
        "partial": flags[std]["partial"],
        "unverified": flags[std]["unverified"],
    } for std in order]
    return Table(
        "standards", "按来源标准", "By source standard",
        [Column("standard", "来源标准", "standard"), Column("indicators", "指标", "indicators"),
         Column("clauses", "不同条款", "distinct clauses"), Column("published", "标准所含", "in the standard"),
         Column("yes", "已核实", "verified"), Column("partial", "部分核实", "partial"),
         Column("unverified", "未核实", "unverified")],
        rows,
        "一个指标可引用多个标准。“标准所含”只列出确知的规模；核实状态按每条引用计。",
        "An indicator may cite several standards. 'in the standard' is given only where the size is known for "
        "certain; verification is counted per citation.",
    )


def tag_table(lib: Library) -> Table:
    tags = Counter(t for i in lib.indicators.values() for t in i.tags)
    rows = [{"tag": t, "indicators": n} for t, n in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Table("tags", "按标签", "By tag", [Column("tag", "标签", "tag"), Column("indicators", "指标", "indicators")],
                 rows)


def framework_table(lib: Library) -> Table:
    from citystd.library.models import Node
    from citystd.library.pipeline import step_name

    rows = []
    for fid in sorted(lib.frameworks):
        fw = lib.frameworks[fid]
        leaves = list(iter_leaves(fw.tree))
        nodes = [n for n, _ in iter_nodes(fw.tree) if isinstance(n, Node)]
        context = sum(bool(lib.indicators.get(leaf.indicator) and lib.indicators[leaf.indicator].context)
                      for leaf in leaves)
        ed = fw.edition
        rows.append({
            "framework": fid, "version": fw.version, "name": (fw.name.zh, fw.name.en),
            "edition": f"{ed.standard} ({ed.verified or 'unverified'})" if ed else "—",
            "indicators": len(leaves), "context": context, "top": len(fw.tree), "nodes": len(nodes),
            "pipeline": " → ".join(step_name(s) for s in fw.pipeline) or "—",
        })
    return Table(
        "frameworks", "评价框架", "Frameworks",
        [Column("framework", "框架", "framework"), Column("version", "版本", "version"), Column("name", "名称", "name"),
         Column("edition", "所依据的版本（核实程度）", "edition (verified)"),
         Column("indicators", "指标", "indicators"), Column("context", "其中背景指标", "of which context"),
         Column("top", "一级节点", "top-level nodes"), Column("nodes", "节点总数", "nodes"),
         Column("pipeline", "流程", "pipeline")],
        rows,
        "背景指标（context）展示数值但不计分。“所依据的版本”取自框架的 edition 字段。",
        "Context indicators are shown with their values but never scored. The edition is the framework's `edition` "
        "field.",
    )


def reference_table(lib: Library, mapping: list[MapRow]) -> Table:
    by_domain: dict[str, Counter[str]] = {}
    for m in mapping:
        by_domain.setdefault(m.domain, Counter())[m.status] += 1
    order = [d for d in lib.domains if d in by_domain] + sorted(set(by_domain) - set(lib.domains))
    rows = [{"domain": d, "rows": sum(by_domain[d].values()), **{s: by_domain[d][s] for s in STATUSES}}
            for d in order]
    total = Counter(m.status for m in mapping)
    rows.append({"domain": ("合计", "total"), "rows": len(mapping), **{s: total[s] for s in STATUSES}})
    return Table(
        "reference", "参照表各行的去向", "What became of the reference rows",
        [Column("domain", "领域", "domain"), Column("rows", "行数", "rows"), Column("included", "收录", "included"),
         Column("merged", "合并", "merged"), Column("excluded", "未收录", "excluded")],
        rows,
        "收录：该行成为一个指标；合并：与另一行是同一测度，并入该行的指标（来源同列）；未收录：原因见下表。",
        "included: the row became an indicator; merged: the same measurement as another row, whose indicator "
        "cites both sources; excluded: left out, for the reason listed below.",
    )


def excluded_table(mapping: list[MapRow], reference: dict[int, ReferenceRow] | None = None) -> Table:
    columns = [Column("row", "行", "row"), Column("domain", "领域", "domain")]
    if reference is not None:
        columns += [Column("source", "来源", "source"), Column("clause", "条款", "clause"),
                    Column("item", "条目", "item")]
    columns.append(Column("reason", "未收录原因", "reason"))
    rows = []
    for m in sorted((m for m in mapping if m.status == "excluded"), key=lambda m: m.row):
        row: dict[str, Any] = {"row": m.row, "domain": m.domain, "reason": m.reason or ""}
        if reference is not None:
            ref = reference.get(m.row)
            row.update({"source": ref.source if ref else "", "clause": ref.clause if ref else "",
                        "item": (_short(ref.name_zh), _short(ref.name_en)) if ref else ("", "")})
        rows.append(row)
    return Table("excluded", "未收录的参照表条目", "Reference rows left out", columns, rows,
                 "行号为参照表的数据行号（从 1 起，不含表头）。",
                 "Row numbers are the reference table's data rows (from 1, header not counted).")


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def coverage(lib: Library, mapping: list[MapRow] | None = None,
             reference: dict[int, ReferenceRow] | None = None) -> list[Table]:
    """All coverage tables of a library; the reference tables only when ``mapping`` is given."""
    tables = [summary_table(lib), domain_table(lib), standard_table(lib), tag_table(lib), framework_table(lib)]
    if mapping is not None:
        tables += [reference_table(lib, mapping), excluded_table(mapping, reference)]
    return tables


# ---------------------------------------------------------------- rendering

def _cell(value: Any, lang: str) -> Any:
    """A cell in one language: (zh, en) pairs are picked, the rest kept."""
    if isinstance(value, tuple):
        zh, en = value
        return (zh or en) if lang == "zh" else (en or zh)
    return value


def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def to_markdown(tables: list[Table], lang: str = "en") -> str:
    """The tables as Markdown: a level-3 heading, an optional note and a pipe table each."""
    parts: list[str] = []
    for t in tables:
        parts.append(f"### {t.title(lang)}\n")
        if t.note(lang):
            parts.append(f"{t.note(lang)}\n")
        keys = [c.key for c in t.columns]
        lines = ["| " + " | ".join(_md(c.get(lang)) for c in t.columns) + " |",
                 "|" + "|".join("---:" if _numeric(t, k) else "---" for k in keys) + "|"]
        lines += ["| " + " | ".join(_md(_cell(r.get(k, ""), lang)) for k in keys) + " |" for r in t.rows]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _numeric(table: Table, key: str) -> bool:
    values = [r.get(key) for r in table.rows if r.get(key) not in ("", None)]
    return bool(values) and all(isinstance(v, int) for v in values)


def to_json(tables: list[Table], lang: str = "en") -> dict[str, Any]:
    """The tables as a JSON-ready mapping: table id → title, column headers and rows (keyed by column)."""
    return {t.id: {"title": t.title(lang), "columns": {c.key: c.get(lang) for c in t.columns},
                   "rows": [{k: _cell(v, lang) for k, v in r.items()} for r in t.rows]}
            for t in tables}


def replace_section(page: str, generated: str) -> str | None:
    """``page`` with the text between :data:`START_MARKER` and :data:`END_MARKER` replaced, or None
    when the page lacks the markers (in that order)."""
    start = page.find(START_MARKER)
    end = page.find(END_MARKER, start + len(START_MARKER)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    body = generated if generated.endswith("\n") else generated + "\n"
    return page[: start + len(START_MARKER)] + "\n\n" + body + "\n" + page[end:]


def section(page: str) -> str | None:
    """The text between the markers of ``page`` (stripped), or None without markers."""
    start = page.find(START_MARKER)
    end = page.find(END_MARKER, start + len(START_MARKER)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return page[start + len(START_MARKER): end].strip()


PUBLISHED_START = "<!-- published:start -->"
PUBLISHED_END = "<!-- published:end -->"


def published_table(lib: Library) -> str:
    """Markdown: every variable and indicator with ``published_in``, by publication and table —
    the list of what the yearbook and the census publish that the library recognises (docs/data.md)."""
    import re

    from citystd.library.models import SCOPE_NAMES, unit_text

    rows = []
    for coll in (lib.variables, lib.indicators):
        for item_id, item in coll.items():
            for p in getattr(item, "published_in", []):
                scope = SCOPE_NAMES[item.scope][0] if item.scope else ""
                rows.append((p.publication, p.table or "", p.column or "", item_id, unit_text(item.unit, "zh"), scope))

    def order(r: tuple[str, ...]) -> tuple:
        numbers = [int(x) for x in re.findall(r"\d+", r[1])] or [999]
        return (r[0] != "中国城市统计年鉴", r[0], numbers, r[3])

    lines = ["| publication | table | printed column (unit as printed) | id | library unit | scope |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_md(x) for x in r) + " |" for r in sorted(rows, key=order)]
    return "\n".join(lines)
