"""The yearbook dialect: a statistical yearbook table as printed (中国城市统计年鉴 and the like).

::

    2-1人口数                                               ← title (and English title) rows
    单位：万人   (10 000 persons)                            ← the table's unit, if one for all
    城 市 | City | 常住人口（万人）Permanent … |      | 常住人口城镇化率(%) …
          |      |                            |      |                                ← header of 1–3 rows
          |      | 全市 Total City | 市辖区 Districts under City | 全市 Total City
    北京市 | Beijing | 2186 | 2186 | 87.83
    河北省 | Hebei |      |      |                          ← a province: a group row, no data
      石家庄市 | Shijiazhuang | 1123 | 578 | 72.28         ← its cities, indented

What this module adds to a plain table (:func:`apply`):

- the **header block** (:func:`~citystd.io.table.header_block_end`) is read column by column, a
  merged group header carried over the columns under it
  (:func:`~citystd.io.table.header_parts`), and parsed (:func:`~citystd.io.headers.parse_header`):
  names in both languages, the unit in brackets, the 全市 / 市辖区 row as the column's scope;
- the **title rows** give the unit of the whole table (``单位：万元``), its scope (``…(全市)``)
  and its year (``2023年``); without a year in the title, a path naming the yearbook's edition
  (``中国城市统计年鉴2024``) gives the data year, the edition minus one (D730 says so);
- **group rows** — a name without data, not indented, followed by indented names or naming a
  province (the city register knows them) — are not cities: the rows under one get its name as
  their ``province``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePath

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg
from citystd.io.detect import Found
from citystd.io.headers import parse_header, scope_of_label, title_scope, unit_line
from citystd.io.table import RawTable, Recogniser, cell_text, header_parts

_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?!\s*鉴)")
_EDITION = re.compile(r"(?:统计年鉴|年鉴|yearbook)\s*[（(]?\s*((?:19|20)\d{2})", re.IGNORECASE)
_INDENT = re.compile(r"^[ \u3000\t]+\S")
_PROVINCE = re.compile(r"(?:省|自治区|特别行政区)$")


def apply(raw: RawTable, head: Sequence[Sequence[object]], found: Found, recognise: Recogniser,
          line_of: Callable[[int], int], path: str | None) -> RawTable:
    """Give ``raw`` (read under the header's first row) the yearbook's headers, group rows, unit,
    scope and year. ``line_of(i)`` is the source row of head row ``i``."""
    width = raw.frame.shape[1]
    parts = header_parts(head, found.header, found.end, max(width, int(raw.col_no.max(initial=-1)) + 1))
    parts = [parts[int(c)] for c in raw.col_no]
    table_unit = next((u for t in found.titles if (u := unit_line(t))), None)
    table_scope = next((s for t in found.titles if (s := title_scope(t))), None)
    headers, columns, header_rows = [], [], []
    for j, texts in enumerate(parts):
        if not texts or recognise.is_name_column(texts[0]):
            text = texts[0] if texts else ""
            headers.append(text)
            columns.append(parse_header([text]))
        else:
            head_j = parse_header(texts, table_scope=table_scope, table_unit=table_unit)
            headers.append(head_j.text)
            columns.append(head_j)
        header_rows.append(_own_row(head, found, int(raw.col_no[j]), line_of))
    raw.headers, raw.columns, raw.header_rows = headers, columns, header_rows
    raw.dialect = "yearbook"
    if raw.year is None:
        raw.year, raw.year_note = _year(found.titles, path, raw.file)
    _group_rows(raw, recognise)
    return raw


def _own_row(head: Sequence[Sequence[object]], found: Found, col: int, line_of: Callable[[int], int]) -> int | None:
    """The source row of the cell that names column ``col``: its deepest own cell that is not a
    scope label (常住人口城镇化率(%) rather than 全市 under it), else its deepest own cell (市辖区
    under a merged 常住人口), else the header's first row."""
    own = [i for i in range(found.header, found.end + 1) if col < len(head[i]) and cell_text(head[i][col])]
    named = [i for i in own if scope_of_label(cell_text(head[i][col])) is None]
    if named:
        return line_of(named[-1])
    return line_of(own[-1] if own else found.header)


def _year(titles: list[str], path: str | None, file: str) -> tuple[int | None, Diagnostic | None]:
    for t in titles:
        m = _TITLE_YEAR.search(t)
        if m:
            return int(m.group(1)), None
    if path:
        for part in reversed(PurePath(path).parts):
            m = _EDITION.search(part)
            if m:
                edition = int(m.group(1))
                year = edition - 1
                return year, Diagnostic("D730", Msg(
                    f"the table states no year: {year} is taken from '{part}' (a yearbook of {edition} reports "
                    f"the year {year})",
                    f"表格未注明年份：根据 '{part}' 取 {year} 年（{edition} 年版年鉴刊载 {year} 年数据）"),
                    Location(file), Msg("pass --year to set another year", "如需指定其他年份，请使用 --year"))
    return None, None


def _is_province(name: str) -> bool:
    """A province-level unit's name per the city register (河北省, Hebei, 内蒙古 …); not a municipality."""
    from citystd.io.cities import register

    reg = register()
    return reg.is_province(name) and not reg.resolve(name).ok


def _group_rows(raw: RawTable, recognise: Recogniser) -> None:
    """Mark the province group rows (``raw.skip``) and give the rows under each its ``province``."""
    names_j = [j for j, h in enumerate(raw.headers) if recognise.is_name_column(h)] or [0]
    name_col = names_j[0]
    n = len(raw.frame)
    if not n:
        return
    names = raw.frame[name_col]
    texts = names.map(lambda v: v if isinstance(v, str) else ("" if v is None or v != v else str(v)))
    indented = texts.str.match(_INDENT).fillna(False).to_numpy(dtype=bool)
    stripped = texts.str.strip().to_numpy(dtype=object)
    value_cols = [j for j in range(raw.frame.shape[1]) if j not in names_j]
    if value_cols:
        vals = raw.frame[value_cols]
        empty = (vals.isna() | (vals.astype(object).map(lambda v: isinstance(v, str) and not v.strip()))).all(axis=1)
        no_data = empty.to_numpy(dtype=bool)
    else:
        no_data = np.ones(n, dtype=bool)
    named = stripped != ""
    nxt_indented = np.zeros(n, dtype=bool)
    nxt_indented[:-1] = indented[1:]
    province_like = np.array([bool(s) and (bool(_PROVINCE.search(s)) or _is_province(s)) for s in stripped], dtype=bool)
    group = named & ~indented & no_data & (nxt_indented | province_like)
    if not group.any():
        return
    raw.skip = group if raw.skip is None else (raw.skip | group)
    label = pd.Series(np.where(group, stripped, None), dtype=object)
    current = label.ffill().to_numpy(dtype=object)
    province = np.where(indented & pd.notna(current), current, None)
    if "province" not in raw.headers:
        raw.row_attributes["province"] = province
