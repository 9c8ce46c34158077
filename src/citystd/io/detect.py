"""One detection step: which dialect a table is written in.

The readers of :mod:`citystd.io.read` find a table's first rows (a workbook sheet, the head of a
CSV file) and ask :func:`locate_table` where its header is and which dialect it speaks:

- **template** — a workbook made by ``citystd template`` (found by its marker sheet before any of
  this, :mod:`citystd.io.template_layout`);
- **yearbook** — a statistical yearbook table as printed (:mod:`citystd.io.yearbook`): title and
  unit lines above a header of several rows (``常住人口`` over ``全市 | 市辖区``), province group
  rows, indented city names;
- **panel** — a research panel (:mod:`citystd.io.panel`): one column per variable and year
  (``popu_2010``, ``popu_2020``), or city codes beside the names;
- **plain** — a wide or long table under a one-row header (:mod:`citystd.io.plain`).

Detection looks only at the header region and the first data rows, so it costs nothing on big
files; each dialect then reads the whole table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from citystd.io.headers import title_scope, unit_line
from citystd.io.table import Recogniser, cell_text, find_header_row, header_block_end

#: A yearbook table's number in its title: ``2-1人口数``, ``表 3-7``, ``1—2 续表``.
_TABLE_NUMBER = re.compile(r"^\s*(?:表\s*)?\d{1,2}\s*[-—–－]\s*\d{1,3}")
_INDENTED = re.compile(r"^[ \u3000\t]+\S")


@dataclass(frozen=True)
class Found:
    """Where a table's header is in its first rows, and its dialect (``plain`` or ``yearbook``;
    a panel is recognised later, from its columns)."""

    dialect: str
    header: int  # index of the header's first row
    end: int  # index of the header's last row
    titles: list[str] = field(default_factory=list)  # texts of the rows above the header


def locate_table(head: Sequence[Sequence[object]], recognise: Recogniser) -> Found | None:
    """Find the header in ``head`` (the first rows of a table) and tell the dialect; None when
    every row is empty."""
    header = find_header_row(head, recognise)
    if header is None:
        return None
    end = header_block_end(head, header, recognise)
    titles = [" ".join(cell_text(c) for c in row if cell_text(c)) for row in head[:header]]
    titles = [t for t in titles if t]
    yearbook = (end > header or any(unit_line(t) or _TABLE_NUMBER.match(t) or title_scope(t) for t in titles)
                or _indented_rows(head[end + 1:]))
    return Found("yearbook" if yearbook else "plain", header, end, titles)


def _indented_rows(rows: Sequence[Sequence[object]]) -> bool:
    """True when the first column of the first data rows holds names indented with spaces (the
    cities under a province's group row)."""
    firsts = [r[0] for r in rows[:40] if r and isinstance(r[0], str) and r[0].strip()]
    return sum(bool(_INDENTED.match(c)) for c in firsts) >= 3
