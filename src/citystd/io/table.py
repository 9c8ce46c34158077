"""What every table dialect shares: the table as read (:class:`RawTable`), the header row and
block, the city, code and year columns, the rows kept, and the findings sink.

A dialect (:mod:`~citystd.io.plain`, :mod:`~citystd.io.yearbook`, :mod:`~citystd.io.panel`,
:mod:`~citystd.io.template_layout`) turns what a file holds into a :class:`RawTable` — data rows,
one parsed header per column — and the builders (:mod:`~citystd.io.wide`, the long builder of
:mod:`~citystd.io.plain`) turn it into the clean ``(unit, year) × id`` table of
:class:`~citystd.io.model.CityData`.

Header matching is case-, space- and width-insensitive (:func:`citystd.textkeys.header_key`);
units and scopes in a header are parsed by :mod:`citystd.io.headers`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg, error, suggestion
from citystd.io.cells import clean_text, column_letter, is_mostly_numeric, parse_years
from citystd.io.headers import ColumnHeader, parse_header
from citystd.io.model import CellMap, SourceKind
from citystd.io.vocabulary import Vocabulary
from citystd.textkeys import header_key

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
#: Headers of a column of 6-digit administrative division codes (GB/T 2260), in order of preference.
CODE_ALIASES: tuple[str, ...] = (
    "city_code", "citycode", "城市代码", "行政区划代码", "区划代码", "统计用区划代码", "adcode", "ad code",
    "admin code", "division code", "gb code", "gbcode", "code", "代码",
)

HEADER_SCAN_ROWS = 30


def _keys(aliases: Sequence[str]) -> dict[str, int]:
    return {header_key(a): i for i, a in enumerate(aliases)}


_CITY_KEYS = _keys(CITY_ALIASES)
_YEAR_KEYS = _keys(YEAR_ALIASES)
_VAR_KEYS = _keys(VARIABLE_ALIASES)
_VALUE_KEYS = _keys(VALUE_ALIASES)
_CODE_KEYS = _keys(CODE_ALIASES)
_CJK = re.compile(r"[\u3400-\u9fff]")
_ID_KEYS = {header_key(a) for a in ("unit", "ucode", "unit code", "code", "id")}


@dataclass
class RawTable:
    """A table as read from a file, before any interpretation.

    ``frame`` holds the data rows only, columns numbered 0…n-1, cells as read (text, or numbers
    where the reader already knew them); ``headers[j]`` is the header text of column ``j`` as
    shown in messages and ``columns[j]`` its parse (units, scope …; by default the parse of
    ``headers[j]``); ``row_no[i]`` the 1-based source row of data row ``i`` (see
    :class:`~citystd.io.model.DataSource`); ``col_no[j]`` the 0-based source column of column ``j``.

    A dialect may add: ``header_rows[j]``, the source row of the cell that names column ``j`` (a
    multi-row header); ``row_attributes`` (e.g. ``province`` from a yearbook's group rows),
    aligned with the frame; ``year`` for a table without a year column, with ``year_note``
    saying where it came from.
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
    columns: list[ColumnHeader] | None = None
    header_rows: list[int | None] | None = None
    row_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    year: int | None = None
    year_note: Diagnostic | None = None
    dialect: str = "plain"
    cell_cols: np.ndarray | None = None  # panels reshaped by year: source column of each cell
    skip: np.ndarray | None = None  # rows that are not data (a yearbook's group rows)

    def __post_init__(self) -> None:
        if self.columns is None:
            self.columns = [parse_header([h]) for h in self.headers]

    def location(self, row: int | None, j: int | None) -> Location:
        cm = CellMap(self.kind, self.file, self.sheet, self.row_no, {}, [])
        return cm.location(row, int(self.col_no[j]) if j is not None else None)

    def header_location(self, j: int | None = None) -> Location:
        if self.kind == "rows" or self.header_row is None:
            return Location(self.file)
        row = self.header_row
        if j is not None and self.header_rows is not None and self.header_rows[j] is not None:
            row = self.header_rows[j]
        if j is None:
            return Location(self.file, sheet=self.sheet) if self.kind == "sheet" else Location(self.file, line=row)
        return self.location(row, j)

    def row_word(self) -> tuple[str, str]:
        """How rows are named in messages: ``("line", "行")`` for text files, else ``("row", "行")``."""
        return ("line", "行") if self.kind == "lines" else ("row", "行")


class Sink:
    """Collects diagnostics, at most ``cap`` per rule code, then one summary per code that counts
    the findings left out (``Diagnostic.more``), so that totals count what was found."""

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
                f"……另有 {n:,} 条同类问题未列出（仅显示前 {self.cap:,} 条）"), Location(self.file), more=n))
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
        if key == self.id_key or key in _CITY_KEYS or key in _YEAR_KEYS or key in _CODE_KEYS:
            return True
        if key in _VAR_KEYS or key in _VALUE_KEYS:
            return True
        return self.vocab.known(text)

    def is_name_column(self, text: str) -> bool:
        """A header of a city, code or year column (not data)."""
        key = header_key(text)
        return bool(key) and (key == self.id_key or key in _CITY_KEYS or key in _YEAR_KEYS or key in _CODE_KEYS)

    def text_columns(self, headers: Sequence[str]) -> set[int]:
        """Columns to read as text (never as numbers): the city, code and variable columns."""
        out = set()
        for j, h in enumerate(headers):
            key = header_key(h)
            if key == self.id_key or key in _CITY_KEYS or key in _VAR_KEYS or key in _CODE_KEYS:
                out.add(j)
        return out


