"""The panel dialect: research panels — city name, city code, province, and value columns,
one row per city and year, or one column per variable and year.

A table without a year column whose value columns carry a year in their header — ``popu_2010``,
``popu_2020``, ``age_65_2020``, ``2020年常住人口`` — is reshaped (:func:`apply`) into one row per
city and year with one column per variable (``popu``, ``age_65``): the census panel of
``china-census-2010-2020`` has this shape. Every value keeps its own source cell (the reshaped
table records the source column of each cell). At least two such columns with different years
are needed, so that a lone ``gdp_2019`` in an ordinary table is not mistaken for a panel.

The other traits of research panels — a code column beside the names (``city_code``), raw and
interpolated versions of a series side by side (``GDP``, ``GDP_插值``), formula cells — are
handled for every dialect (:mod:`citystd.io.table`, :mod:`citystd.io.wide`, :mod:`citystd.io.read`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from citystd.io.headers import parse_header
from citystd.io.table import _YEAR_KEYS, RawTable, Recogniser
from citystd.textkeys import header_key

_SUFFIX = re.compile(r"^(?P<stem>.*?\D)[\s_\-.]*(?P<year>(?:19|20)\d{2})\s*年?$")
_PREFIX = re.compile(r"^(?P<year>(?:19|20)\d{2})\s*年?[\s_\-.]*(?P<stem>\D.*)$")


def year_of(header: str) -> tuple[str, int] | None:
    """``(stem, year)`` of a header carrying a year (``popu_2020`` → ``("popu", 2020)``)."""
    h = header.strip()
    for pattern in (_SUFFIX, _PREFIX):
        m = pattern.match(h)
        if m and m.group("stem").strip(" _-."):
            return m.group("stem").strip(" _-."), int(m.group("year"))
    return None


def apply(raw: RawTable, recognise: Recogniser) -> RawTable:
    """Reshape a panel with one column per variable and year (see the module docs); other tables
    are returned as they are."""
    if any(header_key(h) in _YEAR_KEYS for h in raw.headers):
        return raw
    dated: dict[int, tuple[str, int]] = {}
    for j, h in enumerate(raw.headers):
        if not h or recognise.is_name_column(h):
            continue
        got = year_of(h)
        if got is not None:
            dated[j] = got
    years = sorted({y for _, y in dated.values()})
    if len(dated) < 2 or len(years) < 2:
        return raw
    stems = list(dict.fromkeys(s for s, _ in dated.values()))
    fixed = [j for j in range(len(raw.headers)) if j not in dated]
    n, ny = len(raw.frame), len(years)
    rows = np.repeat(np.arange(n), ny)
    frame_cols: dict[int, object] = {}
    cell_cols = np.full((n * ny, len(fixed) + len(stems) + 1), -1, dtype="int64")
    for k, j in enumerate(fixed):
        frame_cols[k] = raw.frame[j].to_numpy(dtype=object)[rows]
        cell_cols[:, k] = int(raw.col_no[j])
    where = {(s, y): j for j, (s, y) in dated.items()}
    year_of_row = np.tile(np.asarray(years, dtype="int64"), n)
    for k, stem in enumerate(stems, start=len(fixed)):
        out = np.full(n * ny, None, dtype=object)
        for yi, y in enumerate(years):
            j = where.get((stem, y))
            if j is None:
                continue
            out[yi::ny] = raw.frame[j].to_numpy(dtype=object)
            cell_cols[yi::ny, k] = int(raw.col_no[j])
        frame_cols[k] = out
    year_k = len(fixed) + len(stems)
    frame_cols[year_k] = year_of_row
    frame = pd.DataFrame(frame_cols)
    headers = [*(raw.headers[j] for j in fixed), *stems, "year"]
    first_col = int(raw.col_no[fixed[0]]) if fixed else 0
    col_no = np.asarray([*(int(raw.col_no[j]) for j in fixed), *(int(raw.col_no[next(
        j for j, (s, _) in dated.items() if s == stem)]) for stem in stems), first_col], dtype="int64")
    cell_cols[:, year_k] = first_col
    attrs = {name: np.asarray(arr, dtype=object)[rows] for name, arr in raw.row_attributes.items()}
    skip = raw.skip[rows] if raw.skip is not None else None
    header_rows = None
    if raw.header_rows is not None:
        header_rows = [*(raw.header_rows[j] for j in fixed), *([raw.header_row] * len(stems)), raw.header_row]
    assert raw.columns is not None
    columns = [*(raw.columns[j] for j in fixed), *(parse_header([s]) for s in stems), parse_header(["year"])]
    return RawTable(frame, headers, raw.row_no[rows], col_no, raw.kind, raw.file, raw.sheet, raw.header_row,
                    list(raw.diagnostics), columns, header_rows, attrs, None, raw.year_note, "panel", cell_cols,
                    skip=skip)
