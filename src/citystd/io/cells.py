"""Cell values: turning what people type into spreadsheets into numbers, column by column.

Everything here is vectorised over a whole column (pandas string methods and ``pd.to_numeric``);
there is no Python loop over cells. A column is parsed in two passes:

1. a fast pass, ``pd.to_numeric(errors="coerce")``, which settles every plain number (also with
   stray spaces around it, the commonest mess in real exports);
2. a cleaning pass over only the cells the fast pass could not settle: Unicode NFKC (full-width
   digits and punctuation ``１２３．４`` → ``123.4``, ``，`` → ``,``), trimming, the missing-data
   markers (:data:`MISSING_MARKERS`), Excel error values (:data:`EXCEL_ERRORS`), thousands
   separators (``1,234.5``, only in groups of three, so that ``12,3`` stays an error instead of
   becoming 123), a trailing percent sign, and the Unicode minus sign.

**Percent.** ``45%`` is read as ``45``: the percent sign is dropped and the number stays in
percent units, because indicators measured in % expect 45, not 0.45.

Each cell ends in exactly one state: a number, silently missing (empty or a missing marker),
missing with a warning (an Excel error value, rule D706) or not a number (an error, rule D705).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from citystd.textkeys import header_key


def _marker(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


#: Cell texts that mean "no data" (compared after NFKC, trimming and casefolding).
MISSING_MARKERS: frozenset[str] = frozenset(
    _marker(m)
    for m in [
        "", "-", "--", "---", "—", "——", "–", "－", "/", "N/A", "NA", "n/a", "n.a.", "..", "...",
        "…", "……", "暂无", "无数据", "无", "缺失", "不详", "null", "None", "nan",
    ]
)

#: Excel error values; read as missing with a warning (D706).
EXCEL_ERRORS: frozenset[str] = frozenset(
    ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"]
)

_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_MINUS = "\u2212"  # − MINUS SIGN, which NFKC leaves alone


@dataclass(frozen=True)
class ParsedColumn:
    """One column parsed: float values plus the cells that need a diagnostic.

    ``not_number`` and ``excel_error`` are boolean arrays aligned with ``values``; in both cases
    the value is NaN. ``text`` holds the original text of the flagged cells only.
    """

    values: np.ndarray
    not_number: np.ndarray
    excel_error: np.ndarray
    text: pd.Series  # flagged cells only, indexed by position
    percent: np.ndarray | None = None  # cells written with a percent sign (``12%``), None when there are none

    @property
    def n_flagged(self) -> int:
        return int(self.not_number.sum() + self.excel_error.sum())


def parse_numbers(column: pd.Series) -> ParsedColumn:
    """Parse one column of cells into float64 (see the module docs for the rules)."""
    n = len(column)
    col = column.reset_index(drop=True)
    no = np.zeros(n, dtype=bool)
    empty = pd.Series([], dtype=object)
    if is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype="float64", na_value=np.nan)
        return ParsedColumn(vals, no, no.copy(), empty)
    if is_numeric_dtype(col.dtype):
        vals = col.to_numpy(dtype="float64", na_value=np.nan)
        inf = np.isinf(vals)
        if not inf.any():
            return ParsedColumn(vals, no, no.copy(), empty)
        text = pd.Series(vals[inf], index=np.flatnonzero(inf)).astype(str)
        vals = np.where(inf, np.nan, vals)
        return ParsedColumn(vals, inf, no.copy(), text)

    # fast pass: plain numbers (also with surrounding spaces)
    vals = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    present = col.notna().to_numpy()
    todo = present & ~np.isfinite(vals)
    if todo.any():  # empty strings (how calamine gives empty cells) are missing: no need to clean them
        todo &= (col != "").to_numpy(dtype=bool)
    if not todo.any():
        return ParsedColumn(vals, no, no.copy(), empty)

    vals = vals.copy()
    idx = np.flatnonzero(todo)
    raw = col.iloc[idx].astype(object)
    raw.index = idx
    original = raw.map(str, na_action="ignore").astype(object)
    s = original.str.normalize("NFKC").str.strip()
    folded = s.str.casefold()
    missing = folded.isin(MISSING_MARKERS).to_numpy()
    excel = s.str.upper().isin(EXCEL_ERRORS).to_numpy() & ~missing

    rest = ~missing & ~excel
    t = s[rest].str.replace(_MINUS, "-", regex=False)
    pct = t.str.endswith("%")
    t = t.where(~pct, t.str[:-1].str.strip())
    thousands = t.str.fullmatch(_THOUSANDS)
    t = t.where(~thousands, t.str.replace(",", "", regex=False))
    num = pd.to_numeric(t, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(num)

    vals[idx] = np.nan
    rest_idx = idx[rest]
    vals[rest_idx[ok]] = num[ok]
    percent = None
    pct_ok = pct.to_numpy(dtype=bool) & ok
    if pct_ok.any():
        percent = np.zeros(n, dtype=bool)
        percent[rest_idx[pct_ok]] = True

    not_number = np.zeros(n, dtype=bool)
    not_number[rest_idx[~ok]] = True
    excel_error = np.zeros(n, dtype=bool)
    excel_error[idx[excel]] = True
    flagged = not_number[idx] | excel_error[idx] | (percent[idx] if percent is not None else False)
    return ParsedColumn(vals, not_number, excel_error, original[flagged], percent)


def is_mostly_numeric(column: pd.Series, share: float = 0.5) -> bool:
    """True if at least ``share`` of the column's non-missing cells are numbers."""
    parsed = parse_numbers(column)
    numbers = int(np.isfinite(parsed.values).sum())
    flagged = parsed.n_flagged
    if numbers + flagged == 0:
        return False
    return numbers >= share * (numbers + flagged)


