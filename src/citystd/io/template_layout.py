"""Reading a workbook made by ``citystd template`` (the reader side of :mod:`citystd.assessment.template`).

A template carries a hidden marker sheet (:data:`MARKER_SHEET`) whose first row is
``citystd-template | v1`` followed by ``key | value`` rows: the framework, the layout, the data
sheet, its header row, the column of the ids and the cell holding the city name. The reader
finds it before looking for a header anywhere, so a filled template scores with no options.

Two layouts:

- ``years`` (one city): one row per variable or directly reported indicator, its id in the id
  column, and one column per year headed by the year. The values are transposed into the usual
  ``(unit, year) × id`` table; the city is the text of the city cell (else the marker's city,
  else the file name, with a warning). Every value keeps its own cell: a finding about
  unemployed persons in 2023 points at ``数据!H12``, not at a row or a column.
- ``cities`` (multi-city collection): a wide table whose header row holds ``城市``/``city``,
  ``年份``/``year`` and the ids, under a few rows of names, units and ranges for people. Read
  by the ordinary wide reader from the marker's header row; the data-source and remark columns
  are left out.

A year column with no value at all is left out with one warning (D716) at its header cell: a
year the city did not report is not a year of missing values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg, Severity, error
from citystd.io.cells import clean_text, column_letter, parse_numbers
from citystd.io.model import CellMap, CityData, DataSource
from citystd.io.plain import build_city_data
from citystd.io.table import RawTable, Sink, header_texts
from citystd.io.vocabulary import Vocabulary
from citystd.textkeys import header_key

MARKER_SHEET = "_citystd"
MARKER = "citystd-template"
VERSION = "v1"
LAYOUTS = ("years", "cities")

#: Header labels of the template's own columns that are not data (data source, remark …).
NOTE_HEADERS = frozenset(header_key(h) for h in ("数据来源", "备注", "data source", "remark", "source"))


@dataclass
class TemplateSheet:
    """The data sheet of a template as read, with the marker's settings."""

    info: dict[str, str]
    rows: list[list]
    file: str
    sheet: str
    header_row: int  # 1-based
    kind: Literal["sheet"] = "sheet"
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def layout(self) -> str:
        return self.info.get("layout", "years")

    def build(self, vocabulary: Mapping[str, Sequence[str]] | None,
              source: Callable[[Any], DataSource], max_diagnostics: int = 1000) -> CityData:
        """The :class:`CityData` of the template."""
        if self.layout == "cities":
            return _build_cities(self, vocabulary, source, max_diagnostics)
        return _build_years(self, vocabulary, source, max_diagnostics)


def read_marker(rows: Sequence[Sequence[object]] | None) -> dict[str, str] | None:
    """The marker's settings (``key → value`` texts), or None when ``rows`` are not a marker."""
    if not rows or not rows[0] or _cell_text(rows[0][0]) != MARKER:
        return None
    info = {"version": _cell_text(rows[0][1]) if len(rows[0]) > 1 else ""}
    for row in rows[1:]:
        if len(row) >= 2 and _cell_text(row[0]):
            info[_cell_text(row[0])] = _cell_text(row[1])
    return info


def template_sheet(info: dict[str, str], rows: list[list], file: str, sheet: str) -> TemplateSheet:
    """Check the marker's settings against the data sheet (D712 when they do not fit)."""
    if info.get("version") != VERSION or info.get("layout", "years") not in LAYOUTS:
        raise error("D712", f"'{file}' is a citystd template of an unknown version or layout "
                    f"({info.get('version')!r}, {info.get('layout')!r})",
                    f"'{file}' 是未知版本或布局的 citystd 模板（{info.get('version')!r}，{info.get('layout')!r}）",
                    Location(file), Msg("make a new template with `citystd template` and copy the values into it",
                                        "请用 `citystd template` 重新生成模板并把数值复制进去"))
    try:
        header = int(float(info.get("header_row", "")))
    except ValueError:
        header = 0
    if not 1 <= header <= len(rows):
        raise error("D712", f"the data sheet '{sheet}' of the template '{file}' has no header row {header}",
                    f"模板 '{file}' 的数据表 '{sheet}' 没有第 {header} 行表头", Location(file, sheet=sheet),
                    Msg("rows above the data were deleted; make a new template with `citystd template`",
                        "数据上方的行已被删除；请用 `citystd template` 重新生成模板"))
    return TemplateSheet(info, rows, file, sheet, header)


# --- the one-city layout: variables as rows, years as columns -------------------------------------


class TemplateCells(CellMap):
    """Cell positions of a ``years`` template: the row of each id, the column of each year."""

    def __init__(self, file: str, sheet: str, header_row: int, id_rows: dict[str, int], year_cols: np.ndarray,
                 columns: list[str], id_col: int) -> None:
        super().__init__("sheet", file, sheet, np.full(len(year_cols), header_row, dtype="int64"), {}, columns,
                         unit_col=id_col)
        self.header_row = header_row
        self.id_rows = id_rows
        self.year_cols = year_cols

    def row(self, i: int, column: str | None) -> int | None:
        if column is not None and column in self.id_rows:
            return self.id_rows[column]
        return self.header_row

    def locate(self, i: int | None, column: str | None) -> Location:
        if i is None or not 0 <= i < len(self.year_cols):
            return Location(self.file, sheet=self.sheet)
        col = int(self.year_cols[i])
        return Location(self.file, sheet=self.sheet, cell=f"{column_letter(col)}{self.row(i, column)}")


