"""Reading city data files: ``.xlsx`` (and the other workbooks calamine reads), ``.csv`` and
``.parquet``, into a :class:`~citystd.io.model.CityData`.

The public entry point is :func:`read_city_data`. Files are only ever read (the bytes once, for
the sha256 and the parse), never written. Reading goes in three steps:

1. **the format**: the bytes become rows of cells — a workbook sheet with python-calamine (7.5×
   faster than openpyxl, see ``conventions.md`` §4.3), a CSV file's first lines with the csv
   module and the rest with pandas' C parser, a Parquet file with pandas/pyarrow;
2. **one detection step** (:mod:`citystd.io.detect`): where the header is and which dialect the
   table speaks — a ``citystd template`` (its marker sheet), a yearbook table
   (:mod:`citystd.io.yearbook`), a research panel (:mod:`citystd.io.panel`) or a plain wide or
   long table (:mod:`citystd.io.plain`);
3. **the builders** (:mod:`citystd.io.wide`, :mod:`citystd.io.plain`): columns matched to the
   vocabulary and converted to its units, cells parsed, findings collected.

- **Workbooks**: calamine reads Excel error cells as empty strings, and formula cells without a
  saved value as empty too; for ``.xlsx`` and ``.xlsm`` both are found by streaming the sheet's
  XML from the zip: error cells are put back to be reported as D706, formula cells without a
  value are reported as D732 (naming the cells).
- **CSV** is decoded as UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (a superset
  of GBK, what Chinese Excel writes). The delimiter is sniffed from the first lines (comma, tab,
  semicolon or bar). Lines are physical lines of the file, the header's line included.
- **Parquet** is read with pandas/pyarrow (``pip install 'citystd[parquet]'``).

When no ``sheet`` is given, the sheet is the first visible one whose header is recognisable and
that has data rows (a template's instructions sheet, an advertisement sheet, are passed over).

Fatal problems (unreadable, empty, no city column) raise :class:`~citystd.diagnostics.CitystdError`
carrying one diagnostic; everything else is collected in ``CityData.diagnostics``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg, error, suggestion
from citystd.io import panel, yearbook
from citystd.io.cells import header_key
from citystd.io.detect import Found, locate_table
from citystd.io.guard import check_input
from citystd.io.model import CityData, DataSource
from citystd.io.plain import build_city_data
from citystd.io.table import Layout, RawTable, Recogniser, header_texts, recognised_score
from citystd.io.template_layout import MARKER_SHEET, TemplateSheet, read_marker, template_sheet
from citystd.io.vocabulary import Vocabulary

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")

_ZIP_MAGIC = b"PK\x03\x04"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_city_data(
    path: str | os.PathLike[str],
    vocabulary: Mapping[str, Sequence[str]] | Vocabulary | None,
    *,
    sheet: str | int | None = None,
    layout: Layout = "auto",
    id_column: str | None = None,
    display: str | None = None,
    max_diagnostics: int = 1000,
    year: int | None = None,
    choose: Mapping[str, str] | None = None,
) -> CityData:
    """Read a city data file into a :class:`CityData`.

    ``vocabulary`` is a :class:`~citystd.io.vocabulary.Vocabulary` (names, aliases, scopes and
    units of a library), or a mapping of each id to the names that may head its column;
    ``None`` accepts every numeric column under its own header. ``sheet`` is a sheet name or
    0-based index (default: the sheet that holds the data). ``layout`` is ``"auto"``, ``"wide"``
    or ``"long"``. ``id_column`` names the column of unit ids (default: found by name, e.g.
    ``city``, ``城市``, ``uCode``). ``display`` is the file name used in messages (default: the
    path as given). ``year`` is the year of a table without a year column (default: from a
    yearbook's title or folder, else none). ``choose`` maps an id to the header of the column to
    take it from when several match. At most ``max_diagnostics`` findings per rule are listed,
    then one summary.

    Raises :class:`~citystd.diagnostics.CitystdError` (D701 unreadable, D711 empty, D702 no city
    column, D712 layout; U901 no such file) when nothing sensible can be returned.
    """
    check_input(path, display)  # a regular file within the size limit (citystd.io.guard: U901, U910, U911)
    p = Path(path)
    name = display or os.fspath(path)
    data = _read_bytes(p, name)
    digest = hashlib.sha256(data).hexdigest()
    suffix = p.suffix.lower()
    vocab = Vocabulary(vocabulary)
    recognise = Recogniser(vocab, id_column)
    where = os.fspath(p.resolve())

    encoding: str | None = None
    if suffix in WORKBOOK_SUFFIXES:
        raw = _read_workbook(data, name, suffix, sheet, recognise, template=layout == "auto", path=where)
        fmt = suffix[1:]
    elif suffix in TEXT_SUFFIXES:
        raw, encoding = _read_text(data, name, suffix, recognise, path=where)
        fmt = "csv"
    elif suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(data, name)
        fmt = "parquet"
    else:
        raise error(
            "D701", f"cannot read '{name}': unsupported file type '{suffix or '(none)'}'",
            f"无法读取 '{name}'：不支持的文件类型 '{suffix or '（无扩展名）'}'", Location(name),
            Msg("save the data as .xlsx, .csv or .parquet", "请将数据保存为 .xlsx、.csv 或 .parquet 格式"))

    if isinstance(raw, TemplateSheet):  # a workbook made by `citystd template`
        def template_source(kind: Literal["wide", "long", "template"]) -> DataSource:
            return DataSource(file=name, path=where, sha256=digest, format=fmt, sheet=raw.sheet, layout=kind,
                              encoding=encoding, header_row=raw.header_row, row_kind=raw.kind, dialect="template")

        return raw.build(vocab, template_source, max_diagnostics)

    table = _as_dialect(raw, recognise, layout, year)

    def source(kind: Literal["wide", "long", "template"]) -> DataSource:
        return DataSource(
            file=name, path=where, sha256=digest, format=fmt, sheet=table.sheet,
            layout=kind, encoding=encoding, header_row=table.header_row, row_kind=table.kind, dialect=table.dialect)

    return build_city_data(table, vocab, source=source, layout=layout, id_column=id_column,
                           max_diagnostics=max_diagnostics, choose=choose)


def read_frame(
    frame: pd.DataFrame,
    vocabulary: Mapping[str, Sequence[str]] | Vocabulary | None,
    *,
    name: str = "<DataFrame>",
    layout: Layout = "auto",
    id_column: str | None = None,
    max_diagnostics: int = 1000,
    year: int | None = None,
    choose: Mapping[str, str] | None = None,
) -> CityData:
    """Read a pandas DataFrame (wide or long, as a file would hold it) into a :class:`CityData`.

    The frame goes through the same detection and dialects as a Parquet file: its columns are the
    headers (a named index becomes columns), its rows data rows 1, 2, … (``name`` › row 3 in
    messages). The data set's sha256 is that of the frame's contents (its values and labels).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"read_frame needs a pandas DataFrame, not {type(frame).__name__}")
    vocab = Vocabulary(vocabulary)
    recognise = Recogniser(vocab, id_column)
    raw = _as_dialect(_frame_raw(frame, name), recognise, layout, year)
    digest = frame_sha256(frame)

    def source(kind: Literal["wide", "long", "template"]) -> DataSource:
        return DataSource(file=name, path=name, sha256=digest, format="dataframe", sheet=None, layout=kind,
                          header_row=None, row_kind="rows", dialect=raw.dialect)

    return build_city_data(raw, vocab, source=source, layout=layout, id_column=id_column,
                           max_diagnostics=max_diagnostics, choose=choose)


