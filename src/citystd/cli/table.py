"""Tables that read well in a terminal of any width (``citystd score``, ``report``, ``compare``).

A table has **key columns** (rank, city, score, rating, coverage …), always shown and never cut:
a city name too long for the terminal wraps, it is never shortened to "…". Then come the
**optional columns** (one per domain): as many as fit the terminal's width, in their order, each
as narrow as its numbers allow with its header wrapped over up to four lines. The optional
columns that do not fit are named below the table with their ids, and ``--columns`` chooses the
ones to show (:func:`choose`). Widths are measured in terminal cells (a Chinese character is
two), as rich draws them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: lines an optional column's header may wrap over before the column is made wider
HEADER_LINES = 4
#: an optional column is made at most this wide for its header (in cells; its numbers may need more)
HEADER_WIDTH = 16
#: lines a key column's header may wrap over
KEY_HEADER_LINES = 2
#: cells between two columns: the separator and one space of padding
GAP = 2


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, and for an optional column the id ``--columns`` takes."""

    header: str
    justify: str = "right"
    key: str | None = None


def header_lines(header: str, width: int) -> int:
    """How many lines ``header`` takes when wrapped to ``width`` cells (as rich wraps it)."""
    from rich.console import Console
    from rich.text import Text

    return len(Text(header).wrap(Console(width=max(width, 1)), max(width, 1), overflow="fold"))


def optional_width(header: str, cells: Sequence[str]) -> int:
    """The width of an optional column: its widest cell and the header's longest word (a word is
    never broken; Chinese may wrap between any two characters), widened up to
    :data:`HEADER_WIDTH` until the header wraps over at most :data:`HEADER_LINES` lines."""
    from rich.cells import cell_len

    widest = max([*(cell_len(c) for c in cells), min(longest_word(header), HEADER_WIDTH), 1])
    for width in range(widest, max(widest, HEADER_WIDTH) + 1):
        if header_lines(header, width) <= HEADER_LINES:
            return width
    return max(widest, HEADER_WIDTH)


def longest_word(text: str) -> int:
    """The width of the longest run of characters a line may not break (spaces and Chinese
    characters are break points)."""
    from rich.cells import cell_len

    return max((cell_len(w) for w in _UNBREAKABLE.findall(text)), default=2 if text else 0)


_UNBREAKABLE = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def key_width(column: Column, cells: Sequence[str]) -> int:
    """A key column is as wide as its widest cell (a cell never wraps) and as its header needs to
    wrap over at most :data:`KEY_HEADER_LINES` lines (``Rank`` / ``change``); the city column as
    wide as its longest name and its header."""
    from rich.cells import cell_len

    widest = max([*(cell_len(c) for c in cells), 1])
    full = cell_len(column.header)
    if column.justify != "right":
        return max(widest, full)
    # a short Chinese header such as 排名 stays whole (min(full, 4)); a longer one may wrap
    for width in range(max(widest, longest_word(column.header), min(full, 4)), max(widest, full) + 1):
        if header_lines(column.header, width) <= KEY_HEADER_LINES:
            return width
    return max(widest, full)


def fitting(width: int, keys: Sequence[Column], optional: Sequence[Column],
            rows: Sequence[Sequence[str]]) -> int:
    """How many of the ``optional`` columns (in order) fit beside the key columns in ``width`` cells."""
    n = len(keys)
    used = sum(key_width(c, [r[k] for r in rows]) for k, c in enumerate(keys)) + GAP * (n - 1)
    shown = 0
    for j, col in enumerate(optional):
        used += GAP + optional_width(col.header, [r[n + j] for r in rows])
        if used > width:
            break
        shown += 1
    return shown