def _col_index(letters: str) -> int | None:
    if not re.fullmatch(r"[A-Za-z]{1,3}", letters or ""):
        return None
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """(0-based row, 0-based column) of ``D2``."""
    m = re.fullmatch(r"([A-Za-z]{1,3})([0-9]+)", ref or "")
    if not m:
        return None
    col = _col_index(m.group(1))
    return (int(m.group(2)) - 1, col) if col is not None else None


def _cell_text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _year(v: object) -> int | None:
    text = _cell_text(v).removesuffix("年").strip()
    if re.fullmatch(r"[12][0-9]{3}", text):
        return int(text)
    return None


def _at(rows: list[list], r: int, c: int) -> object:
    return rows[r][c] if 0 <= r < len(rows) and 0 <= c < len(rows[r]) else None


def _city(t: TemplateSheet, sink: Sink) -> str:
    ref = _cell_ref(t.info.get("city_cell", ""))
    text = None
    if ref is not None:
        text = clean_text(pd.Series([_at(t.rows, *ref)], dtype=object)).iloc[0]
    if text:
        return str(text)
    if t.info.get("city"):
        return t.info["city"]
    stem = Path(t.file).stem
    where = Location(t.file, sheet=t.sheet, cell=t.info.get("city_cell") or None)
    sink.add(Diagnostic("D702", Msg(f"the template's city name is empty; the file name '{stem}' is used as the city",
                                    f"模板中未填写城市名称；以文件名 '{stem}' 作为城市名称"), where,
                        Msg("write the city's name in this cell", "请在该单元格中填写城市名称"),
                        severity=Severity.WARNING))
    return stem