def _as_dialect(raw: RawTable, recognise: Recogniser, layout: Layout, year: int | None) -> RawTable:
    """A plain table reshaped when it is a research panel (columns per year), with its year set."""
    if layout != "long":
        raw = panel.apply(raw, recognise)
    if year is not None:
        raw.year, raw.year_note = year, None
    if raw.year_note is not None:
        raw.diagnostics.append(raw.year_note)
    return raw


def frame_sha256(frame: pd.DataFrame) -> str:
    """A SHA-256 of a frame's labels and values that does not depend on its memory layout."""
    h = hashlib.sha256()
    h.update(repr([str(c) for c in frame.columns]).encode("utf-8"))
    h.update(repr([str(n) for n in frame.index.names]).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _read_bytes(p: Path, name: str) -> bytes:
    if not p.exists():
        raise error("U901", f"no such file: {name}", f"文件不存在：{name}", Location(name), exit_code=2)
    if p.is_dir():
        raise error("U901", f"'{name}' is a directory, not a data file", f"'{name}' 是目录，不是数据文件",
                    Location(name), exit_code=2)
    try:
        return p.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise error("D701", f"cannot read '{name}': {reason}", f"无法读取 '{name}'：{reason}", Location(name),
                    Msg("check that the file is not open in another program and that you may read it",
                        "请确认文件未被其他程序占用，且有读取权限")) from None


def _empty(name: str, header_only: bool, loc: Location | None = None) -> Exception:
    if header_only:
        return error("D711", f"'{name}' has a header but no data rows", f"'{name}' 只有表头，没有数据行",
                     loc or Location(name), Msg("add one row per city (and year)", "请为每个城市（及年份）添加一行数据"))
    return error("D711", f"'{name}' is empty", f"'{name}' 是空文件", loc or Location(name),
                 Msg("the file has no data; check that you chose the right file",
                     "文件中没有数据；请确认选择了正确的文件"))


# --- blank rows --------------------------------------------------------------------------------


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is missing or an empty string (vectorised, column by column, only
    over rows still blank)."""
    n = len(frame)
    cand = np.arange(n)
    for j in frame.columns:
        if not len(cand):
            break
        col = frame[j].iloc[cand]
        blank = col.isna().to_numpy()
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            blank = blank | (col.astype(object) == "").to_numpy()
        cand = cand[blank]
    out = np.zeros(n, dtype=bool)
    out[cand] = True
    return out


def _finish_raw(frame: pd.DataFrame, headers: list[str], row_no: np.ndarray, col_no: np.ndarray,
                **kw: object) -> RawTable:
    frame = frame.reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    blank = _blank_rows(frame)
    if blank.any():
        keep = np.flatnonzero(~blank)
        frame = frame.iloc[keep].reset_index(drop=True)
        row_no = row_no[keep]
    return RawTable(frame, headers, row_no.astype("int64"), col_no.astype("int64"), **kw)  # type: ignore[arg-type]


# --- workbooks ---------------------------------------------------------------------------------


def _open_workbook(data: bytes, name: str, suffix: str):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several types; all mean "cannot read"
        raise _workbook_error(data, name, suffix, exc) from None


def _workbook_error(data: bytes, name: str, suffix: str, exc: Exception) -> Exception:
    kind = type(exc).__name__
    if not data.strip():
        return _empty(name, False)
    if (data.startswith(_CFB_MAGIC) and suffix != ".xls") or kind == "PasswordError":
        return error(
            "D701", f"cannot read '{name}': the workbook is password-protected (encrypted)",
            f"无法读取 '{name}'：工作簿设有打开密码（已加密）", Location(name),
            Msg("open it in Excel or WPS, remove the password (File › Info › Protect Workbook › "
                "Encrypt with Password: clear it) and save it again as .xlsx",
                "请在 Excel 或 WPS 中打开，取消密码（文件 › 信息 › 保护工作簿 › 用密码进行加密：清空密码）后另存为 .xlsx"))
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")) or _looks_like_text(data[:4096]):
        return error(
            "D701", f"cannot read '{name}': it is a text or web page file with a {suffix} name, "
            "not a real workbook",
            f"无法读取 '{name}'：这是以 {suffix} 命名的文本或网页文件，不是真正的工作簿", Location(name),
            Msg("open it in Excel or WPS and save it as .xlsx, or rename it to .csv if it is CSV text",
                "请在 Excel 或 WPS 中打开并另存为 .xlsx；如是 CSV 文本，请改扩展名为 .csv"))
    return error(
        "D701", f"cannot read '{name}': not a valid {suffix} workbook (the file is damaged or in "
        f"another format; {kind})",
        f"无法读取 '{name}'：不是有效的 {suffix} 工作簿（文件已损坏或为其他格式；{kind}）", Location(name),
        Msg("open it in Excel or WPS and save it again as .xlsx", "请在 Excel 或 WPS 中打开并重新另存为 .xlsx"))


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _read_workbook(data: bytes, name: str, suffix: str, sheet: str | int | None,
                   recognise: Recogniser, template: bool = True, path: str | None = None) -> RawTable | TemplateSheet:
    if not data:
        raise _empty(name, False)
    wb = _open_workbook(data, name, suffix)
    try:
        names = list(wb.sheet_names)
        if not names:
            raise _empty(name, False)
        if template and MARKER_SHEET in names:
            found_template = _template(wb, names, data, name, suffix, sheet)
            if found_template is not None:
                return found_template
        if sheet is not None:
            chosen = _pick_sheet(names, sheet, name)
            rows, notes = _sheet_rows(wb, chosen, data, name, suffix)
            return _sheet_table(rows, locate_table(rows, recognise), name, chosen, recognise, notes, path)
        with_data: tuple[str, list, Found, list] | None = None  # first sheet with a header and data rows
        header_only: tuple[str, list, Found, list] | None = None
        for sname in _visible_sheets(wb, names):
            rows, notes = _sheet_rows(wb, sname, data, name, suffix)
            found = locate_table(rows, recognise)
            if found is None:
                continue
            if not any(any(_filled(c) for c in r) for r in rows[found.end + 1:]):
                header_only = header_only or (sname, rows, found, notes)
                continue
            if recognised_score(header_texts(rows[found.header]), recognise) > 0:
                return _sheet_table(rows, found, name, sname, recognise, notes, path)
            with_data = with_data or (sname, rows, found, notes)
        chosen_sheet = with_data or header_only
        if chosen_sheet is None:
            raise _empty(name, False)
        sname, rows, found, notes = chosen_sheet
        return _sheet_table(rows, found, name, sname, recognise, notes, path)
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _template(wb, names: list[str], data: bytes, name: str, suffix: str,
              sheet: str | int | None) -> TemplateSheet | None:
    """The data sheet of a ``citystd template`` workbook (see :mod:`citystd.io.template_layout`),
    or None when the marker sheet is not a template's or ``sheet`` names another sheet."""
    info = read_marker(_sheet_rows(wb, MARKER_SHEET, data, name, suffix)[0])
    if info is None:
        return None
    data_sheet = info.get("data_sheet", "")
    if data_sheet not in names:
        raise error("D712", f"'{name}' is a citystd template without its data sheet '{data_sheet}'",
                    f"'{name}' 是 citystd 模板，但缺少数据表 '{data_sheet}'", Location(name),
                    Msg("do not rename or delete the template's sheets; make a new template with `citystd template`",
                        "请勿重命名或删除模板中的工作表；可用 `citystd template` 重新生成模板"))
    if sheet is not None and _pick_sheet(names, sheet, name) != data_sheet:
        return None
    rows, _notes = _sheet_rows(wb, data_sheet, data, name, suffix)
    return template_sheet(info, rows, name, data_sheet)


def _filled(cell: object) -> bool:
    return cell is not None and cell != "" and not (isinstance(cell, float) and cell != cell)


def _visible_sheets(wb, names: list[str]) -> list[str]:
    try:
        meta = wb.sheets_metadata
        vis = [m.name for m in meta if str(m.visible).endswith("Visible") and "Hidden" not in str(m.visible)
               and str(m.typ).endswith("WorkSheet")]
        return vis or names
    except Exception:
        return names


def _pick_sheet(names: list[str], sheet: str | int, name: str) -> str:
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
    else:
        if sheet in names:
            return sheet
        loose = [n for n in names if header_key(n) == header_key(sheet)]
        if loose:
            return loose[0]
        if sheet.strip().isdigit() and 0 <= int(sheet) < len(names):
            return names[int(sheet)]
    listing = ", ".join(f"'{n}'" for n in names)
    hint = suggestion(str(sheet), names) if isinstance(sheet, str) else None
    raise error("D701", f"'{name}' has no sheet '{sheet}' (sheets: {listing})",
                f"'{name}' 中没有工作表 '{sheet}'（现有工作表：{listing}）", Location(name), hint)


def _sheet_rows(wb, sname: str, data: bytes, name: str, suffix: str) -> tuple[list[list], list[Diagnostic]]:
    """The rows of a sheet (error cells put back) and a D732 finding for formula cells without a value."""
    try:
        rows = wb.get_sheet_by_name(sname).to_python(skip_empty_area=False)
    except Exception as exc:
        raise _workbook_error(data, name, suffix, exc) from None
    notes: list[Diagnostic] = []
    if suffix in (".xlsx", ".xlsm") and rows is not None:
        errors, no_value = _xlsx_special_cells(data, sname)
        _put_back_errors(rows, errors)
        if no_value:
            notes.append(_formula_note(name, sname, no_value))
    return rows, notes


def _formula_note(name: str, sname: str, refs: list[str]) -> Diagnostic:
    shown = ", ".join(f"{sname}!{r}" for r in refs[:8]) + (" …" if len(refs) > 8 else "")
    return Diagnostic("D732", Msg(
        f"{len(refs):,} formula cell{'s' if len(refs) != 1 else ''} without a saved value ({shown}) "
        "are read as empty",
        f"{len(refs):,} 个公式单元格没有保存计算结果（{shown}），按空值读取"),
        Location(name, sheet=sname, cell=refs[0]),
        Msg("open the workbook in Excel, WPS or LibreOffice and save it (the formulas are computed and their "
            "values stored), or copy the cells and paste them as values",
            "请用 Excel、WPS 或 LibreOffice 打开工作簿后保存（公式会重新计算并保存结果），或复制后“粘贴为数值”"))


def _sheet_table(rows: list[list], found: Found | None, name: str, sname: str, recognise: Recogniser,
                 notes: list[Diagnostic], path: str | None) -> RawTable:
    if found is None:
        raise _empty(name, False, Location(name, sheet=sname))
    header = found.header
    headers = header_texts(rows[header])
    body = rows[found.end + 1:]
    width = max([len(headers), *(len(r) for r in body)])
    if any(len(r) != width for r in body):  # only after putting back error cells
        body = [list(r) + [""] * (width - len(r)) for r in body]
    if len(headers) < width:
        headers = headers + [""] * (width - len(headers))
    frame = pd.DataFrame(body, columns=range(width)) if body else pd.DataFrame(columns=range(width))
    row_no = np.arange(found.end + 2, found.end + 2 + len(body))
    raw = _finish_raw(frame, headers, row_no, np.arange(width), kind="sheet", file=name, sheet=sname,
                      header_row=header + 1, diagnostics=list(notes))
    if found.dialect == "yearbook":
        raw = yearbook.apply(raw, rows, found, recognise, lambda i: i + 1, path)
    if not len(raw.frame):
        raise _empty(name, True, Location(name, sheet=sname))
    return raw


_CELL_REF = re.compile(rb"^([A-Z]+)([0-9]+)$")
_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.DOTALL)
_ANY_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>', re.DOTALL)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_REF_ATTR = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_V_ELEM = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _xlsx_special_cells(data: bytes, sname: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """The error cells ``(row, col, text)`` (0-based) of one sheet of an .xlsx, and the references
    (``H2``) of its formula cells without a saved value; ([], []) on any trouble."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, sname)
            if part is None:
                return [], []
            found: dict[bytes, bytes] = {}
            no_value: dict[bytes, None] = {}
            overlap = 1 << 16
            tail = b""
            with zf.open(part) as fh:
                while True:
                    chunk = fh.read(1 << 22)
                    if not chunk:
                        break
                    buf = tail + chunk
                    if b't="e"' in buf:
                        for m in _ERROR_CELL.finditer(buf):
                            ref = _REF_ATTR.search(m.group(1))
                            v = _V_ELEM.search(m.group(2))
                            if ref and v:
                                found[ref.group(1)] = v.group(1)
                    if _FORMULA.search(buf):
                        for m in _ANY_CELL.finditer(buf):
                            body = m.group(2)
                            if not _FORMULA.search(body):
                                continue
                            v = _V_ELEM.search(body)
                            ref = _REF_ATTR.search(m.group(1))
                            if ref and (v is None or not v.group(1).strip()):
                                no_value[ref.group(1)] = None
                    tail = buf[-overlap:]
        out = []
        for ref, v in found.items():
            cell = _cell_index(ref)
            if cell is not None:
                out.append((cell[0], cell[1], v.decode("utf-8", "replace")))
        refs = sorted((r.decode("ascii") for r in no_value), key=lambda r: _cell_index(r.encode()) or (0, 0))
        return out, refs
    except Exception:
        return [], []


