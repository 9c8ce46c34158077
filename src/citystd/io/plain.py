"""The plain dialect: a wide or a long table with a one-row header (the commonest export).

Layout detection (``layout="auto"``): a table is *long* when it has a variable/indicator column
and a value column, found by name (:data:`~citystd.io.table.VARIABLE_ALIASES`,
:data:`~citystd.io.table.VALUE_ALIASES`) or, when no header names a vocabulary id, by content (a
text column whose values are mostly vocabulary names, next to one numeric column). Otherwise it
is *wide* (:mod:`citystd.io.wide`). Other dialects (yearbook tables, research panels, the
multi-city template) build on :func:`build_city_data` once they have turned their table into a
:class:`~citystd.io.table.RawTable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg, error
from citystd.io.cells import clean_text, is_mostly_numeric, parse_numbers
from citystd.io.model import CellMap, CityData, DataSource
from citystd.io.table import (
    _VALUE_KEYS,
    _VAR_KEYS,
    EXCEL_ERROR_HINT,
    NOT_NUMBER_HINT,
    Columns,
    Layout,
    RawTable,
    Sink,
    alias_column,
    attribute_names,
    find_city_year,
    group_codes,
    make_index,
    report_duplicates,
    rows_of,
    units_and_years,
    where,
)
from citystd.io.vocabulary import Vocabulary
from citystd.io.wide import build_wide
from citystd.textkeys import header_key


def build_city_data(
    raw: RawTable,
    vocabulary: object,
    *,
    source: Callable[[Literal["wide", "long"]], DataSource],
    layout: Layout = "auto",
    id_column: str | None = None,
    max_diagnostics: int = 1000,
    choose: Mapping[str, str] | None = None,
    skip: np.ndarray | None = None,
) -> CityData:
    """Interpret a :class:`RawTable` as a wide or long table (see the module docs); fatal problems
    raise CitystdError. ``vocabulary`` is a :class:`~citystd.io.vocabulary.Vocabulary`, a mapping
    ``id → names`` or None (open)."""
    vocab = Vocabulary(vocabulary)  # type: ignore[arg-type]
    sink = Sink(raw.file, max_diagnostics)
    for d in raw.diagnostics:
        sink.add(d)
    keys = [header_key(h) for h in raw.headers]
    cols = find_city_year(raw, keys, vocab, id_column)
    kind = _decide_layout(raw, keys, vocab, cols, layout)
    if kind == "long":
        return _build_long(raw, vocab, cols, sink, source("long"), skip)
    return build_wide(raw, vocab, cols, sink, source("wide"), choose, skip)


def _decide_layout(raw: RawTable, keys: list[str], vocab: Vocabulary, cols: Columns,
                   layout: Layout) -> Literal["wide", "long"]:
    taken = cols.taken()
    var = alias_column(keys, _VAR_KEYS, taken)
    value = alias_column(keys, _VALUE_KEYS, taken | ({var} if var is not None else set()))
    if layout == "wide" or (layout == "auto" and raw.dialect == "yearbook" and var is None):
        return "wide"  # a yearbook table is wide: one column per statistic
    assert raw.columns is not None
    if var is None and (layout == "long" or not any(vocab.match_header(c).id for c in raw.columns)):
        var = _guess_variable_column(raw, vocab, taken)
    if var is not None and value is None:
        rest = [j for j in range(len(raw.headers)) if j not in taken and j != var
                and raw.frame[j].notna().any()]
        numeric = [j for j in rest if is_mostly_numeric(raw.frame[j].head(1000))]
        if len(numeric) == 1:
            value = numeric[0]
    if var is not None and value is not None:
        cols.variable, cols.value = var, value
        return "long"
    if layout == "long":
        raise error(
            "D712", "the table is not long: it needs a column of variable or indicator names and a "
            "column of values",
            "该表不是长表：需要一列变量或指标名称和一列数值", raw.header_location(),
            Msg("head them 'indicator' and 'value' (or 指标, 数值), or use --layout wide",
                "请将表头分别命名为 'indicator' 和 'value'（或“指标”“数值”），或使用 --layout wide"))
    return "wide"


def _guess_variable_column(raw: RawTable, vocab: Vocabulary, taken: set[int]) -> int | None:
    if vocab.open:
        return None
    for j in range(len(raw.headers)):
        if j in taken:
            continue
        names = clean_text(raw.frame[j]).dropna().unique()
        if len(names) == 0 or len(names) > 5000:
            continue
        hits = sum(1 for n in names if vocab.known(str(n)))
        if hits and hits >= 0.5 * len(names):
            return j
    return None


def _build_long(raw: RawTable, vocab: Vocabulary, cols: Columns, sink: Sink, source: DataSource,
                skip: np.ndarray | None = None) -> CityData:
    assert cols.variable is not None and cols.value is not None
    rows = units_and_years(raw, cols, sink, skip)
    keep = rows.keep
    frame = raw.frame.iloc[keep] if len(keep) != len(raw.frame) else raw.frame
    names = clean_text(frame[cols.variable]).to_numpy(dtype=object)
    word, zword = raw.row_word()
    var_header = raw.headers[cols.variable]

    # variable names → ids, one lookup per distinct name
    codes, uniques = pd.factorize(pd.Series(names, dtype=object), use_na_sentinel=True)
    ids_of_unique = [str(u).strip() if vocab.open else vocab.match(str(u)) for u in uniques]
    first_pos = np.full(len(uniques), -1, dtype="int64")
    valid = codes >= 0
    order = np.flatnonzero(valid)
    _, firsts = np.unique(codes[order], return_index=True)
    first_pos[np.unique(codes[order])] = order[firsts]
    counts = np.bincount(codes[valid], minlength=len(uniques))
    for u, vid, fp, cnt in zip(uniques, ids_of_unique, first_pos, counts, strict=True):
        if vid is not None:
            continue
        r = int(raw.row_no[keep[fp]])
        sink.add(Diagnostic("D703", Msg(
            f'"{u}" in column "{var_header}" matches no variable or indicator ({cnt} rows ignored)',
            f'"{var_header}" 列中的 "{u}" 与任何变量或指标都不匹配（已忽略 {cnt} 行）'),
            raw.location(r, cols.variable),
            vocab.hint(str(u)) or Msg("use a variable or indicator id or name",
                                      "请使用变量或指标的标识符或名称")))
    no_name = np.flatnonzero(codes < 0)
    for i in no_name[: sink.room("D703")]:
        r = int(raw.row_no[keep[i]])
        sink.add(Diagnostic("D703", Msg(
            f'{word} {r} has no name in column "{var_header}"; the row is ignored',
            f'第 {r} {zword}的 "{var_header}" 列为空；该行已忽略'), raw.location(r, cols.variable)))
    id_arr = np.array([v if v is not None else "" for v in ids_of_unique] + [""], dtype=object)
    row_ids = id_arr[codes]  # -1 → "" (last)
    known = row_ids != ""

    parsed = parse_numbers(frame[cols.value])
    vals = parsed.values
    if parsed.n_flagged:
        for code, mask in (("D705", parsed.not_number), ("D706", parsed.excel_error)):
            idx = np.flatnonzero(mask & known)
            room = sink.room(code)
            val_header = raw.headers[cols.value]
            for i in idx[:room]:
                text = parsed.text.get(i, "")
                w_en, w_zh = where(rows.units[i], rows.years.iloc[i])
                var = names[i]
                if code == "D705":
                    msg = Msg(f"value '{text}' of \"{var}\" in column \"{val_header}\" is not a number ({w_en})",
                              f"\"{val_header}\" 列中 \"{var}\" 的值 '{text}' 不是数字（{w_zh}）")
                    hint = NOT_NUMBER_HINT
                else:
                    msg = Msg(f"Excel error '{text}' of \"{var}\" in column \"{val_header}\" is read as missing ({w_en})",
                              f"\"{val_header}\" 列中 \"{var}\" 的 Excel 错误值 '{text}' 按缺失处理（{w_zh}）")
                    hint = EXCEL_ERROR_HINT
                sink.add(Diagnostic(code, msg, raw.location(int(raw.row_no[keep[i]]), cols.value), hint,
                                    about=str(row_ids[i]) or None))
            sink.skip(code, len(idx) - room)

    sel = np.flatnonzero(known)
    units, years, rid = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), row_ids[sel]

    def describe(i: int) -> tuple[str, str]:
        u, y, v = units[i], years.iloc[i], names[sel[i]]
        if pd.isna(y):
            return f'"{v}" of city "{u}"', f'城市 "{u}" 的 "{v}" '
        return f'"{v}" of city "{u}", year {y},', f'城市 "{u}" {y} 年的 "{v}" '

    first = report_duplicates(raw, [units, years.array, rid], keep[sel], cols.value, describe, sink)
    sel = sel[first]
    units, years, rid = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), row_ids[sel]

    # pivot
    key_codes = group_codes(units, years.array)
    col_codes, col_uniques = pd.factorize(pd.Series(rid, dtype=object))
    nr, nc = int(key_codes.max()) + 1 if len(key_codes) else 0, len(col_uniques)
    data = np.full((nr, nc), np.nan, dtype="float64", order="F")
    data[key_codes, col_codes] = vals[sel]
    src = rows_of(raw, keep[sel])
    cell_rows = np.full((nr, nc), -1, dtype="int64")
    cell_rows[key_codes, col_codes] = src
    _, first_key = np.unique(key_codes, return_index=True)  # codes are in order of appearance
    row_of = src[first_key]
    index = make_index(units[first_key], years.iloc[first_key].reset_index(drop=True))
    ids = [str(c) for c in col_uniques]
    values = pd.DataFrame(data, index=index, columns=pd.Index(ids, dtype=object), copy=False)

    taken = cols.taken()
    attr_cols = [j for j in range(len(raw.headers)) if j not in taken and raw.headers[j]]
    attr_names = attribute_names([raw.headers[j] for j in attr_cols], set(ids))
    if attr_cols:
        attr = pd.DataFrame({name: clean_text(frame[j]).to_numpy(dtype=object)[sel]
                             for name, j in zip(attr_names, attr_cols, strict=True)})
        attributes = attr.groupby(key_codes, sort=True).first()
        attributes.index = index
    else:
        attributes = pd.DataFrame(index=index)

    col_of = {vid: int(raw.col_no[cols.value]) for vid in ids}
    col_of.update({name: int(raw.col_no[j]) for name, j in zip(attr_names, attr_cols, strict=True)})
    cells = CellMap(raw.kind, raw.file, raw.sheet, row_of, col_of, ids, cell_rows,
                    unit_col=int(raw.col_no[cols.city]))
    _, first_rec = np.unique(col_codes, return_index=True)
    sel_names = names[sel]
    first_name = {ids[c]: str(sel_names[first_rec[c]]) for c in range(nc)}
    return CityData(values, attributes, source, first_name, sink.finish(), cells)