def clean_text(column: pd.Series) -> pd.Series:
    """Text cells trimmed, with missing markers and Excel errors as None; an object Series.

    Used for unit names, variable names and unit attributes (region, tier …), which keep their
    own spelling (no NFKC), apart from integral floats such as ``110000.0`` (an admin code read
    from Excel), which become ``"110000"``. Each distinct value is cleaned once (these columns
    repeat few values over many rows).
    """
    col = column.reset_index(drop=True)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    cleaned = np.array([*(_clean_one(u) for u in uniques), None], dtype=object)
    return pd.Series(cleaned[codes], dtype=object)  # code -1 (missing) → the trailing None


def _clean_one(v: object) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return _num_text(float(v))
    text = str(v).strip()
    if _marker(text) in MISSING_MARKERS or text.upper() in EXCEL_ERRORS:
        return None
    return text


def _num_text(v: float) -> str:
    if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def parse_years(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Years as an Int64 series plus a boolean array of cells that are not a plausible year.

    Accepts ``2019``, ``2019.0``, ``"2019"`` and ``"2019年"``; plausible means a whole number in
    1000–2999. Missing cells are flagged too (a year column must be filled). Each distinct value
    is parsed once.
    """
    col = column.reset_index(drop=True)
    if is_numeric_dtype(col.dtype) and not is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype="float64", na_value=np.nan)
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        parsed = np.array([*(_year_value(u) for u in uniques), np.nan], dtype="float64")
        vals = parsed[codes]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(vals) & (np.floor(vals) == vals) & (vals >= 1000) & (vals < 3000)
    years = pd.array(np.where(ok, vals, 0).astype("int64"), dtype="Int64")
    years[~ok] = pd.NA
    return pd.Series(years), ~ok


def _year_value(v: object) -> float:
    if isinstance(v, (bool, np.bool_)):
        return np.nan
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    text = unicodedata.normalize("NFKC", str(v)).strip().removesuffix("年").strip()
    try:
        return float(text)
    except ValueError:
        return np.nan


_TRAILING_UNIT = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def header_key_without_unit(text: object) -> str | None:
    """The key of a header with a trailing unit in brackets removed (``人均GDP（元）`` → ``人均gdp``)."""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    stripped = _TRAILING_UNIT.sub("", t)
    if stripped == t or not stripped:
        return None
    return header_key(stripped)


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    i = index + 1
    while i > 0:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