def _cell_index(ref: bytes) -> tuple[int, int] | None:
    m = _CELL_REF.match(ref)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + (ch - 64)
    return int(m.group(2)) - 1, col - 1


def _sheet_part(zf: zipfile.ZipFile, sname: str) -> str | None:
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rid = None
    for el in wb.iter(f"{ns_main}sheet"):
        if el.get("name") == sname:
            rid = el.get(f"{ns_rel}id")
            break
    if rid is None:
        return None
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for el in rels:
        if el.get("Id") == rid:
            target = el.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def _put_back_errors(rows: list[list], errors: list[tuple[int, int, str]]) -> None:
    for r, c, text in errors:
        while len(rows) <= r:
            rows.append([""] * (len(rows[0]) if rows else 0))
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None):
            row[c] = text


# --- text files --------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding name) of a text file."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise error(
            "D701", f"cannot read '{name}': the text is neither UTF-8 nor GBK/GB18030 "
            f"(undecodable byte at offset {exc.start})",
            f"无法读取 '{name}'：文本既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start} 字节无法解码）",
            Location(name),
            Msg("save the file as 'CSV UTF-8' (Excel: File › Save As › CSV UTF-8)",
                "请将文件另存为“CSV UTF-8”格式（Excel：文件 › 另存为 › CSV UTF-8）")) from None


