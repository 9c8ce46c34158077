"""Numbers as people read them, and as spreadsheets read them (pure functions).

Every report, table and CSV file formats its numbers here, so that they agree and none shows
``1.092e+05`` (exponent notation), ``45.85000000000001`` (the noise of floating-point arithmetic)
or ``-0.00`` (a negative zero, or a small negative number rounded to zero). The JSON results keep
full precision (docs/results.md): they are the contract, these are views of it.

- :func:`fixed` — a fixed number of decimals (scores: ``57.06``, ``41.2``); :func:`signed` with a
  sign (changes: ``+1.25``, ``−`` never on a zero).
- :func:`plain` — values in their unit with 4 significant digits, but never fewer than the integer
  part and never an exponent (``109200``, ``0.0001234``, ``45.85``).
- :func:`share` — a share in 0–1 as a percentage to 0.1 %, rounded to nearest (2/3 → ``66.7%``),
  except that a share below 1 never shows as ``100%`` (99.96 % → ``99.9%``) and one above 0
  never as ``0%`` (0.04 % → ``0.1%``): missing data stays visible.
- :func:`csv_number` — a number for CSV: rounded to 12 significant digits (no figure a
  statistics office publishes has more; arithmetic noise sits in the 16th and 17th), written in
  the shortest form that reads back as that number.
"""

from __future__ import annotations

import math

MISSING = "—"
#: significant digits of a number in CSV
CSV_DIGITS = 12


def _finite(x: float | None) -> bool:
    return x is not None and not isinstance(x, bool) and math.isfinite(float(x))


def _no_negative_zero(text: str) -> str:
    """``-0``, ``-0.0``, ``-0.00`` … → the same without the sign."""
    if text.startswith("-") and text.strip("-0.") == "":
        return text[1:]
    return text


def fixed(x: float | None, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals; ``—`` when missing; never ``-0.00``."""
    if not _finite(x):
        return MISSING
    assert x is not None
    return _no_negative_zero(f"{float(x):.{digits}f}")


def signed(x: float | None, digits: int = 2) -> str:
    """``x`` with a sign and ``digits`` decimals (``+1.25``, ``-0.40``); a change that rounds to
    zero is ``0.00``, with no sign."""
    if not _finite(x):
        return MISSING
    assert x is not None
    text = fixed(x, digits)
    if text.strip("0.") == "":
        return text
    return text if text.startswith("-") else "+" + text


def plain(x: float | None, sig: int = 4) -> str:
    """``x`` with ``sig`` significant digits (at least the integer part), in fixed-point notation,
    without trailing zeros: ``109200``, ``45.85``, ``0.0001234``, ``3``; ``—`` when missing."""
    if not _finite(x):
        return MISSING
    assert x is not None
    v = float(x)
    if v == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(v))))
    text = f"{round(v, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _no_negative_zero(text)


def share(x: float | None) -> str:
    """A share (0–1) as a percentage to 0.1 %: ``66.7%``, ``100%``; never ``100%`` below 1 nor
    ``0%`` above 0 (module docs)."""
    if not _finite(x):
        return MISSING
    assert x is not None
    v = float(x)
    if v >= 1:
        return "100%"
    if v <= 0:
        return "0%"
    pct = min(max(round(v * 1000) / 10, 0.1), 99.9)
    return f"{pct:.1f}%"


def share_value(x: float | None) -> float | None:
    """:func:`share` as a number (0–1) for a spreadsheet cell shown as ``0.0%``."""
    if not _finite(x):
        return None
    assert x is not None
    v = float(x)
    if v >= 1 or v <= 0:
        return 1.0 if v >= 1 else 0.0
    return min(max(round(v * 1000) / 1000, 0.001), 0.999)


def csv_number(x: float | None) -> str:
    """A number for CSV: 12 significant digits, shortest form, no ``-0.0``; empty when missing."""
    if not _finite(x):
        return ""
    assert x is not None
    v = float(f"{float(x):.{CSV_DIGITS}g}") + 0.0  # + 0.0 turns -0.0 into 0.0
    return repr(v)
