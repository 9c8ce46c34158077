"""Table layouts: finding the header, the city and year columns, and turning wide or long tables
into the clean ``(unit, year) × id`` table of :class:`~citystd.io.model.CityData`.

Header matching is case-, space- and width-insensitive (:func:`~citystd.io.cells.header_key`);
a trailing unit in brackets (``人均GDP（元）``) is ignored when the full header does not match.

Layout detection (``layout="auto"``): a table is *long* when it has a variable/indicator column
and a value column, found by name (:data:`VARIABLE_ALIASES`, :data:`VALUE_ALIASES`) or, when no
header names a vocabulary id, by content (a text column whose values are mostly vocabulary names,
next to one numeric column). Otherwise it is *wide*.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg, error, suggestion
from citystd.io.cells import (
    clean_text,
    column_letter,
    header_key,
    header_key_without_unit,
    is_mostly_numeric,
    parse_numbers,
    parse_years,
)
from citystd.io.model import CellMap, CityData, DataSource, SourceKind

Layout = Literal["auto", "wide", "long"]

#: Headers of the column naming the unit (city), in order of preference.
CITY_ALIASES: tuple[str, ...] = (
    "city", "城市", "城市名称", "城市名", "city name", "cityname", "地区", "地市", "地级市", "unit",
    "ucode", "unit code", "uname", "unit name", "name", "名称", "行政区", "行政区划", "区县", "code",
    "id",
)
#: Headers of the year column.
YEAR_ALIASES: tuple[str, ...] = ("year", "年份", "年", "年度", "统计年份", "time", "yr", "时间")
#: Headers of the variable/indicator column of a long table.
VARIABLE_ALIASES: tuple[str, ...] = (
    "variable", "indicator", "var", "ind", "icode", "indicator id", "indicator code", "variable id",
    "variable code", "指标", "变量", "指标名称", "指标代码", "指标编码", "变量名", "变量名称", "series",
    "measure", "item", "项目",
)
#: Headers of the value column of a long table.
VALUE_ALIASES: tuple[str, ...] = (
    "value", "val", "values", "值", "数值", "指标值", "数据", "观测值", "data", "obs value", "amount",
)

HEADER_SCAN_ROWS = 30


def _keys(aliases: Sequence[str]) -> dict[str, int]:
    return {header_key(a): i for i, a in enumerate(aliases)}


_CITY_KEYS = _keys(CITY_ALIASES)
_YEAR_KEYS = _keys(YEAR_ALIASES)
_VAR_KEYS = _keys(VARIABLE_ALIASES)
_VALUE_KEYS = _keys(VALUE_ALIASES)


class Vocabulary:
    """The ids a file may use, with the names that may head their columns.

    ``Vocabulary({"pm25": ["PM2.5", "细颗粒物"]})`` matches the headers ``pm25``, ``PM2.5``,
    ``pm 2.5``, ``细颗粒物`` … An id always wins over another id's name with the same key.
    ``Vocabulary(None)`` is *open*: every numeric column is a value column named by its header.
    """

    def __init__(self, vocabulary: Mapping[str, Sequence[str]] | None) -> None:
        self.open = vocabulary is None
        self.ids: list[str] = list(vocabulary or {})
        self._by_key: dict[str, str] = {}
        self._names: list[str] = []
        for vid in self.ids:
            self._by_key.setdefault(header_key(vid), vid)
        for vid, names in (vocabulary or {}).items():
            for name in names:
                if name:
                    self._by_key.setdefault(header_key(name), vid)
                    self._names.append(name)

    def match(self, text: str) -> str | None:
        if self.open:
            return None
        key = header_key(text)
        hit = self._by_key.get(key)
        if hit is None:
            bare = header_key_without_unit(text)
            if bare is not None:
                hit = self._by_key.get(bare)
        return hit

    def known(self, text: str) -> bool:
        return self.match(text) is not None

    @property
    def candidates(self) -> list[str]:
        """Everything a header may be: ids and both names (for did-you-mean)."""
        return [*self.ids, *self._names]

    def hint(self, text: str) -> Msg | None:
        if self.open:
            return None
        return suggestion(text.strip(), self.candidates)


@dataclass
class RawTable:
    """A table as read from a file, before any interpretation.

    ``frame`` holds the data rows only, columns numbered 0…n-1, cells as read (text, or numbers
    where the reader already knew them); ``headers[j]`` is the header text of column ``j``;
    ``row_no[i]`` the 1-based source row of data row ``i`` (see :class:`DataSource`);
    ``col_no[j]`` the 0-based source column of column ``j``.
    """

    frame: pd.DataFrame
    headers: list[str]
    row_no: np.ndarray
    col_no: np.ndarray
    kind: SourceKind
    file: str
    sheet: str | None
    header_row: int | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def location(self, row: int | None, j: int | None) -> Location:
        cm = CellMap(self.kind, self.file, self.sheet, self.row_no, {}, [])
        return cm.location(row, int(self.col_no[j]) if j is not None else None)

    def header_location(self, j: int | None = None) -> Location:
        if self.kind == "rows" or self.header_row is None:
            return Location(self.file)
        return self.location(self.header_row, j)

    def row_word(self) -> tuple[str, str]:
        """How rows are named in messages: ``("line", "行")`` for text files, else ``("row", "行")``."""
        return ("line", "行") if self.kind == "lines" else ("row", "行")


class Sink:
    """Collects diagnostics, at most ``cap`` per rule code, then one summary per code."""

    def __init__(self, file: str, cap: int = 1000) -> None:
        self.file = file
        self.cap = cap
        self.items: list[Diagnostic] = []
        self.count: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()

    def room(self, code: str) -> int:
        return max(self.cap - self.count[code], 0)

    def add(self, d: Diagnostic) -> None:
        if self.count[d.code] < self.cap:
            self.items.append(d)
            self.count[d.code] += 1
        else:
            self.dropped[d.code] += 1

    def skip(self, code: str, n: int) -> None:
        if n > 0:
            self.dropped[code] += n

    def finish(self) -> list[Diagnostic]:
        out = list(self.items)
        for code, n in sorted(self.dropped.items()):
            out.append(Diagnostic(code, Msg(
                f"… and {n:,} more findings of this kind (not listed; only the first {self.cap:,} are shown)",
                f"……另有 {n:,} 条同类问题未列出（仅显示前 {self.cap:,} 条）"), Location(self.file)))
        return out


# --- the header -------------------------------------------------------------------------------


class Recogniser:
    """Recognises header cells: the known column names plus the vocabulary and ``id_column``."""

    def __init__(self, vocab: Vocabulary, id_column: str | None) -> None:
        self.vocab = vocab
        self.id_key = header_key(id_column) if id_column else None

    def known(self, text: str) -> bool:
        key = header_key(text)
        if not key:
            return False
        if key == self.id_key or key in _CITY_KEYS or key in _YEAR_KEYS:
            return True
        if key in _VAR_KEYS or key in _VALUE_KEYS:
            return True
        return self.vocab.known(text)

    def text_columns(self, headers: Sequence[str]) -> set[int]:
        """Columns to read as text (never as numbers): the city and variable columns."""
        out = set()
        for j, h in enumerate(headers):
            key = header_key(h)
            if key == self.id_key or key in _CITY_KEYS or key in _VAR_KEYS:
                out.add(j)
        return out


def find_header_row(rows: Sequence[Sequence[object]], recognise: Recogniser) -> int | None:
    """Index of the header among the first rows: the first row with two non-empty cells of
    which one is a known column name; else the first row with a known column name (a header
    whose city column is unnamed); else the first row with two non-empty cells (a title line
    has one); else the first non-empty row; None when every row is empty."""
    first_known = first_two = first_any = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        filled = [c for c in (_text(c) for c in row) if c]
        if not filled:
            continue
        if first_any is None:
            first_any = i
        known = any(recognise.known(c) for c in filled)
        if known and len(filled) >= 2:
            return i
        if known and first_known is None:
            first_known = i
        if len(filled) >= 2 and first_two is None:
            first_two = i
    for cand in (first_known, first_two, first_any):
        if cand is not None:
            return cand
    return None


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        if cell != cell:
            return ""
        if cell.is_integer():
            return str(int(cell))
    return str(cell).strip()


def header_texts(row: Sequence[object]) -> list[str]:
    return [_text(c) for c in row]


def recognised_score(headers: Sequence[str], recognise: Recogniser) -> int:
    return sum(1 for h in headers if h and recognise.known(h))


# --- building CityData --------------------------------------------------------------------------


@dataclass
class _Columns:
    city: int
    year: int | None
    variable: int | None = None
    value: int | None = None


def build_city_data(
    raw: RawTable,
    vocabulary: Mapping[str, Sequence[str]] | None,
    *,
    source: Callable[[Literal["wide", "long"]], DataSource],
    layout: Layout = "auto",
    id_column: str | None = None,
    max_diagnostics: int = 1000,
) -> CityData:
    """Interpret a :class:`RawTable` (see the module docs); fatal problems raise CitystdError."""
    vocab = Vocabulary(vocabulary)
    sink = Sink(raw.file, max_diagnostics)
    for d in raw.diagnostics:
        sink.add(d)
    keys = [header_key(h) for h in raw.headers]
    cols = _find_city_year(raw, keys, vocab, id_column)
    kind = _decide_layout(raw, keys, vocab, cols, layout)
    if kind == "long":
        return _build_long(raw, vocab, cols, sink, source("long"))
    return _build_wide(raw, vocab, cols, sink, source("wide"))


def _alias_column(keys: Sequence[str], aliases: dict[str, int], exclude: set[int]) -> int | None:
    best: tuple[int, int] | None = None
    for j, k in enumerate(keys):
        if j in exclude or k not in aliases:
            continue
        cand = (aliases[k], j)
        if best is None or cand < best:
            best = cand
    return None if best is None else best[1]


def _find_city_year(raw: RawTable, keys: list[str], vocab: Vocabulary, id_column: str | None) -> _Columns:
    headers = raw.headers
    city: int | None = None
    if id_column is not None:
        exact = [j for j, h in enumerate(headers) if h == id_column.strip()]
        loose = [j for j, k in enumerate(keys) if k == header_key(id_column)]
        hits = exact or loose
        if not hits:
            named = [h for h in headers if h]
            hint = suggestion(id_column, named)
            listing = ", ".join(f'"{h}"' for h in named[:20])
            raise error(
                "D702", f'the id column "{id_column}" is not in the table (columns: {listing})',
                f'表中没有标识列 "{id_column}"（现有列：{listing}）', raw.header_location(), hint)
        city = hits[0]
    year = _alias_column(keys, _YEAR_KEYS, {city} if city is not None else set())
    if city is None:
        city = _alias_column(keys, _CITY_KEYS, {year} if year is not None else set())
    if city is None:
        city = _guess_city(raw, vocab, {year} if year is not None else set())
    if city is None:
        raise error(
            "D702", "no column identifies the cities (looked for a column headed "
            "city, 城市, name, uCode, 地区 …)",
            "找不到标识城市的列（查找了表头为 city、城市、name、uCode、地区 等的列）",
            raw.header_location(),
            Msg("name the column of city names 'city' (or 城市), or give it with --id",
                "请将城市名称列的表头改为 'city'（或“城市”），或用 --id 指定"))
    return _Columns(city, year)


def _guess_city(raw: RawTable, vocab: Vocabulary, exclude: set[int]) -> int | None:
    """The leftmost mostly-text column that is not a vocabulary column."""
    for j in range(len(raw.headers)):
        if j in exclude or vocab.known(raw.headers[j]):
            continue
        col = raw.frame[j]
        if col.notna().sum() == 0:
            continue
        if not is_mostly_numeric(col.head(1000)):
            return j
    return None


def _decide_layout(raw: RawTable, keys: list[str], vocab: Vocabulary, cols: _Columns,
                   layout: Layout) -> Literal["wide", "long"]:
    taken = {cols.city} | ({cols.year} if cols.year is not None else set())
    var = _alias_column(keys, _VAR_KEYS, taken)
    value = _alias_column(keys, _VALUE_KEYS, taken | ({var} if var is not None else set()))
    if layout == "wide":
        return "wide"
    if var is None and (layout == "long" or not any(vocab.known(h) for h in raw.headers)):
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


# --- shared pieces ------------------------------------------------------------------------------


def _where(unit: object, year: object) -> tuple[str, str]:
    if year is None or pd.isna(year):
        return f"city {unit}", f"城市 {unit}"
    return f"city {unit}, year {year}", f"城市 {unit}，{year} 年"


_NOT_NUMBER_HINT = Msg(
    "write a plain number such as 1234.5 (45% is read as 45); leave the cell empty or write NA "
    "when the value is missing",
    "请填写纯数字，如 1234.5（45% 读作 45）；缺失值请留空或填写 NA")
_EXCEL_ERROR_HINT = Msg(
    "fix the formula in the workbook, or clear the cell if the value is unknown",
    "请修正工作簿中的公式；如数值未知请清空该单元格")


@dataclass
class _Rows:
    """The rows kept after reading units and years."""

    keep: np.ndarray  # positions in raw.frame
    units: np.ndarray  # object, per kept row
    years: pd.Series  # Int64, per kept row


_NOTE = re.compile(r"^(?:注|备注|附注|注释|说明|数据来源|资料来源|来源|notes?|sources?)\s*[:：.、]|^[*※]",
                   re.IGNORECASE)


def _footnotes(raw: RawTable, city: int, units: np.ndarray) -> np.ndarray:
    """Rows that are a footnote under the table (``注：…``, ``数据来源：…``, ``Source: …``, ``* …``)
    in the unit column, with every other cell empty; they are dropped silently."""
    out = np.zeros(len(units), dtype=bool)
    cand = np.flatnonzero(pd.Series(units, dtype=object).str.match(_NOTE).fillna(False).to_numpy(dtype=bool))
    if not len(cand):
        return out
    others = raw.frame.drop(columns=[city]).iloc[cand]
    empty = (others.isna() | (others.astype(object) == "")).all(axis=1).to_numpy()
    out[cand[empty]] = True
    return out


def _units_and_years(raw: RawTable, cols: _Columns, sink: Sink) -> _Rows:
    n = len(raw.frame)
    units = clean_text(raw.frame[cols.city]).to_numpy(dtype=object, copy=True)
    notes = _footnotes(raw, cols.city, units)
    units[notes] = None
    no_unit = pd.isna(units) & ~notes
    word, zword = raw.row_word()
    city_header = raw.headers[cols.city] or column_letter(int(raw.col_no[cols.city]))
    no_unit_idx = np.flatnonzero(no_unit)
    room = sink.room("D702")
    for i in no_unit_idx[:room]:
        r = int(raw.row_no[i])
        sink.add(Diagnostic("D702", Msg(
            f'{word} {r} has values but no city in column "{city_header}"; the row is ignored',
            f'第 {r} {zword}有数据但 "{city_header}" 列没有城市名称；该行已忽略'),
            raw.location(r, cols.city),
            Msg("fill in the city name, or delete the row", "请填写城市名称，或删除该行")))
    sink.skip("D702", len(no_unit_idx) - room)

    if cols.year is None:
        years = pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
        bad_year = np.zeros(n, dtype=bool)
    else:
        years, bad_year = parse_years(raw.frame[cols.year])
        bad_year &= ~no_unit & ~notes
        year_header = raw.headers[cols.year]
        bad_idx = np.flatnonzero(bad_year)
        room = sink.room("D713")
        for i in bad_idx[:room]:
            r = int(raw.row_no[i])
            cell = raw.frame[cols.year].iloc[i]
            text = "" if cell is None or (isinstance(cell, float) and cell != cell) else _text(cell)
            if text:
                en = f'year \'{text}\' in column "{year_header}" is not a whole number ({units[i]}); the row is ignored'
                zh = f'"{year_header}" 列的年份 \'{text}\' 不是整数（{units[i]}）；该行已忽略'
            else:
                en = f'the year of {units[i]} is empty in column "{year_header}"; the row is ignored'
                zh = f'{units[i]} 在 "{year_header}" 列的年份为空；该行已忽略'
            sink.add(Diagnostic("D713", Msg(en, zh), raw.location(r, cols.year),
                                Msg("write the year as a number such as 2019", "请将年份写为数字，如 2019")))
        sink.skip("D713", len(bad_idx) - room)
    keep = np.flatnonzero(~no_unit & ~bad_year & ~notes)
    return _Rows(keep, units[keep], years.iloc[keep].reset_index(drop=True))


def _report_duplicates(raw: RawTable, keys: list, rows: np.ndarray, loc_col: int,
                       describe: Callable[[int], tuple[str, str]], sink: Sink) -> np.ndarray:
    """Flag repeated keys (D704, naming both rows); returns the mask of rows to keep (first wins)."""
    codes = group_codes(*keys)
    _, first = np.unique(codes, return_index=True)  # codes are dense: first[code]
    dup = pd.Series(codes).duplicated(keep="first").to_numpy()
    word, zword = raw.row_word()
    idx = np.flatnonzero(dup)
    room = sink.room("D704")
    for i in idx[:room]:
        j = first[codes[i]]
        r1, r2 = int(raw.row_no[rows[j]]), int(raw.row_no[rows[i]])
        what_en, what_zh = describe(i)
        if raw.kind == "rows":
            r1, r2 = int(rows[j]) + 1, int(rows[i]) + 1
        sink.add(Diagnostic("D704", Msg(
            f"{what_en} appears twice: {word} {r1} and {word} {r2}; only {word} {r1} is used",
            f"{what_zh}出现两次：第 {r1} {zword}和第 {r2} {zword}；仅使用第 {r1} {zword}"),
            raw.location(r2, loc_col),
            Msg("delete or correct one of the rows", "请删除或更正其中一行")))
    sink.skip("D704", len(idx) - room)
    return ~dup


def _report_cells(raw: RawTable, j: int, parsed, rows: np.ndarray, units: np.ndarray,
                  years: pd.Series, label: tuple[str, str], sink: Sink) -> None:
    """D705 / D706 for the flagged cells of one parsed column (positions relative to ``rows``)."""
    col_en, col_zh = label
    for code, mask in (("D705", parsed.not_number), ("D706", parsed.excel_error)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        room = sink.room(code)
        for i in idx[:room]:
            text = parsed.text.get(i, "")
            w_en, w_zh = _where(units[i], years.iloc[i])
            if code == "D705":
                msg = Msg(f"value '{text}' in {col_en} is not a number ({w_en})",
                          f"{col_zh}的值 '{text}' 不是数字（{w_zh}）")
                hint = _NOT_NUMBER_HINT
            else:
                msg = Msg(f"Excel error '{text}' in {col_en} is read as missing ({w_en})",
                          f"{col_zh}的 Excel 错误值 '{text}' 按缺失处理（{w_zh}）")
                hint = _EXCEL_ERROR_HINT
            sink.add(Diagnostic(code, msg, raw.location(int(raw.row_no[rows[i]]), j), hint))
        sink.skip(code, len(idx) - room)


def _unknown_column(raw: RawTable, j: int, vocab: Vocabulary, sink: Sink) -> None:
    h = raw.headers[j]
    hint = vocab.hint(h) or Msg(
        "rename the column to a variable or indicator id (or its name), or add it to the library",
        "请将列名改为变量或指标的标识符（或其名称），或将其加入指标库")
    sink.add(Diagnostic("D703", Msg(
        f'column "{h}" matches no variable or indicator; it is kept as a unit attribute',
        f'列 "{h}" 与任何变量或指标都不匹配，将作为单元属性保留'), raw.header_location(j), hint))


def group_codes(*arrays: object) -> np.ndarray:
    """Dense int64 codes, in order of first appearance, of the rows' combination of ``arrays``
    (missing values are a value of their own). Vectorised: one factorize per array."""
    combined: np.ndarray | None = None
    for a in arrays:
        c, u = pd.factorize(a, use_na_sentinel=False)  # type: ignore[call-overload]
        c = np.asarray(c, dtype="int64")
        if combined is None:
            combined = c
        else:
            combined, _ = pd.factorize(combined * max(len(u), 1) + c)
            combined = np.asarray(combined, dtype="int64")
    assert combined is not None
    return combined


def _index(units: np.ndarray, years: pd.Series) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [pd.Index(units, dtype=object), pd.Index(years.array, dtype="Int64")], names=["unit", "year"])


def _attribute_names(headers: Sequence[str], taken: set[str]) -> list[str]:
    out = []
    seen = set(taken)
    for h in headers:
        name, k = h, 2
        while name in seen:
            name, k = f"{h} ({k})", k + 1
        seen.add(name)
        out.append(name)
    return out


# --- wide -------------------------------------------------------------------------------------


def _build_wide(raw: RawTable, vocab: Vocabulary, cols: _Columns, sink: Sink, source: DataSource) -> CityData:
    rows = _units_and_years(raw, cols, sink)
    taken = {cols.city} | ({cols.year} if cols.year is not None else set())

    value_cols: list[tuple[int, str]] = []  # (raw column, id)
    attr_cols: list[int] = []
    first_of: dict[str, int] = {}
    for j, h in enumerate(raw.headers):
        if j in taken:
            continue
        col = raw.frame[j]
        if not h:
            if col.notna().any() and clean_text(col).notna().any():
                letter = column_letter(int(raw.col_no[j]))
                sink.add(Diagnostic("D703", Msg(
                    f"column {letter} has values but no header; it is ignored",
                    f"第 {letter} 列有数据但没有表头；已忽略"), raw.header_location(j),
                    Msg("give the column a header, or delete it", "请为该列添加表头，或删除该列")))
            continue
        vid = h.strip() if vocab.open and is_mostly_numeric(col) else vocab.match(h)
        if vid is None:
            attr_cols.append(j)
            if not vocab.open and (is_mostly_numeric(col) or vocab.hint(h) is not None):
                _unknown_column(raw, j, vocab, sink)
            continue
        if vid in first_of:
            other = raw.headers[first_of[vid]]
            sink.add(Diagnostic("D703", Msg(
                f'column "{h}" is "{vid}" again (already given by column "{other}"); it is ignored',
                f'列 "{h}" 与列 "{other}" 同为 "{vid}"；已忽略'), raw.header_location(j),
                Msg("keep one of the two columns", "请只保留其中一列")))
            continue
        first_of[vid] = j
        value_cols.append((j, vid))

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
    for k, (j, _vid) in enumerate(value_cols):
        parsed = parse_numbers(frame[j])
        data[:, k] = parsed.values
        if parsed.n_flagged:
            h = raw.headers[j]
            _report_cells(raw, j, parsed, keep, rows.units, rows.years,
                          (f'column "{h}"', f'"{h}" 列'), sink)

    def describe(i: int) -> tuple[str, str]:
        u, y = rows.units[i], rows.years.iloc[i]
        if pd.isna(y):
            return f'city "{u}"', f'城市 "{u}" '
        return f'city "{u}", year {y},', f'城市 "{u}" {y} 年'

    first = _report_duplicates(raw, [rows.units, rows.years.array], keep, cols.city, describe, sink)
    sel = np.flatnonzero(first)
    if len(sel) != n:
        data = np.asfortranarray(data[sel])
    units, years, src_rows = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), keep[sel]
    index = _index(units, years)

    ids = [vid for _, vid in value_cols]
    values = pd.DataFrame(data, index=index, columns=pd.Index(ids, dtype=object), copy=False)
    attr_names = _attribute_names([raw.headers[j] for j in attr_cols], set(ids))
    attributes = pd.DataFrame(
        {name: clean_text(frame[j]).to_numpy(dtype=object)[sel] for name, j in zip(attr_names, attr_cols, strict=True)},
        index=index)
    col_of = {vid: int(raw.col_no[j]) for j, vid in value_cols}
    col_of.update({name: int(raw.col_no[j]) for name, j in zip(attr_names, attr_cols, strict=True)})
    cells = CellMap(raw.kind, raw.file, raw.sheet, _rows_of(raw, src_rows), col_of, ids,
                    unit_col=int(raw.col_no[cols.city]))
    headers = {vid: raw.headers[j] for j, vid in value_cols}
    return CityData(values, attributes, source, headers, sink.finish(), cells)


def _rows_of(raw: RawTable, positions: np.ndarray) -> np.ndarray:
    if raw.kind == "rows":
        return positions.astype("int64") + 1
    return raw.row_no[positions].astype("int64")


# --- long -------------------------------------------------------------------------------------


def _build_long(raw: RawTable, vocab: Vocabulary, cols: _Columns, sink: Sink, source: DataSource) -> CityData:
    assert cols.variable is not None and cols.value is not None
    rows = _units_and_years(raw, cols, sink)
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
                w_en, w_zh = _where(rows.units[i], rows.years.iloc[i])
                var = names[i]
                if code == "D705":
                    msg = Msg(f"value '{text}' of \"{var}\" in column \"{val_header}\" is not a number ({w_en})",
                              f"\"{val_header}\" 列中 \"{var}\" 的值 '{text}' 不是数字（{w_zh}）")
                    hint = _NOT_NUMBER_HINT
                else:
                    msg = Msg(f"Excel error '{text}' of \"{var}\" in column \"{val_header}\" is read as missing ({w_en})",
                              f"\"{val_header}\" 列中 \"{var}\" 的 Excel 错误值 '{text}' 按缺失处理（{w_zh}）")
                    hint = _EXCEL_ERROR_HINT
                sink.add(Diagnostic(code, msg, raw.location(int(raw.row_no[keep[i]]), cols.value), hint))
            sink.skip(code, len(idx) - room)

    sel = np.flatnonzero(known)
    units, years, rid = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), row_ids[sel]

    def describe(i: int) -> tuple[str, str]:
        u, y, v = units[i], years.iloc[i], names[sel[i]]
        if pd.isna(y):
            return f'"{v}" of city "{u}"', f'城市 "{u}" 的 "{v}" '
        return f'"{v}" of city "{u}", year {y},', f'城市 "{u}" {y} 年的 "{v}" '

    first = _report_duplicates(raw, [units, years.array, rid], keep[sel], cols.value, describe, sink)
    sel = sel[first]
    units, years, rid = rows.units[sel], rows.years.iloc[sel].reset_index(drop=True), row_ids[sel]

    # pivot
    key_codes = group_codes(units, years.array)
    col_codes, col_uniques = pd.factorize(pd.Series(rid, dtype=object))
    nr, nc = int(key_codes.max()) + 1 if len(key_codes) else 0, len(col_uniques)
    data = np.full((nr, nc), np.nan, dtype="float64", order="F")
    data[key_codes, col_codes] = vals[sel]
    src = _rows_of(raw, keep[sel])
    cell_rows = np.full((nr, nc), -1, dtype="int64")
    cell_rows[key_codes, col_codes] = src
    _, first_key = np.unique(key_codes, return_index=True)  # codes are in order of appearance
    row_of = src[first_key]
    index = _index(units[first_key], years.iloc[first_key].reset_index(drop=True))
    ids = [str(c) for c in col_uniques]
    values = pd.DataFrame(data, index=index, columns=pd.Index(ids, dtype=object), copy=False)

    taken = {cols.city, cols.variable, cols.value} | ({cols.year} if cols.year is not None else set())
    attr_cols = [j for j in range(len(raw.headers)) if j not in taken and raw.headers[j]]
    attr_names = _attribute_names([raw.headers[j] for j in attr_cols], set(ids))
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