def _sniff_delimiter(lines: list[str], suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    best, best_n = ",", 0
    for d in (",", "\t", ";", "|"):
        n = sum(line.count(d) for line in lines)
        if n > best_n:
            best, best_n = d, n
    return best


@dataclass(frozen=True)
class _TextLayout:
    """Where the table of a text file is: its delimiter, header block and columns."""

    delim: str
    records: list[list[str]]  # the first HEAD_LINES records
    ends: list[int]  # the physical line on which each of them ends
    found: Found  # the located table
    headers: list[str]
    header_end: int  # the last physical line of the header block
    header_line: int  # its first physical line
    ncols: int
    text_cols: set[int]


def _text_layout(head: str, name: str, suffix: str, recognise: Recogniser) -> _TextLayout:
    head_lines = [ln for ln in head.splitlines()[:HEAD_LINES] if ln.strip()]
    delim = _sniff_delimiter(head_lines[:10], suffix)
    records, ends = _records(head, delim, HEAD_LINES)
    found = locate_table(records, recognise)
    if found is None:
        raise _empty(name, False)
    header_idx = found.header
    headers = [c.strip() for c in records[header_idx]]
    header_end = ends[found.end]  # last physical line of the header (block)
    header_line = ends[header_idx - 1] + 1 if header_idx > 0 else 1  # its first physical line
    ncols = max(len(headers), *(len(r) for r in records[header_idx:found.end + 1]))
    headers += [""] * (ncols - len(headers))
    text_cols = recognise.text_columns(headers) | ({0, 1} if found.dialect == "yearbook" else set())
    return _TextLayout(delim, records, ends, found, headers, header_end, header_line, ncols, text_cols)


def _check_text_bytes(data: bytes, name: str, suffix: str) -> None:
    if _blank(data, b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise _empty(name, False)
    if data.startswith((_ZIP_MAGIC, _CFB_MAGIC)):
        raise error(
            "D701", f"cannot read '{name}': it is an Excel workbook (or another binary file) with a "
            f"{suffix} name", f"无法读取 '{name}'：这是以 {suffix} 命名的 Excel 工作簿（或其他二进制文件）",
            Location(name), Msg("rename it to .xlsx (or .xls), or save it as CSV from Excel",
                                "请将扩展名改为 .xlsx（或 .xls），或在 Excel 中另存为 CSV"))
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise error(
            "D701", f"cannot read '{name}': a binary file, not CSV text",
            f"无法读取 '{name}'：这是二进制文件，不是 CSV 文本", Location(name),
            Msg("save the data as CSV UTF-8, .xlsx or .parquet", "请将数据另存为 CSV UTF-8、.xlsx 或 .parquet"))


def _read_text(data: bytes, name: str, suffix: str, recognise: Recogniser,
               path: str | None = None, *, fast: bool = True) -> tuple[RawTable, str]:
    _check_text_bytes(data, name, suffix)
    if fast and len(data) > FAST_TEXT_BYTES:
        done = _read_text_fast(data, name, suffix, recognise, path)
        if done is not None:
            return done
    text, encoding = _decode(data, name)
    if encoding == "utf-8" and text.startswith("\ufeff"):
        text = text[1:]
    if _blank(text):
        raise _empty(name, False)
    lay = _text_layout(text[: 1 << 16], name, suffix, recognise)

    if encoding == "utf-8":
        buf, enc = io.BytesIO(data), "utf-8-sig"
    elif encoding == "gb18030":
        buf, enc = io.BytesIO(data), "gb18030"
    else:
        buf, enc = io.BytesIO(text.encode("utf-8")), "utf-8"

    diagnostics: list[Diagnostic] = []
    frame: pd.DataFrame | None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the first data row longer than the header is truncated with only a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                buf, sep=lay.delim, header=None, names=list(range(lay.ncols)), skiprows=lay.header_end,
                index_col=False, skip_blank_lines=False, keep_default_na=False, na_values=[""],
                dtype=dict.fromkeys(lay.text_cols, str), low_memory=False, encoding=enc,
                on_bad_lines="error", engine="c")
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        frame = None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=range(lay.ncols))
    except (UnicodeDecodeError, ValueError) as exc:
        raise error("D701", f"cannot read '{name}': {exc}", f"无法读取 '{name}'：{exc}", Location(name),
                    Msg("save the file as 'CSV UTF-8'", "请将文件另存为“CSV UTF-8”格式")) from None

    if frame is not None:
        row_no = _line_numbers(text, lay.delim, lay.header_end, len(frame))
    else:
        frame, row_no, diagnostics = _read_text_slowly(text, lay.delim, lay.header_end, lay.headers, name)
    return _finish_text(frame, row_no, diagnostics, lay, name, recognise, path), encoding