def _build_years(t: TemplateSheet, vocabulary: Mapping[str, Sequence[str]] | None,
                 source: Callable[[Any], DataSource], cap: int) -> CityData:
    vocab = Vocabulary(vocabulary)
    sink = Sink(t.file, cap)
    rows = t.rows
    h = t.header_row - 1
    id_col = _col_index(t.info.get("id_column", "")) or 0
    name_col = _col_index(t.info.get("name_column", ""))
    header = list(rows[h])
    year_cols: list[int] = []
    years: list[int] = []
    for j, cell in enumerate(header):
        y = _year(cell)
        if j <= id_col or y is None:
            continue
        if y in years:
            sink.add(Diagnostic("D704", Msg(f"year {y} heads two columns; only column "
                                            f"{column_letter(year_cols[years.index(y)])} is used",
                                            f"{y} 年出现在两列；仅使用第 {column_letter(year_cols[years.index(y)])} 列"),
                                Location(t.file, sheet=t.sheet, cell=f"{column_letter(j)}{t.header_row}"),
                                Msg("delete or rename one of the two columns", "请删除或更正其中一列")))
            continue
        year_cols.append(j)
        years.append(y)
    if not years:
        raise error("D712", f"the template's data sheet '{t.sheet}' has no year columns in row {t.header_row}",
                    f"模板数据表 '{t.sheet}' 第 {t.header_row} 行没有年份列", Location(t.file, sheet=t.sheet),
                    Msg("head the value columns with years such as 2023, or make a new template with "
                        "`citystd template --years …`",
                        "请用年份（如 2023）作为数值列的表头，或用 `citystd template --years …` 重新生成模板"))
    city = _city(t, sink)

    ids: list[str] = []
    id_rows: dict[str, int] = {}
    names: dict[str, str] = {}
    body_rows: list[int] = []
    for r in range(h + 1, len(rows)):
        text = _cell_text(_at(rows, r, id_col))
        if not text:
            continue
        vid = text if vocab.open else vocab.match(text)
        where = Location(t.file, sheet=t.sheet, cell=f"{column_letter(id_col)}{r + 1}")
        if vid is None:
            sink.add(Diagnostic("D703", Msg(f'"{text}" in the id column matches no variable or indicator; the row '
                                            "is ignored", f'标识列中的 "{text}" 与任何变量或指标都不匹配；该行已忽略'),
                                where, vocab.hint(text) or Msg("use a variable or indicator id",
                                                               "请使用变量或指标的标识符")))
            continue
        if vid in id_rows:
            sink.add(Diagnostic("D704", Msg(f'"{vid}" appears twice: row {id_rows[vid]} and row {r + 1}; only row '
                                            f"{id_rows[vid]} is used",
                                            f'"{vid}" 出现两次：第 {id_rows[vid]} 行和第 {r + 1} 行；仅使用第 {id_rows[vid]} 行'),
                                where, Msg("delete or correct one of the rows", "请删除或更正其中一行")))
            continue
        ids.append(vid)
        id_rows[vid] = r + 1
        body_rows.append(r)
        name = _cell_text(_at(rows, r, name_col)) if name_col is not None else ""
        names[vid] = name or vid

    data = np.full((len(years), len(ids)), np.nan)
    filled = np.zeros(len(years), dtype=bool)
    for k, (j, y) in enumerate(zip(year_cols, years, strict=True)):
        cells = pd.Series([_at(rows, r, j) for r in body_rows], dtype=object)
        parsed = parse_numbers(cells)
        data[k] = parsed.values
        filled[k] = bool(np.isfinite(parsed.values).any() or parsed.n_flagged)
        for code, mask in (("D705", parsed.not_number), ("D706", parsed.excel_error)):
            for i in np.flatnonzero(mask):
                vid, text = ids[i], parsed.text.get(i, "")
                loc = Location(t.file, sheet=t.sheet, cell=f"{column_letter(j)}{id_rows[vid]}")
                if code == "D705":
                    sink.add(Diagnostic(code, Msg(f"value '{text}' of \"{names[vid]}\" is not a number (city {city}, "
                                                  f"year {y})", f"\"{names[vid]}\" 的值 '{text}' 不是数字（城市 {city}，{y} 年）"),
                                        loc, Msg("write a plain number such as 1234.5 in the unit of the row; leave "
                                                 "the cell empty when the value is unknown",
                                                 "请按该行的单位填写纯数字，如 1234.5；数值未知时请留空")))
                else:
                    sink.add(Diagnostic(code, Msg(f"Excel error '{text}' of \"{names[vid]}\" is read as missing "
                                                  f"(city {city}, year {y})",
                                                  f"\"{names[vid]}\" 的 Excel 错误值 '{text}' 按缺失处理（城市 {city}，{y} 年）"),
                                        loc, Msg("fix the formula, or clear the cell if the value is unknown",
                                                 "请修正公式；如数值未知请清空该单元格")))
    if ids and filled.any():
        for k in np.flatnonzero(~filled):
            j, y = year_cols[k], years[k]
            sink.add(Diagnostic("D716", Msg(f"no value at all in the column of {y}; the year is left out",
                                            f"{y} 年一列没有任何数值；该年份不参与计算"),
                                Location(t.file, sheet=t.sheet, cell=f"{column_letter(j)}{t.header_row}"),
                                Msg("fill in the year's values, or ignore this if the city does not report it",
                                    "请填写该年份的数值；如该年份无需填报可忽略此提示")))
        keep = np.flatnonzero(filled)
    else:
        keep = np.arange(len(years))
    index = pd.MultiIndex.from_arrays(
        [pd.Index([city] * len(keep), dtype=object), pd.Index([years[k] for k in keep], dtype="Int64")],
        names=["unit", "year"])
    values = pd.DataFrame(data[keep], index=index, columns=pd.Index(ids, dtype=object))
    cells = TemplateCells(t.file, t.sheet, t.header_row, id_rows, np.asarray([year_cols[k] for k in keep]), ids,
                          id_col)
    return CityData(values, pd.DataFrame(index=index), source("template"), names, sink.finish(), cells)


# --- the multi-city layout: a wide table under rows of names ------------------------------------------


def _build_cities(t: TemplateSheet, vocabulary: Mapping[str, Sequence[str]] | None,
                  source: Callable[[Any], DataSource], cap: int) -> CityData:
    h = t.header_row - 1
    headers = header_texts(t.rows[h])
    keep_cols = [j for j, hd in enumerate(headers) if hd and header_key(hd) not in NOTE_HEADERS]
    body = t.rows[h + 1:]
    width = max([len(headers), *(len(r) for r in body)]) if body else len(headers)
    cells = [[(r[j] if j < len(r) else None) for j in keep_cols] for r in body]
    frame = pd.DataFrame(cells, columns=range(len(keep_cols)), dtype=object) if cells \
        else pd.DataFrame(columns=range(len(keep_cols)))
    frame = frame.replace("", np.nan)
    row_no = np.arange(h + 2, h + 2 + len(body), dtype="int64")
    blank = frame.isna().all(axis=1).to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    frame, row_no = frame.loc[~blank].reset_index(drop=True), row_no[~blank]
    frame.columns = range(frame.shape[1])
    del width
    if not len(frame):
        raise error("D711", f"the template '{t.file}' has no city rows", f"模板 '{t.file}' 没有城市行",
                    Location(t.file, sheet=t.sheet), Msg("add one row per city (and year)",
                                                         "请为每个城市（及年份）添加一行数据"))
    raw = RawTable(frame, [headers[j] for j in keep_cols], row_no, np.asarray(keep_cols, dtype="int64"), "sheet",
                   t.file, t.sheet, t.header_row)
    city_header = t.info.get("city_header") or None
    return build_city_data(raw, vocabulary, source=lambda _kind: source("template"), layout="wide",
                           id_column=city_header, max_diagnostics=cap)