def find_header_row(rows: Sequence[Sequence[object]], recognise: Recogniser) -> int | None:
    """Index of the header among the first rows: the first row with two non-empty cells of
    which one is a known column name; else the first row with a known column name (a header
    whose city column is unnamed); else the first row with two non-empty cells (a title line
    has one); else the first non-empty row; None when every row is empty."""
    first_known = first_two = first_any = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        filled = [c for c in (cell_text(c) for c in row) if c]
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


def header_block_end(rows: Sequence[Sequence[object]], header: int, recognise: Recogniser,
                     limit: int = 4) -> int:
    """The index of the last row of a header that spans several rows.

    Under the header row, a row continues the header when its city columns (the columns whose
    header names the city, its code or the year, and the leftmost column) are empty and every
    filled cell is text, not a number: a second row ``全市 | 市辖区`` under ``常住人口``, or the
    English half of a header printed on two rows. At most ``limit`` rows in all.
    """
    head = rows[header] if header < len(rows) else []
    names = {j for j, c in enumerate(head) if recognise.is_name_column(cell_text(c))} | {0}
    end = header
    for i in range(header + 1, min(len(rows), header + limit)):
        row = rows[i]
        cells = [cell_text(c) for c in row]
        filled = [(j, c) for j, c in enumerate(cells) if c]
        if not filled or any(j in names for j, _ in filled):
            break
        if any(_is_number(c) for _, c in filled):
            break
        end = i
    return end


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def header_parts(rows: Sequence[Sequence[object]], first: int, last: int, width: int) -> list[list[str]]:
    """The header cells of every column over rows ``first…last``, with merged group headers
    carried to the right: an empty cell takes the text on its left in the same row, unless its
    column already has its own text in a row above (it starts a new group)."""
    grid = [[cell_text(r[j]) if j < len(r) else "" for j in range(width)] for r in rows[first:last + 1]]
    own_above = [False] * width
    parts: list[list[str]] = [[] for _ in range(width)]
    for row in grid:
        carried = ""
        for j in range(width):
            text = row[j]
            if text:
                carried = text
                parts[j].append(text)
            elif own_above[j]:  # a column of its own: nothing on its left reaches it, or beyond it
                carried = ""
            elif carried and j > 0 and len(grid) > 1:
                parts[j].append(carried)
        for j in range(width):
            own_above[j] = own_above[j] or bool(row[j])
    return parts


def cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        if cell != cell:
            return ""
        if cell.is_integer():
            return str(int(cell))
    return str(cell).strip()


_text = cell_text


def header_texts(row: Sequence[object]) -> list[str]:
    return [cell_text(c) for c in row]


def recognised_score(headers: Sequence[str], recognise: Recogniser) -> int:
    return sum(1 for h in headers if h and recognise.known(h))


# --- city, code and year columns ----------------------------------------------------------------


@dataclass
class Columns:
    """Where the city (and its code) and the year are; for long tables the variable and value."""

    city: int
    year: int | None
    variable: int | None = None
    value: int | None = None
    code: int | None = None

    def taken(self) -> set[int]:
        return {j for j in (self.city, self.year, self.variable, self.value, self.code) if j is not None}


def alias_column(keys: Sequence[str], aliases: dict[str, int], exclude: set[int]) -> int | None:
    best: tuple[int, int] | None = None
    for j, k in enumerate(keys):
        if j in exclude or k not in aliases:
            continue
        cand = (aliases[k], j)
        if best is None or cand < best:
            best = cand
    return None if best is None else best[1]


def find_city_year(raw: RawTable, keys: list[str], vocab: Vocabulary, id_column: str | None) -> Columns:
    """The city, year and code columns (D702 when no column identifies the cities).

    Among several columns headed like a city column (``城 市`` and ``City`` in a yearbook), the
    one whose names are mostly Chinese is the city; the others stay attributes (English names).
    A column of 6-digit division codes is the code column (:data:`CODE_ALIASES`).
    """
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
    year = alias_column(keys, _YEAR_KEYS, {city} if city is not None else set())
    code = _code_column(raw, keys, {j for j in (city, year) if j is not None})
    if city is None:
        taken = {j for j in (year, code) if j is not None}
        named = sorted((_CITY_KEYS[k], j) for j, k in enumerate(keys) if k in _CITY_KEYS and j not in taken)
        by_name = [j for _, j in named if keys[j] not in _ID_KEYS]
        if len(by_name) > 1:  # 城市 and City: the Chinese names
            chinese = [j for j in by_name if _mostly_chinese(raw.frame[j])]
            city = chinese[0] if chinese else named[0][1]
        elif named:
            city = named[0][1]
    if city is None and code is not None:
        city = code
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
    return Columns(city, year, code=code)