#: text files larger than this are first tried with pyarrow's multi-threaded CSV reader
FAST_TEXT_BYTES = 1 << 20


def _read_text_fast(data: bytes, name: str, suffix: str, recognise: Recogniser,
                    path: str | None) -> tuple[RawTable, str] | None:
    """A large UTF-8 file of one line per row read with pyarrow (several threads; numbers parsed
    exactly as Python's ``float``), or None to read it as :func:`_read_text` does otherwise.

    Taken only where it gives the frame pandas would: every column comes out as numbers, empty, or
    text kept as written; every line is a row (no blank line, no line break inside quotes, no
    ragged row: pyarrow refuses those and the file goes the ordinary way); the text is UTF-8.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    head_bytes = data[: 1 << 16]
    try:  # whole lines of the head, strictly UTF-8
        head = head_bytes[: head_bytes.rfind(b"\n") + 1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if head.startswith("\ufeff"):
        head = head[1:]
    if b"\r" in head_bytes and b"\n" not in head_bytes:
        return None
    lay = _text_layout(head, name, suffix, recognise)
    if lay.ends[lay.found.end] != lay.found.end + 1 or len(lay.delim) != 1:
        return None  # a header cell spans lines: skipped lines and records differ
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ModuleNotFoundError:  # the parquet extra is not installed: pandas reads every file
        return None

    names = [str(i) for i in range(lay.ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=lay.header_end, column_names=names, use_threads=True,
                                           block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=lay.delim, newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={str(i): pa.string() for i in lay.text_cols if i < lay.ncols},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
                auto_dict_encode=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None
    cols: dict[int, Any] = {}
    for i, column in enumerate(table.columns):
        t = column.type
        if i in lay.text_cols or pa.types.is_string(t):  # text kept as written, as pandas keeps it
            cols[i] = pd.array(column.to_pandas(), dtype="str") if len(column) else pd.array([], dtype="str")
        elif pa.types.is_integer(t):
            cols[i] = column.to_numpy()  # with a gap: float64 and NaN, as from pandas
        elif pa.types.is_floating(t):
            if pc.any(pc.or_(pc.is_nan(column), pc.is_inf(column))).as_py():
                return None  # "nan", "inf" written as text: pandas keeps them as text, and so do the findings
            cols[i] = column.to_numpy()
        elif pa.types.is_null(t):
            cols[i] = np.full(len(column), np.nan)
        else:
            return None  # a date, a truth value …: pandas' reading and its findings
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines != lay.header_end + table.num_rows:
        return None  # a value spans lines: the rows' line numbers are counted the ordinary way
    del table
    frame = pd.DataFrame(cols, columns=range(lay.ncols))
    row_no = np.arange(lay.header_end + 1, lay.header_end + 1 + len(frame), dtype="int64")
    return _finish_text(frame, row_no, [], lay, name, recognise, path), "utf-8"


def _finish_text(frame: pd.DataFrame, row_no: np.ndarray, diagnostics: list[Diagnostic], lay: _TextLayout,
                 name: str, recognise: Recogniser, path: str | None) -> RawTable:
    raw = _finish_raw(frame, lay.headers, row_no, np.arange(lay.ncols), kind="lines", file=name, sheet=None,
                      header_row=lay.header_line, diagnostics=diagnostics)
    if lay.found.dialect == "yearbook":
        raw = yearbook.apply(raw, lay.records, lay.found, recognise,
                             lambda i: lay.ends[i - 1] + 1 if i > 0 else 1, path)
    if not len(raw.frame) and not diagnostics:
        raise _empty(name, True, Location(name, line=lay.header_line))
    return raw


HEAD_LINES = 40


def _blank(data: Any, chars: Any = None) -> bool:
    """True if ``data`` (bytes or str) is only whitespace, without copying a large file."""
    head = data[: 1 << 16]
    if head.strip(chars):
        return False
    return len(data) <= len(head) or not data.strip(chars)


def _records(text: str, delim: str, limit: int) -> tuple[list[list[str]], list[int]]:
    """The first ``limit`` records of a text and the physical line on which each ends."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records, ends = [], []
    try:
        for rec in reader:
            records.append(rec)
            ends.append(reader.line_num)
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records, ends