def choose(values: Sequence[str] | None, available: dict[str, dict[str, str]], lang: str) -> list[str] | None:
    """The ids picked by ``--columns`` (comma-separated, repeatable): node ids or names in either
    language, in the order given; ``all`` for every one. ``None`` when the option was not given.
    An unknown name is a usage error with a did-you-mean (exit 2)."""
    if not values:
        return None
    from citystd.cli.common import usage_error
    from citystd.diagnostics import did_you_mean

    by_name: dict[str, str] = {}
    for nid, names in available.items():
        for text in (nid, names.get("en", ""), names.get("zh", "")):
            if text:
                by_name.setdefault(text.casefold(), nid)
    out: list[str] = []
    for value in values:
        for word in (w.strip() for w in value.replace("，", ",").split(",")):
            if not word:
                continue
            if word.casefold() == "all":
                out.extend(available)
                continue
            nid = by_name.get(word.casefold())
            if nid is None:
                hits = did_you_mean(word, list(available))
                en = f"--columns: '{word}' is no column of the table (a node id such as {next(iter(available), '—')}" \
                     f", its name, or all)" + (f"; did you mean '{hits[0]}'?" if hits else "")
                zh = f"--columns：'{word}' 不是表格的列（应为节点标识如 {next(iter(available), '—')}、节点名称或 all）" + \
                     (f"；是否应为 '{hits[0]}'？" if hits else "")
                usage_error(en, zh, lang)
            else:
                out.append(nid)
    return list(dict.fromkeys(out))


def draw(console: Any, keys: Sequence[Column], optional: Sequence[Column], rows: Sequence[Sequence[str]], *,
         title: str | None = None, lang: str = "en", chosen: bool = False,
         markup: Callable[[int, str], str | None] | None = None, bold_rows: Sequence[bool] | None = None) -> None:
    """Print the table on ``console``: the key columns and as many optional ones as fit (all of
    them when ``chosen`` by ``--columns``), then a note naming the optional columns left out.

    Cells are plain text; ``markup(column, text)`` may return rich markup for a cell (its text
    escaped), e.g. a coloured rating.
    """
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    n = len(keys)
    fit = fitting(console.width, keys, optional, rows)
    shown = len(optional) if chosen else fit
    squeeze = fit < shown  # more columns chosen than fit: rich narrows them (a header may then break mid-word)
    if title is not None:
        console.print(escape(title), style="italic", highlight=False, soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0, 0, 1), header_style="bold")
    for k, col in enumerate(keys):
        # key columns are never cut: numbers stay on one line; a long name wraps only when the key
        # columns alone are wider than the terminal
        width = key_width(col, [r[k] for r in rows]) if col.justify == "right" else None
        table.add_column(escape(col.header), justify=col.justify, overflow="fold",  # type: ignore[arg-type]
                         min_width=width, max_width=width)
    for j, col in enumerate(optional[:shown]):
        width = optional_width(col.header, [r[n + j] for r in rows])
        table.add_column(escape(col.header), justify=col.justify, overflow="fold",  # type: ignore[arg-type]
                         min_width=None if squeeze else width, max_width=None if squeeze else width)
    for i, row in enumerate(rows):
        cells = []
        for k, text in enumerate(row[:n + shown]):
            styled = markup(k, text) if markup is not None else None
            cells.append(styled if styled is not None else escape(text))
        table.add_row(*cells, style="bold" if bold_rows is not None and bold_rows[i] else None)
    console.print(table, soft_wrap=False)
    hidden = list(optional[shown:])
    if hidden:
        console.print(escape(hidden_note(hidden, lang)), style="dim", highlight=False, soft_wrap=False)


def hidden_note(hidden: Sequence[Column], lang: str) -> str:
    """The optional columns left out, by header and id, and how to show them."""
    first = hidden[0].key or ""
    if lang == "zh":
        listed = "； ".join(f"{c.header} ({c.key})" for c in hidden)  # spaces: a line may break there
        return (f"另有 {len(hidden)} 列未显示（终端宽度不够）： {listed}。 "
                f"用 --columns 选择要显示的列（如 --columns {first}，或 all）； --format csv 含全部列。")
    listed = "; ".join(f"{c.header} ({c.key})" for c in hidden)
    return (f"{len(hidden)} more column{'s' if len(hidden) != 1 else ''} not shown (the terminal is too narrow): "
            f"{listed}. Choose columns with --columns (e.g. --columns {first}, or all); --format csv has them all.")
