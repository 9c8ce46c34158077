"""The result of reading a city data file: :class:`CityData`, and how its cells are located.

Locations are computed on demand from a few integer arrays kept per table (the source row of each
unit-year row, the source column of each value column, and for long tables the source row of each
cell). Nothing is built per cell until a diagnostic needs it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Severity
from citystd.io.cells import column_letter

SourceKind = Literal["sheet", "lines", "rows"]


@dataclass(frozen=True)
class DataSource:
    """Where the data came from.

    ``file`` is the name shown in messages (the path as given, or ``display``); ``row_kind`` says
    what source row numbers are: ``"sheet"`` rows of a worksheet (1-based, as Excel shows them),
    ``"lines"`` physical lines of a text file (1-based), ``"rows"`` 1-based data rows of a
    Parquet file (no header row).
    """

    file: str
    path: str
    sha256: str
    format: str  # "xlsx", "xls", "ods", "csv", "parquet" …; "merged" for several inputs
    sheet: str | None
    layout: Literal["wide", "long", "template", "merged"]
    encoding: str | None = None
    header_row: int | None = None  # 1-based row (sheet) or line (text) of the header
    row_kind: SourceKind = "rows"
    dialect: str = "plain"  # plain, yearbook, panel, template; "merged" for several inputs

    def to_dict(self) -> dict[str, object]:
        """What results and check reports say about this input."""
        return {"file": self.file, "sha256": self.sha256, "sheet": self.sheet, "layout": self.layout,
                "dialect": self.dialect}


@dataclass(frozen=True)
class ColumnInfo:
    """How one values column was read: its header, where that is, and the unit conversion.

    ``unit`` is the unit the header (or the table's ``单位：`` line) stated, ``factor`` what the
    values were multiplied by to reach the variable's unit (1.0 without a stated unit), ``scope``
    the scope the header stated, ``variant`` the kind of a variant series (``interpolated``).
    """

    id: str
    header: str
    location: Location
    unit: str | None = None
    factor: float = 1.0
    scope: str | None = None
    variant: str | None = None

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {"id": self.id, "header": self.header, "file": loc.file, "sheet": loc.sheet, "cell": loc.cell,
                "line": loc.line, "unit": self.unit, "factor": self.factor, "scope": self.scope,
                "variant": self.variant}


@dataclass
class CellMap:
    """Source positions of the cells of :attr:`CityData.values` and :attr:`CityData.attributes`.

    - ``row_of[i]``: the source row of values row ``i`` (for long tables: its first record);
    - ``col_of[column]``: the 0-based source column of a values or attributes column;
    - ``cell_rows``: long tables only, ``cell_rows[i, j]`` is the source row of the record that
      gave values cell ``(i, j)``, or -1 when there was none.
    """

    kind: SourceKind
    file: str
    sheet: str | None
    row_of: np.ndarray
    col_of: dict[str, int]
    columns: list[str]
    cell_rows: np.ndarray | None = None
    unit_col: int | None = None  # 0-based source column of the unit ids
    cell_cols: np.ndarray | None = None  # panels reshaped by year: source column of each cell (-1: none)

    def col(self, i: int, column: str | None) -> int | None:
        if self.cell_cols is not None and column is not None and column in self._col_pos:
            c = int(self.cell_cols[i, self._col_pos[column]])
            return c if c >= 0 else None
        return self.col_of.get(column) if column is not None else None

    def row(self, i: int, column: str | None) -> int | None:
        if self.cell_rows is not None and column is not None and column in self._col_pos:
            r = int(self.cell_rows[i, self._col_pos[column]])
            return r if r >= 0 else None
        return int(self.row_of[i]) if 0 <= i < len(self.row_of) else None

    @property
    def _col_pos(self) -> dict[str, int]:
        cache = self.__dict__.get("_col_pos_cache")
        if cache is None:
            cache = {c: j for j, c in enumerate(self.columns)}
            self.__dict__["_col_pos_cache"] = cache
        return cache

    def locate(self, i: int | None, column: str | None) -> Location:
        """The location of values cell ``(i, column)``; ``column=None`` gives its row (its unit cell)."""
        if i is None:
            return self.location(None, None)
        row = self.row(i, column)
        col = self.col(i, column)
        if col is None and self.kind == "sheet":
            col = self.unit_col if self.unit_col is not None else min(self.col_of.values(), default=0)
        return self.location(row, col)

    def location(self, row: int | None, col: int | None) -> Location:
        if row is None:
            return Location(self.file, sheet=self.sheet) if self.kind == "sheet" else Location(self.file)
        if self.kind == "sheet":
            cell = f"{column_letter(col)}{row}" if col is not None else None
            return Location(self.file, sheet=self.sheet, cell=cell)
        if self.kind == "lines":
            return Location(self.file, line=row)
        return Location(self.file)


@dataclass
class CityData:
    """A city data file read into a clean table.

    - ``values``: float64, index ``MultiIndex(["unit", "year"])`` (``year`` is Int64, ``<NA>`` for
      cross-sectional data), one column per matched vocabulary id, in file order;
    - ``attributes``: the same index, the other columns (region, tier …) under their headers;
    - ``headers``: for each values column, the header as the user wrote it (long tables: the
      variable name as first written);
    - ``source``: file name, sha256 of the bytes, sheet, layout …;
    - ``diagnostics``: everything found while reading, in file order.

    :meth:`locate` gives the :class:`~citystd.diagnostics.Location` of any cell.
    """

    values: pd.DataFrame
    attributes: pd.DataFrame
    source: DataSource
    headers: dict[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cells: CellMap | None = field(default=None, repr=False)
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    sources: list[DataSource] = field(default_factory=list)  # every input (one, or several merged)
    codes: pd.Series | None = None  # 6-digit division code of each unit (index: unit), where known

    def __post_init__(self) -> None:
        if not self.sources:
            self.sources = [self.source]

    # --- locations ---------------------------------------------------------------------------

    def locate(self, unit: Hashable, year: int | None, column: str | None = None) -> Location:
        """The place of cell (unit, year, column) as the user sees it.

        xlsx: ``Location(file, sheet=…, cell="D12")``; CSV: ``Location(file, line=14)`` (name
        the column in the message, see :meth:`header`); Parquet: ``Location(file)``. An unknown
        unit-year gives the file alone; ``column=None`` gives the row (CSV) or its unit cell (xlsx).
        """
        i = self.position(unit, year)
        return self.locate_at(i, column)

    def locate_at(self, i: int | None, column: str | None = None) -> Location:
        """Like :meth:`locate`, by row position in :attr:`values`."""
        if self.cells is None:
            return Location(self.source.file)
        return self.cells.locate(i, column)

    def source_row(self, unit: Hashable, year: int | None, column: str | None = None) -> int | None:
        """The 1-based source row (sheet row or file line) of a cell, or None."""
        i = self.position(unit, year)
        if i is None or self.cells is None:
            return None
        return self.cells.row(i, column)

    def position(self, unit: Hashable, year: int | None) -> int | None:
        """Row position of (unit, year) in :attr:`values`, or None."""
        lookup = self.__dict__.get("_positions")
        if lookup is None:
            units = self.values.index.get_level_values("unit")
            years = self.values.index.get_level_values("year")
            ys = [None if pd.isna(y) else int(y) for y in years]
            lookup = {(u, y): i for i, (u, y) in enumerate(zip(units, ys, strict=True))}
            self.__dict__["_positions"] = lookup
        key_year = None if year is None or pd.isna(year) else int(year)
        return lookup.get((unit, key_year))

    def header(self, column: str) -> str:
        """The column header as the user wrote it (falls back to the id)."""
        return self.headers.get(column, column)

    # --- conveniences ------------------------------------------------------------------------

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.values.index.get_level_values("unit")))

    @property
    def years(self) -> list[int]:
        ys = self.values.index.get_level_values("year").dropna().unique()
        return sorted(int(y) for y in ys)

    @property
    def has_errors(self) -> bool:
        return any(d.level is Severity.ERROR for d in self.diagnostics)

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Severity.ERROR]

    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Severity.WARNING]

    def with_diagnostics(self, extra: Iterable[Diagnostic]) -> CityData:
        """A copy sharing the tables, with more diagnostics appended."""
        return replace(self, diagnostics=[*self.diagnostics, *extra])