def _line_numbers(text: str, delim: str, header_end: int, nrows: int) -> np.ndarray:
    """Physical line of each row pandas read (``skip_blank_lines=False`` keeps one row per line
    unless a quoted value spans lines; then the lines are counted with the csv module)."""
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if "\r" in text and "\n" not in text:
        n_lines = -1
    if n_lines == header_end + nrows:
        return np.arange(header_end + 1, header_end + 1 + nrows, dtype="int64")
    starts = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    prev = 0
    for _rec in reader:
        if reader.line_num > header_end:
            starts.append(prev + 1)
        prev = reader.line_num
    arr = np.asarray(starts[:nrows], dtype="int64")
    if len(arr) < nrows:  # should not happen; keep sizes consistent
        arr = np.concatenate([arr, np.full(nrows - len(arr), arr[-1] if len(arr) else header_end + 1)])
    return arr


def _read_text_slowly(text: str, delim: str, header_end: int, headers: list[str],
                      name: str) -> tuple[pd.DataFrame, np.ndarray, list[Diagnostic]]:
    """Fallback for files pandas' fast parser refuses (ragged rows): the csv module, row by row.

    A row with more cells than the header is reported (D710) and ignored, unless the extra cells
    are all empty (a trailing delimiter), in which case they are dropped silently.
    """
    ncols = len(headers)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    lines: list[int] = []
    diags: list[Diagnostic] = []
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if prev <= header_end:
                continue
            if len(rec) > ncols:
                extra = rec[ncols:]
                if any(c.strip() for c in extra):
                    diags.append(Diagnostic("D710", Msg(
                        f"line {start} has {len(rec)} cells but the header has {ncols}; the row is ignored",
                        f"第 {start} 行有 {len(rec)} 个单元格，但表头只有 {ncols} 个；该行已忽略"),
                        Location(name, line=start),
                        Msg('a value probably contains an unquoted delimiter: quote it ("1,234") or '
                            "remove it; or a header is missing",
                            '可能某个值中含有未加引号的分隔符：请加引号（"1,234"）或删除；也可能缺少表头')))
                    continue
                rec = rec[:ncols]
            elif len(rec) < ncols:
                rec = rec + [""] * (ncols - len(rec))
            rows.append(rec)
            lines.append(start)
    except csv.Error as exc:
        raise error("D701", f"cannot read '{name}' near line {prev + 1}: {exc}",
                    f"无法读取 '{name}'（约第 {prev + 1} 行）：{exc}", Location(name, line=prev + 1),
                    Msg("check the quotes on that line", "请检查该行的引号")) from None
    frame = pd.DataFrame(rows, columns=range(ncols), dtype=object) if rows else pd.DataFrame(columns=range(ncols))
    frame = frame.replace("", np.nan) if rows else frame
    return frame, np.asarray(lines, dtype="int64"), diags


