"""The wide builder: one row per city (and year), one column per variable or indicator.

Every dialect that ends in a wide table uses it: plain tables, yearbook tables, research panels
(reshaped by year first) and the multi-city template. For each column it

1. matches the parsed header against the vocabulary (:meth:`Vocabulary.match_header`: names,
   aliases, scope), or takes the column the user chose with ``--column ID=HEADER``;
2. keeps one column per variable: a published series over its interpolated variant (D735, which
   says how to choose the other), else the first (D703 for the second);
3. parses the cells (:func:`~citystd.io.cells.parse_numbers`) and converts them from the unit the
   header states to the variable's unit (:func:`citystd.units.factor`; D731 when the dimensions
   differ); a percent sign in a column not measured in % is D733;
4. reports numeric columns that match nothing (D703, with a did-you-mean, or the variable of the
   same name but another scope).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg
from citystd.io.cells import clean_text, column_letter, is_mostly_numeric, parse_numbers
from citystd.io.headers import ColumnHeader
from citystd.io.model import CellMap, CityData, ColumnInfo, DataSource
from citystd.io.table import (
    Columns,
    RawTable,
    Sink,
    attribute_names,
    make_index,
    report_cells,
    report_duplicates,
    rows_of,
    units_and_years,
    where,
)
from citystd.io.vocabulary import Vocabulary
from citystd.textkeys import header_key

#: Headers of identifier columns (province_code, 省份代码 …): attributes, never "unknown" data.
_IDENTIFIER = re.compile(r"(?:code|代码|编码|编号|id)$")

SCOPE_WORDS = {"whole_city": ("全市", "the whole city"), "districts": ("市辖区", "the districts under the city"),
               "urban_area": ("城区", "the urban area"), "built_up_area": ("建成区", "the built-up area"),
               "not_spatial": ("不涉及空间范围", "no area")}


def build_wide(raw: RawTable, vocab: Vocabulary, cols: Columns, sink: Sink, source: DataSource,
               choose: Mapping[str, str] | None = None, skip: np.ndarray | None = None) -> CityData:
    """Interpret ``raw`` as a wide table (see the module docs). ``choose`` maps an id to the
    header of the column to take it from; ``skip`` marks rows that are not data (group rows)."""
    rows = units_and_years(raw, cols, sink, skip)
    taken = cols.taken()
    assert raw.columns is not None
    chosen = {vid: header_key(h) for vid, h in (choose or {}).items()}

    candidates: dict[str, list[int]] = {}
    attr_cols: list[int] = []
    for j, h in enumerate(raw.headers):
        if j in taken:
            continue
        col = raw.frame[j]
        head = raw.columns[j]
        if not h:
            if col.notna().any() and clean_text(col).notna().any():
                letter = column_letter(int(raw.col_no[j]))
                sink.add(Diagnostic("D703", Msg(
                    f"column {letter} has values but no header; it is ignored",
                    f"第 {letter} 列有数据但没有表头；已忽略"), raw.header_location(j),
                    Msg("give the column a header, or delete it", "请为该列添加表头，或删除该列")))
            continue
        if vocab.open:
            vid = h.strip() if is_mostly_numeric(col) else None
            match = None
        else:
            match = vocab.match_header(head)
            vid = match.id
            by_choice = [v for v, key in chosen.items() if key in (header_key(h), *head.keys)]
            if by_choice:
                vid = by_choice[0]
        if vid is None:
            attr_cols.append(j)
            if not vocab.open and not _IDENTIFIER.search(header_key(h)) \
                    and (is_mostly_numeric(col) or vocab.hint(h) is not None):
                _unknown_column(raw, j, vocab, sink, match.other_scope if match else ())
            continue
        candidates.setdefault(vid, []).append(j)

    value_cols: list[tuple[int, str]] = []
    for vid, js in candidates.items():
        value_cols.append((_pick(raw, vid, js, chosen.get(vid), sink), vid))
    value_cols.sort()

    if not value_cols and not vocab.open and vocab.ids:
        sink.add(Diagnostic("D712", Msg(
            "no column matches a variable or indicator of the framework",
            "没有任何列与框架的变量或指标匹配"), raw.header_location(),
            Msg("head the columns with variable or indicator ids or names; for a long table "
                "(city, year, indicator, value) use --layout long",
                "请用变量或指标的标识符或名称作为表头；长表（城市、年份、指标、数值）请使用 --layout long")))

    keep = rows.keep
    frame = raw.frame.iloc[keep] if len(keep) != len(raw.frame) else raw.frame
    n = len(keep)
    data = np.empty((n, len(value_cols)), dtype="float64", order="F")
    infos: dict[str, ColumnInfo] = {}
    dropped: list[int] = []
    for k, (j, vid) in enumerate(value_cols):
        head = raw.columns[j]
        parsed = parse_numbers(frame[j])
        h = raw.headers[j]
        factor = _factor(raw, j, vid, head, vocab, sink)
        if factor is None:
            dropped.append(k)
            data[:, k] = np.nan
            continue
        data[:, k] = parsed.values * factor if factor != 1.0 else parsed.values
        if parsed.n_flagged:
            report_cells(raw, j, parsed, keep, rows.units, rows.years, (f'column "{h}"', f'"{h}" 列'), sink, vid)
        if parsed.percent is not None and not _is_percent_column(head, vocab.term(vid) if not vocab.open else None):
            _percent_cells(raw, j, parsed, keep, rows, sink, vid)
        infos[vid] = ColumnInfo(vid, h, raw.header_location(j), head.unit, factor, head.scope, head.variant)
    if dropped:
        value_cols = [vc for k, vc in enumerate(value_cols) if k not in dropped]
        data = np.asfortranarray(np.delete(data, dropped, axis=1))

    def describe(i: int) -> tuple[str, str]:
        u, y = rows.units[i], rows.years.iloc[i]
        if pd.isna(y):
            return f'city "{u}"', f'城市 "{u}" '
        return f'city "{u}", year {y},', f'城市 "{u}" {y} 年'

    first = report_duplicates(raw, [rows.units, rows.years.array], keep, cols.city, describe, sink)
    sel = np.flatnonzero(first)
    if len(sel) != n:
        data = np.asfortranarray(data[sel])
    units, years, src_rows = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), keep[sel]
    index = make_index(units, years)

    ids = [vid for _, vid in value_cols]
    values = pd.DataFrame(data, index=index, columns=pd.Index(ids, dtype=object), copy=False)
    extra = [c for c in (cols.code,) if c is not None and c != cols.city]
    attr_cols = sorted(set(attr_cols) | set(extra))
    attr_names = attribute_names([raw.headers[j] for j in attr_cols], set(ids))
    attrs = {name: clean_text(frame[j]).to_numpy(dtype=object)[sel] for name, j in zip(attr_names, attr_cols, strict=True)}
    for name, arr in raw.row_attributes.items():
        if name not in attrs and name not in ids:
            attrs[name] = np.asarray(arr, dtype=object)[keep][sel]
    attributes = pd.DataFrame(attrs, index=index)
    col_of = {vid: int(raw.col_no[j]) for j, vid in value_cols}
    col_of.update({name: int(raw.col_no[j]) for name, j in zip(attr_names, attr_cols, strict=True)})
    cell_cols = None
    if raw.cell_cols is not None:
        cell_cols = np.stack([raw.cell_cols[src_rows, j] for j, _ in value_cols], axis=1) if value_cols \
            else np.empty((len(sel), 0), dtype="int64")
    cells = CellMap(raw.kind, raw.file, raw.sheet, rows_of(raw, src_rows), col_of, ids,
                    unit_col=int(raw.col_no[cols.city]), cell_cols=cell_cols)
    headers = {vid: raw.headers[j] for j, vid in value_cols}
    out = CityData(values, attributes, source, headers, sink.finish(), cells, columns=infos)
    code_col = cols.code
    if code_col is not None:
        codes = clean_text(frame[code_col]).to_numpy(dtype=object)[sel]
        out.codes = pd.Series(codes, index=pd.Index(units, dtype=object)).groupby(level=0, sort=False).first()
    return out


def _pick(raw: RawTable, vid: str, js: list[int], chosen_key: str | None, sink: Sink) -> int:
    """The one column of several that give ``vid``: the chosen one, else the published series over a
    variant (D735), else the first (D703 for the others)."""
    assert raw.columns is not None
    if len(js) == 1:
        return js[0]
    if chosen_key is not None:
        hit = [j for j in js if chosen_key in (header_key(raw.headers[j]), *raw.columns[j].keys)]
        if hit:
            return hit[0]
    published = [j for j in js if raw.columns[j].variant is None]
    keep = published[0] if published else js[0]
    for j in js:
        if j == keep:
            continue
        h, used = raw.headers[j], raw.headers[keep]
        if raw.columns[j].variant is not None or raw.columns[keep].variant is not None:
            kind = raw.columns[j].variant or raw.columns[keep].variant
            sink.add(Diagnostic("D735", Msg(
                f'columns "{used}" and "{h}" are two versions of "{vid}" ({kind} and as published); '
                f'"{used}" is used',
                f'列 "{used}" 与 "{h}" 是 "{vid}" 的两个版本（{kind} 与原始值）；使用 "{used}"'),
                raw.header_location(j),
                Msg(f"to use the other, pass --column {vid}='{h}' (or delete the column you do not want)",
                    f"如需使用另一列，请加 --column {vid}='{h}'（或删除不需要的列）")))
        else:
            sink.add(Diagnostic("D703", Msg(
                f'column "{h}" is "{vid}" again (already given by column "{used}"); it is ignored',
                f'列 "{h}" 与列 "{used}" 同为 "{vid}"；已忽略'), raw.header_location(j),
                Msg(f"keep one of the two columns, or choose with --column {vid}='{h}'",
                    f"请只保留其中一列，或用 --column {vid}='{h}' 选择")))
    return keep


def _factor(raw: RawTable, j: int, vid: str, head: ColumnHeader, vocab: Vocabulary, sink: Sink) -> float | None:
    """The factor from the header's unit to ``vid``'s unit (1.0 when either is unknown); None and
    D731 when the dimensions differ."""
    if head.unit is None or vocab.open:
        return 1.0
    term = vocab.term(vid)
    target = term.unit if term is not None else None
    if target is None:
        return 1.0
    from citystd.units import UnitMismatch, factor

    try:
        return factor(head.unit, target)
    except UnitMismatch as exc:
        found_en, want_en = exc.dimensions("en")
        found_zh, want_zh = exc.dimensions("zh")
        label_zh, label_en = term.unit_label if term is not None else ("", "")
        where_en = " (from the table's unit line)" if head.unit_from == "table" else ""
        where_zh = "（来自表格的单位行）" if head.unit_from == "table" else ""
        sink.add(Diagnostic("D731", Msg(
            f'column "{raw.headers[j]}" is in {head.unit}{where_en} ({found_en}), but "{vid}" is measured '
            f"in {label_en or target} ({want_en}); the column is not used",
            f'列 "{raw.headers[j]}" 的单位是 {head.unit}{where_zh}（{found_zh}），而 "{vid}" 的单位是 '
            f"{label_zh or target}（{want_zh}）；该列未使用"), raw.header_location(j),
            Msg("check that the column is the statistic you mean; if its unit is wrong, correct the header",
                "请确认该列是否为所需统计指标；如表头单位有误，请更正"), about=vid))
        return None
    except ValueError:
        return 1.0


def _is_percent_column(head: ColumnHeader, term) -> bool:
    from citystd.units import is_percent

    if head.unit is not None:
        return is_percent(head.unit)
    if term is None:
        return True  # nothing says it is not in %
    target = term.unit
    return target is None or is_percent(target)


def _percent_cells(raw: RawTable, j: int, parsed, keep: np.ndarray, rows, sink: Sink, vid: str) -> None:
    assert parsed.percent is not None
    idx = np.flatnonzero(parsed.percent)
    room = sink.room("D733")
    h = raw.headers[j]
    for i in idx[:room]:
        text = parsed.text.get(i, "")
        w_en, w_zh = where(rows.units[i], rows.years.iloc[i])
        sink.add(Diagnostic("D733", Msg(
            f"'{text}' in column \"{h}\" has a percent sign, but the column is not measured in %; "
            f"it is read as {parsed.values[i]:g} ({w_en})",
            f"\"{h}\" 列的 '{text}' 带有百分号，但该列不以 % 计量；按 {parsed.values[i]:g} 读取（{w_zh}）"),
            raw.location(int(raw.row_no[keep[i]]), j),
            Msg("write the value in the column's unit without a percent sign",
                "请按该列的单位填写数值，不要带百分号"), about=vid))
    sink.skip("D733", len(idx) - room)


def _unknown_column(raw: RawTable, j: int, vocab: Vocabulary, sink: Sink, other_scope: tuple[str, ...]) -> None:
    h = raw.headers[j]
    assert raw.columns is not None
    head = raw.columns[j]
    if other_scope and head.scope is not None:
        term = vocab.term(other_scope[0])
        their = term.scope if term is not None else None
        col_zh, col_en = SCOPE_WORDS.get(head.scope, (head.scope, head.scope))
        var_zh, var_en = SCOPE_WORDS.get(their or "", ("?", "?"))
        sink.add(Diagnostic("D703", Msg(
            f'column "{h}" is measured over {col_en}; "{other_scope[0]}" has its name but is measured over '
            f"{var_en}, so the column matches no variable; it is kept as a unit attribute",
            f'列 "{h}" 的统计范围是{col_zh}；"{other_scope[0]}" 名称相同但统计范围是{var_zh}，'
            "因此该列不与任何变量匹配，将作为单元属性保留"), raw.header_location(j),
            Msg(f"add a variable with scope: {head.scope} (and this header as an alias) to use it",
                f"如需使用，请添加 scope: {head.scope} 的变量（并以该表头为别名）")))
        return
    hint = vocab.hint(head.names[0] if head.names else h) or vocab.hint(h) or Msg(
        "rename the column to a variable or indicator id (or its name), or add it to the library",
        "请将列名改为变量或指标的标识符（或其名称），或将其加入指标库")
    sink.add(Diagnostic("D703", Msg(
        f'column "{h}" matches no variable or indicator; it is kept as a unit attribute',
        f'列 "{h}" 与任何变量或指标都不匹配，将作为单元属性保留'), raw.header_location(j), hint))