def _code_column(raw: RawTable, keys: list[str], exclude: set[int]) -> int | None:
    j = alias_column(keys, _CODE_KEYS, exclude)
    if j is None:
        return None
    vals = clean_text(raw.frame[j].head(200)).dropna()
    if len(vals) and vals.str.fullmatch(r"\d{6}(?:\d{6})?").mean() >= 0.8:
        return j
    return None


def _mostly_chinese(col: pd.Series) -> bool:
    vals = clean_text(col.head(200)).dropna()
    return bool(len(vals)) and vals.str.contains(_CJK).mean() >= 0.5


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


# --- rows ---------------------------------------------------------------------------------------


def where(unit: object, year: object) -> tuple[str, str]:
    if year is None or pd.isna(year):
        return f"city {unit}", f"城市 {unit}"
    return f"city {unit}, year {year}", f"城市 {unit}，{year} 年"


NOT_NUMBER_HINT = Msg(
    "write a plain number such as 1234.5 (45% is read as 45); leave the cell empty or write NA "
    "when the value is missing",
    "请填写纯数字，如 1234.5（45% 读作 45）；缺失值请留空或填写 NA")
EXCEL_ERROR_HINT = Msg(
    "fix the formula in the workbook, or clear the cell if the value is unknown",
    "请修正工作簿中的公式；如数值未知请清空该单元格")


@dataclass
class Rows:
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


def units_and_years(raw: RawTable, cols: Columns, sink: Sink, skip: np.ndarray | None = None) -> Rows:
    """The unit (city) and year of every data row; rows without a unit (D702) or with a bad year
    (D713) are left out, so are footnotes and the rows in ``skip`` (a yearbook's group rows).
    A table without a year column takes ``raw.year`` (None: cross-sectional)."""
    n = len(raw.frame)
    units = clean_text(raw.frame[cols.city]).to_numpy(dtype=object, copy=True)
    notes = _footnotes(raw, cols.city, units)
    for mask in (skip, raw.skip):
        if mask is not None:
            notes = notes | mask
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
        fill = pd.NA if raw.year is None else raw.year
        years = pd.Series(pd.array([fill] * n, dtype="Int64"))
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
            text = "" if cell is None or (isinstance(cell, float) and cell != cell) else cell_text(cell)
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
    return Rows(keep, units[keep], years.iloc[keep].reset_index(drop=True))


def report_duplicates(raw: RawTable, keys: list, rows: np.ndarray, loc_col: int,
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


def report_cells(raw: RawTable, j: int, parsed, rows: np.ndarray, units: np.ndarray,
                 years: pd.Series, label: tuple[str, str], sink: Sink, about: str | None = None) -> None:
    """D705 / D706 for the flagged cells of one parsed column (positions relative to ``rows``)."""
    col_en, col_zh = label
    for code, mask in (("D705", parsed.not_number), ("D706", parsed.excel_error)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        room = sink.room(code)
        for i in idx[:room]:
            text = parsed.text.get(i, "")
            w_en, w_zh = where(units[i], years.iloc[i])
            if code == "D705":
                msg = Msg(f"value '{text}' in {col_en} is not a number ({w_en})",
                          f"{col_zh}的值 '{text}' 不是数字（{w_zh}）")
                hint = NOT_NUMBER_HINT
            else:
                msg = Msg(f"Excel error '{text}' in {col_en} is read as missing ({w_en})",
                          f"{col_zh}的 Excel 错误值 '{text}' 按缺失处理（{w_zh}）")
                hint = EXCEL_ERROR_HINT
            sink.add(Diagnostic(code, msg, raw.location(int(raw.row_no[rows[i]]), j), hint, about=about))
        sink.skip(code, len(idx) - room)


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


def make_index(units: np.ndarray, years: pd.Series) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [pd.Index(units, dtype=object), pd.Index(years.array, dtype="Int64")], names=["unit", "year"])


def attribute_names(headers: Sequence[str], taken: set[str]) -> list[str]:
    out = []
    seen = set(taken)
    for h in headers:
        name, k = h, 2
        while name in seen:
            name, k = f"{h} ({k})", k + 1
        seen.add(name)
        out.append(name)
    return out


def rows_of(raw: RawTable, positions: np.ndarray) -> np.ndarray:
    """1-based source rows of frame rows ``positions``."""
    if raw.kind == "rows":
        return positions.astype("int64") + 1
    return raw.row_no[positions].astype("int64")
