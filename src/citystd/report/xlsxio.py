"""Writing .xlsx files with openpyxl: fast for large tables, reproducible byte for byte, text as text.

openpyxl builds every cell as a Python object and serialises it through a pure-Python XML
writer: about 100,000 cells a second here, so a 300-city × 300-indicator report (two long sheets
of 90,000 rows) would take half a minute. :class:`Book` keeps openpyxl for everything it does
well — styles, column widths, frozen panes, filters, conditional formatting, charts, the package
structure — and writes the rows of each sheet itself, as ``<sheetData>`` XML put into the
worksheet part while the zip is written:

- numbers as ``<v>`` with the shortest round-trip text, missing values as absent cells;
- text as shared strings (``t="s"``, one table for the workbook: city and indicator names
  repeat thousands of times), so no value from the data can become a formula; text that a
  spreadsheet would run as a formula when edited (starting with ``=``, ``+``, ``-``, ``@``, tab
  or CR) also gets a style with ``quotePrefix`` (Excel's leading apostrophe);
- the style of each cell is an openpyxl style registered in the workbook (:meth:`Book.style`).

Every zip entry is dated :data:`FIXED_TIME` and the document properties are fixed, so the same
content gives the same bytes (as ``examples/make_examples.py`` does for the example workbook).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from citystd.textsafe import FORMULA_START

#: document properties and zip entry times of every report workbook
FIXED_TIME = datetime.datetime(2020, 1, 1, 0, 0, 0)


#: parts larger than this are compressed with the fastest deflate level
_LARGE = 4_000_000
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def risky(text: str) -> bool:
    """True when ``text`` would be read as a formula if typed into a cell."""
    return text.startswith(FORMULA_START)


def display_width(text: str) -> int:
    """Width of ``text`` in a fixed-width font: East-Asian wide and full-width characters count 2."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def xml_text(text: str) -> str:
    """``text`` escaped for XML character data; characters XML cannot hold become U+FFFD."""
    text = _ILLEGAL_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _FixedZip(zipfile.ZipFile):
    """A zip whose entries all carry one date, with worksheet parts patched as they are written."""

    def __init__(self, file: Any, patches: dict[str, Any], date_time: tuple[int, ...]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._patches, self._date_time = patches, date_time

    def _put(self, name: str, data: bytes, external_attr: int) -> None:
        patch = self._patches.get(name)
        if patch is not None:
            data = patch(data)
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = external_attr
        # large sheets: the fastest level (4× faster than the default, files ~20 % larger)
        super().writestr(info, data, compresslevel=1 if len(data) > _LARGE else None)

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,  # type: ignore[override]
                 compresslevel: Any = None) -> None:
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        self._put(name, data.encode("utf-8") if isinstance(data, str) else data, 0o600 << 16)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,  # type: ignore[override]
              compresslevel: Any = None) -> None:
        with open(filename, "rb") as fh:
            data = fh.read()
        self._put(str(arcname or filename), data, 0o100600 << 16)


