"""Text from a user's files made safe for every output citystd writes.

Two dangers, one module:

- **Spreadsheet formulas.** A cell that starts with ``=``, ``+``, ``-`` or ``@`` is run as a
  formula by Excel and LibreOffice when a CSV or tab-separated file is opened (``=HYPERLINK(…)``).
  :func:`spreadsheet_text` puts a ``'`` in front of such text; :func:`tsv_cell` does the same for
  one cell of a tab-separated line and replaces tabs and line breaks, which would split the cell.
  Plain numbers (``-3.5``) are left alone: a spreadsheet reads them as numbers, never as formulas.
- **Bidirectional control characters** (U+202A–U+202E, U+2066–U+2069) reorder the text around
  them, so a city name can display as another. :func:`mark_bidi` replaces each with a visible
  ``[U+202E]``; :func:`mark_bidi_in` does so in every string of a document (for reports, tables,
  CSV and Excel); :func:`escape_bidi_json` writes them as ``\\u202e`` escapes in JSON, which keeps
  the value a parser reads unchanged while no viewer can reorder the text.
"""

from __future__ import annotations

import re
from typing import Any

#: the embedding, override and isolate controls of the Unicode bidirectional algorithm
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: the same characters in UTF-8 (they can only occur inside JSON strings, never between tokens)
_BIDI_UTF8 = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")

#: first characters that make a spreadsheet treat typed text as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?")


def has_bidi(text: str) -> bool:
    return _BIDI.search(text) is not None


def mark_bidi(text: str) -> str:
    """``text`` with each bidirectional control shown as ``[U+202E]`` (unchanged when it has none)."""
    if not _BIDI.search(text):
        return text
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def mark_bidi_in(obj: Any) -> Any:
    """``obj`` (dicts, lists, strings, numbers) with :func:`mark_bidi` applied to every string.

    Returns ``obj`` itself when no string holds a control character (the common case costs one
    serialisation by orjson and one byte search, not a walk in Python).
    """
    try:
        import orjson

        if not _BIDI_UTF8.search(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)):
            return obj
    except TypeError:  # something orjson cannot serialise: walk it
        pass
    return _walk(obj)


def _walk(obj: Any) -> Any:
    if isinstance(obj, str):
        return mark_bidi(obj)
    if isinstance(obj, dict):
        return {(_walk(k) if isinstance(k, str) else k): _walk(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk(v) for v in obj)
    return obj


def escape_bidi_json(data: bytes) -> bytes:
    """UTF-8 JSON with each bidirectional control written as a ``\\u`` escape (same value when parsed)."""
    if not _BIDI_UTF8.search(data):
        return data
    return _BIDI_UTF8.sub(lambda m: b"\\u%04x" % ord(m.group().decode("utf-8")), data)


def escape_bidi_json_text(text: str) -> str:
    """:func:`escape_bidi_json` for JSON already decoded to ``str``."""
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def spreadsheet_text(text: str) -> str:
    """A text cell for CSV: a ``'`` in front when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(text: str) -> str:
    """A text cell of a CSV file meant for people: bidi controls marked, formulas neutralised."""
    return spreadsheet_text(mark_bidi(text))


def tsv_cell(text: str) -> str:
    """One cell of a tab-separated line: bidi controls marked, tabs and line breaks replaced by
    spaces, and a ``'`` in front of text a spreadsheet would run as a formula (not of numbers)."""
    text = mark_bidi(text)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\t", " ").replace("\n", " ").replace("\r", " ")
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