# --- parquet -----------------------------------------------------------------------------------


def _read_parquet(data: bytes, name: str) -> RawTable:
    if not data:
        raise _empty(name, False)
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except ImportError:
        raise error("D701", f"cannot read '{name}': reading Parquet needs pyarrow",
                    f"无法读取 '{name}'：读取 Parquet 需要安装 pyarrow", Location(name),
                    Msg("pip install 'citystd[parquet]'", "请运行 pip install 'citystd[parquet]'")) from None
    except Exception as exc:
        raise error("D701", f"cannot read '{name}': not a valid Parquet file ({type(exc).__name__})",
                    f"无法读取 '{name}'：不是有效的 Parquet 文件（{type(exc).__name__}）", Location(name),
                    Msg("write the file again, or save the data as .csv or .xlsx",
                        "请重新生成该文件，或将数据保存为 .csv 或 .xlsx")) from None
    return _frame_raw(frame, name)


def _frame_raw(frame: pd.DataFrame, name: str) -> RawTable:
    """A table already in memory (Parquet, or a DataFrame given to the Python API) as a raw table:
    the frame's (named) index becomes columns, rows are numbered 1, 2, … as data rows."""
    if not isinstance(frame.index, pd.RangeIndex) or any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    headers = [str(c).strip() for c in frame.columns]
    if not len(frame):
        if not headers:
            raise _empty(name, False)
        raise _empty(name, True)
    n = len(frame)
    return _finish_raw(frame, headers, np.arange(1, n + 1), np.arange(len(headers)), kind="rows", file=name,
                       sheet=None, header_row=None)