def workbook_bytes(wb: Workbook, *, date_time: datetime.datetime = FIXED_TIME,
                   patches: dict[str, Any] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook as .xlsx bytes, every date fixed to ``date_time`` (same workbook → same bytes).

    ``patches`` maps a part name (``xl/worksheets/sheet1.xml``) to a function of its bytes;
    ``extra`` holds parts to add (the caller patches the manifest and relationships to match).
    """
    wb.properties.created = date_time
    wb.properties.modified = date_time
    buf = io.BytesIO()
    with _FixedZip(buf, patches or {}, date_time.timetuple()[:6]) as archive:
        ExcelWriter(wb, archive).write_data()  # not wb.save(): that stamps the current time
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buf.getvalue()


_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _shared_strings_xml(strings: list[str]) -> bytes:
    items = []
    for text in strings:
        space = ' xml:space="preserve"' if text != text.strip() or "\n" in text or "\t" in text else ""
        items.append(f"<si><t{space}>{xml_text(text)}</t></si>")
    head = f'<sst xmlns="{_MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
    return (head + "".join(items) + "</sst>").encode("utf-8")


class Sheet:
    """The rows of one worksheet, kept as XML text (see the module docstring)."""

    def __init__(self, book: Book, ws: Worksheet) -> None:
        self.book, self.ws = book, ws
        self.parts: list[str] = []
        self.nrows = 0
        self.ncols = 0
        self.widths: list[int] = []  # widest text per column (display width)
        self.magnitude: list[float] = []  # largest absolute number per column
        self.formats: dict[int, str | None] = {}  # number format of each column's first style
        self._letters: list[str] = []
        self._attr_cache: dict[tuple, list[str]] = {}

    def _letter(self, col: int) -> str:
        return self._letters_for(col + 1)[col]

    def append(self, values: Sequence[Any], styles: Sequence[int] | int = 0, *, height: float | None = None) -> int:
        """Add one row (``None`` = empty cell); ``styles``: one style id per column, or one for all.

        Returns the 1-based row number.
        """
        self.nrows += 1
        row = str(self.nrows)
        n = len(values)
        if n > self.ncols:
            self.ncols = n
        letters = self._letters_for(n)
        attrs = self._style_attrs(styles, n)
        book, widths, big = self.book, self.widths, self.magnitude
        cells = []
        add = cells.append
        for j, v in enumerate(values):
            if v is None:
                continue
            t = type(v)
            if t is float:
                if v != v or v in _INF:
                    continue
                add(f'<c r="{letters[j]}{row}"{attrs[j]}><v>{v!r}</v></c>')
                if abs(v) > big[j]:
                    big[j] = abs(v)
            elif t is str:
                if not v:
                    continue
                sid = styles if isinstance(styles, int) else styles[j]
                add(f'<c r="{letters[j]}{row}"{book._text_fragment(v, sid)}')
                w = book._width(v)
                if w > widths[j]:
                    widths[j] = w
            elif t is bool:
                add(f'<c r="{letters[j]}{row}"{attrs[j]} t="b"><v>{int(v)}</v></c>')
            else:
                f = float(v)
                if f != f or f in _INF:
                    continue
                add(f'<c r="{letters[j]}{row}"{attrs[j]}><v>{int(v) if f.is_integer() else f!r}</v></c>')
                if abs(f) > big[j]:
                    big[j] = abs(f)
        ht = f' ht="{height}" customHeight="1"' if height else ""
        self.parts.append(f'<row r="{row}"{ht}>{"".join(cells)}</row>')
        return self.nrows

    def extend_columns(self, columns: Sequence[Sequence[Any]], styles: Sequence[int | Sequence[int]]) -> None:
        """Add rows given column by column (all of one length): the fast path for long tables.

        ``styles[j]`` is one style id for column ``j`` or one per row. A column holding any text is
        written as text (other values as their ``str``); otherwise as numbers (``None`` and NaN:
        empty cells).
        """
        n = len(columns[0]) if columns else 0
        if not n:
            return
        start = self.nrows + 1
        rownums = [str(i) for i in range(start, start + n)]
        letters = self._letters_for(len(columns))
        book = self.book
        pieces = []
        for j, col in enumerate(columns):
            letter, st = letters[j], styles[j]
            per_row = list(st) if not isinstance(st, int) else None
            if str in set(map(type, col)):
                if per_row is None:
                    m = {v: book._text_fragment(str(v), st) for v in dict.fromkeys(col) if v is not None and v != ""}
                    xs = [f'<c r="{letter}{rn}"{m[v]}' if v is not None and v != "" else ""
                          for rn, v in zip(rownums, col, strict=True)]
                else:
                    keys = dict.fromkeys(zip(col, per_row, strict=True))
                    mk = {k: book._text_fragment(str(k[0]), k[1]) for k in keys if k[0] is not None and k[0] != ""}
                    xs = [f'<c r="{letter}{rn}"{mk[(v, s)]}' if v is not None and v != "" else ""
                          for rn, v, s in zip(rownums, col, per_row, strict=True)]
                texts = {str(v) for v in col if v is not None}
                w = max((book._width(t) for t in texts), default=0)
                if w > self.widths[j]:
                    self.widths[j] = w
            else:
                if per_row is None:
                    a = f' s="{st}"' if st else ""
                    xs = [f'<c r="{letter}{rn}"{a}><v>{v!r}</v></c>' if v is not None and v == v else ""
                          for rn, v in zip(rownums, col, strict=True)]
                else:
                    amap = {x: f' s="{x}"' if x else "" for x in set(per_row)}
                    xs = [f'<c r="{letter}{rn}"{amap[x]}><v>{v!r}</v></c>' if v is not None and v == v else ""
                          for rn, v, x in zip(rownums, col, per_row, strict=True)]
                nums = [v for v in col if v is not None and v == v]
                big = max(max(nums), -min(nums)) if nums else 0.0
                if big > self.magnitude[j]:
                    self.magnitude[j] = float(big)
            first = st if per_row is None else (per_row[0] if per_row else 0)
            self.formats.setdefault(j, book._style_keys.get(first, (None,))[0] if first else None)
            pieces.append(xs)
        self.parts.extend([f'<row r="{rn}">{"".join(cells)}</row>'
                           for rn, cells in zip(rownums, zip(*pieces, strict=True), strict=True)])
        self.nrows += n
        self.ncols = max(self.ncols, len(columns))

    def _letters_for(self, n: int) -> list[str]:
        while len(self._letters) < n:
            self._letters.append(get_column_letter(len(self._letters) + 1))
            self.widths.append(0)
            self.magnitude.append(0.0)
        return self._letters

    def _style_attrs(self, styles: Sequence[int] | int, n: int) -> list[str]:
        key = (styles, n) if isinstance(styles, int) else tuple(styles)
        attrs = self._attr_cache.get(key)
        if attrs is None:
            ids = [styles] * n if isinstance(styles, int) else list(styles)
            attrs = self._attr_cache[key] = [f' s="{s}"' if s else "" for s in ids]
            for j, s in enumerate(ids):
                self.formats.setdefault(j, self.book._style_keys.get(s, (None,))[0] if s else None)
        return attrs

    def extend(self, rows: Iterable[Sequence[Any]], styles: Sequence[int] | int = 0) -> None:
        for r in rows:
            self.append(r, styles)

    def reset_widths(self) -> None:
        """Forget the widths seen so far (title rows whose text may overflow into empty cells)."""
        self.widths = [0] * len(self.widths)
        self.magnitude = [0.0] * len(self.magnitude)

    def fit_columns(self, minimum: int = 6, maximum: int = 60, fixed: dict[int, float] | None = None) -> None:
        """Set column widths from the widest value (Chinese characters count 2) within bounds."""
        for j in range(self.ncols):
            if fixed and j in fixed:
                width = fixed[j]
            else:
                width = min(max(self.widths[j], _number_width(self.magnitude[j], self.formats.get(j))) + 2, maximum)
                width = max(width, minimum)
            self.ws.column_dimensions[self._letter(j)].width = width

    def ref(self, first_row: int = 1, last_row: int | None = None, first_col: int = 0,
            last_col: int | None = None) -> str:
        """An A1 range of this sheet (columns 0-based, rows 1-based; defaults: all rows and columns)."""
        last_row = self.nrows if last_row is None else last_row
        last_col = self.ncols - 1 if last_col is None else last_col
        return f"{self._letter(first_col)}{first_row}:{self._letter(max(last_col, first_col))}{max(last_row, first_row)}"

    def xml(self) -> str:
        return "".join(self.parts)


def _number_width(magnitude: float, number_format: str | None) -> int:
    """Rough display width of numbers up to ``magnitude`` in ``number_format``."""
    if magnitude == 0:
        return 0
    digits = len(str(int(magnitude))) if magnitude < 1e15 else 15
    if number_format and "." in number_format:
        decimals = len(number_format.split(".")[1].rstrip("%"))
    else:
        decimals = 0 if number_format else 4
    return digits + (digits - 1) // 3 + decimals + 2


_INF = (float("inf"), float("-inf"))
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.S)
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


class Book:
    """An openpyxl workbook whose sheets' rows are written by :class:`Sheet` (see the module docstring)."""

    def __init__(self, *, creator: str = "citystd") -> None:
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.wb.properties.creator = creator
        self.sheets: list[Sheet] = []
        self._styles: dict[tuple, int] = {}
        self._quoted: dict[int, int] = {}
        self._style_keys: dict[int, tuple] = {0: ()}
        self._text_cache: dict[tuple[str, int], str] = {}
        self._strings: dict[str, int] = {}
        self._width_cache: dict[str, int] = {}
        # a worksheet outside the workbook, to register styles through openpyxl's cells
        self._proto = Worksheet(self.wb, title="styles")

    def sheet(self, title: str) -> Sheet:
        ws = self.wb.create_sheet(title=title[:31])
        s = Sheet(self, ws)
        self.sheets.append(s)
        return s

    def style(self, *, number_format: str | None = None, bold: bool = False, italic: bool = False,
              colour: str | None = None, size: float | None = None, fill: str | None = None,
              wrap: bool = False, horizontal: str | None = None, vertical: str | None = None,
              border_bottom: bool = False, quote: bool = False) -> int:
        """The id of a cell style (registered in the workbook once)."""
        key = (number_format, bold, italic, colour, size, fill, wrap, horizontal, vertical, border_bottom, quote)
        sid = self._styles.get(key)
        if sid is not None:
            return sid
        cell = Cell(self._proto)
        if number_format:
            cell.number_format = number_format
        if bold or italic or colour or size:
            cell.font = Font(bold=bold, italic=italic, color=colour.lstrip("#") if colour else None, size=size)
        if fill:
            cell.fill = PatternFill("solid", start_color=fill.lstrip("#"), end_color=fill.lstrip("#"))
        if wrap or horizontal or vertical:
            cell.alignment = Alignment(wrap_text=wrap, horizontal=horizontal, vertical=vertical)
        if border_bottom:
            cell.border = Border(bottom=Side(style="thin", color="808080"))
        if quote:
            cell.quotePrefix = True
        sid = cell.style_id
        self._styles[key] = sid
        self._style_keys[sid] = key
        return sid

    def _quoted_style(self, sid: int) -> int:
        q = self._quoted.get(sid)
        if q is None:
            key = self._style_keys.get(sid, ())
            names = ("number_format", "bold", "italic", "colour", "size", "fill", "wrap", "horizontal",
                     "vertical", "border_bottom", "quote")
            kwargs = dict(zip(names, key, strict=False)) if key else {}
            kwargs["quote"] = True
            q = self._quoted[sid] = self.style(**kwargs)
        return q

    def _text_fragment(self, text: str, sid: int) -> str:
        """The cell XML after ``<c r="A1"`` for a shared string (cached: names repeat)."""
        key = (text, sid)
        frag = self._text_cache.get(key)
        if frag is None:
            index = self._strings.get(text)
            if index is None:
                index = self._strings[text] = len(self._strings)
            s = self._quoted_style(sid) if risky(text) else sid
            style = f' s="{s}"' if s else ""
            frag = f'{style} t="s"><v>{index}</v></c>'
            self._text_cache[key] = frag
        return frag

    def _width(self, text: str) -> int:
        w = self._width_cache.get(text)
        if w is None:
            w = self._width_cache[text] = max((display_width(line) for line in text.split("\n")), default=0)
        return w

    def to_bytes(self, date_time: datetime.datetime = FIXED_TIME) -> bytes:
        """The .xlsx file (reproducible: the same content gives the same bytes)."""
        patches = {}
        for idx, ws in enumerate(self.wb.worksheets, 1):
            sheet = next((s for s in self.sheets if s.ws is ws), None)
            if sheet is not None:
                patches[f"xl/worksheets/sheet{idx}.xml"] = _patch(sheet)
        if self._strings:
            rel = f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" Id="rIdStrings" />'.encode()
            override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}" />'.encode()
            patches["xl/_rels/workbook.xml.rels"] = lambda d: d.replace(b"</Relationships>", rel + b"</Relationships>")
            patches["[Content_Types].xml"] = lambda d: d.replace(b"</Types>", override + b"</Types>")
            extra = {"xl/sharedStrings.xml": _shared_strings_xml(list(self._strings))}
        else:
            extra = {}
        return workbook_bytes(self.wb, date_time=date_time, patches=patches, extra=extra)


def _patch(sheet: Sheet) -> Any:
    def patch(data: bytes) -> bytes:
        if sheet.nrows and sheet.ncols:  # before the rows go in: the regex then scans a small part
            dim = f'<dimension ref="{sheet.ref()}" />'.encode()
            data = _DIMENSION.sub(lambda _m: dim, data, count=1)
        m = _SHEET_DATA.search(data)
        if m is None:
            raise ValueError(f"no sheetData in the part of sheet {sheet.ws.title!r}")
        return b"".join([data[:m.start()], b"<sheetData>", sheet.xml().encode("utf-8"), b"</sheetData>",
                         data[m.end():]])

    return patch
