"""How `citystd score` and `citystd report` deliver a results document: the format from
``--format`` or the extension of ``-o`` (:data:`citystd.report.EXTENSIONS`), ``--city`` for a
one-city profile, the terminal table, CSV, and writing the output atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import is_tty

FORMATS = ("table", "json", "csv", "xlsx", "html", "markdown", "parquet")
#: formats that cannot go to a terminal
BINARY = ("xlsx", "parquet")


def pick_format(output: Path | None, fmt: str | None, lang: str) -> str:
    """The output format: ``--format``, else the extension of ``-o``, else ``table`` (usage errors exit 2).

    ``-o -`` is standard output: a binary format may go there only when it is not a terminal.
    """
    from citystd.cli.common import usage_error
    from citystd.io.outpath import is_stdout
    from citystd.report import EXTENSIONS

    to_stdout = output is None or is_stdout(output)
    if fmt is None:
        if to_stdout:
            return "table"
        assert output is not None
        fmt = EXTENSIONS.get(output.suffix.lower(), "")
        if not fmt:
            known = ", ".join(EXTENSIONS)
            usage_error(f"cannot tell the format of '{output}' from its extension ({known}); use --format",
                        f"无法从扩展名判断 '{output}' 的格式（{known}），请使用 --format", lang)
    fmt = fmt.lower()
    if fmt == "md":
        fmt = "markdown"
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    if to_stdout and fmt in BINARY and (output is None or is_tty()):
        usage_error(f"{fmt} is a binary format and cannot be written to the terminal: use -o FILE.{fmt}",
                    f"{fmt} 是二进制格式，不能输出到终端：请使用 -o 文件.{fmt}", lang)
    return fmt


def columns_option() -> Any:
    return typer.Option(None, "--columns", metavar="ID,…",
                        help="Domain columns of the table: node ids or names, comma-separated (repeatable), or all "
                             "(default: as many top-level domains as the terminal fits; the rest are named below it).")


def check_columns(values: list[str] | None, fmt: str, nodes: dict[str, dict[str, str]], lang: str) -> list[str] | None:
    """The node ids ``--columns`` picks (:func:`citystd.cli.table.choose`); a usage error with any
    format but the table, which is the only one that leaves columns out."""
    if not values:
        return None
    if fmt != "table":
        from citystd.cli.common import usage_error

        usage_error(f"--columns chooses the columns of the table; --format {fmt} always has every column",
                    f"--columns 用于选择表格的列；--format {fmt} 总是包含全部列", lang)
    from citystd.cli.table import choose

    return choose(values, nodes, lang)


def framework_nodes(fw: Any) -> dict[str, dict[str, str]]:
    """Every node of a framework's tree (a :class:`~citystd.library.models.Framework`), by id → names."""
    out: dict[str, dict[str, str]] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if hasattr(item, "children"):
                out[item.id] = {"zh": item.name.zh, "en": item.name.en}
                walk(item.children)

    walk(fw.tree)
    return out


def check_city(cities: list[str], city: str | None, lang: str) -> None:
    """A usage error (exit 2, with a did-you-mean) when ``city`` is not among the results' cities."""
    if city is None or city in cities:
        return
    from citystd.cli.common import usage_error
    from citystd.diagnostics import did_you_mean

    hits = did_you_mean(city, cities)
    en = f"city '{city}' is not in the results" + (f"; did you mean '{hits[0]}'?" if hits else "")
    zh = f"结果中没有城市 '{city}'" + (f"；是否应为 '{hits[0]}'？" if hits else "")
    usage_error(en, zh, lang)


def _one_city(doc: dict[str, Any], city: str | None) -> dict[str, Any]:
    if city is None:
        return doc
    return {**doc, "results": [r for r in doc["results"] if r["city"] == city],
            "trends": [t for t in doc.get("trends") or [] if t.get("city") == city]}


def render_output(doc: dict[str, Any], fmt: str, lang: str, city: str | None = None,
                  columns: list[str] | None = None) -> bytes:
    """The bytes of ``doc`` in ``fmt`` (json and csv of one city hold that city's rows only).

    Outputs for people show bidirectional control characters as ``[U+202E]``; JSON keeps the
    values and writes them as ``\\u`` escapes (:mod:`citystd.textsafe`).
    """
    if fmt != "json":
        from citystd.textsafe import mark_bidi, mark_bidi_in

        doc, city = mark_bidi_in(doc), (None if city is None else mark_bidi(city))
    if fmt in ("xlsx", "html", "markdown"):
        from citystd.report import renderer

        try:
            render_report = renderer(fmt)
        except ModuleNotFoundError:  # pragma: no cover - every renderer ships with citystd
            from citystd.diagnostics import error

            raise error("U901", f"the {fmt} report is not available in this installation",
                        f"此安装不提供 {fmt} 报告", exit_code=2) from None
        return render_report(doc, lang, city=city)
    return render(_one_city(doc, city), fmt, lang, columns).encode("utf-8")


def emit(get_doc: Callable[[], dict[str, Any]], fmt: str, lang: str, *, output: Path | None,
         city: str | None = None, json_chunks: Callable[[], Iterator[bytes]] | None = None,
         results: Any = None, columns: list[str] | None = None) -> None:
    """Write the results in ``fmt`` to ``output`` (atomically) or to standard output.

    ``json_chunks`` streams the JSON of all cities without building the document, and ``results``
    (a :class:`~citystd.assessment.results.Results`) writes Parquet from the engine's frames
    (``score``); without them the document is rendered. ``columns`` (node ids, ``--columns``) are
    the domain columns of the table.
    """
    from citystd.cli.common import stderr_console
    from citystd.io.outpath import is_stdout

    if fmt == "parquet":  # machine data, like JSON: names are kept as they are
        from citystd.io.atomic import write_atomic
        from citystd.report import parquet

        assert output is not None  # pick_format refuses binary formats on the terminal
        write_atomic(output, parquet.results_writer(results) if results is not None and city is None
                     else parquet.doc_writer(_one_city(get_doc(), city)))
        if not is_stdout(output):
            stderr_console().print(("wrote " if lang == "en" else "已写入 ") + str(output), markup=False)
        return

    if (output is None or is_stdout(output)) and fmt == "table":
        print_table(_one_city(get_doc(), city), lang, columns)
        return
    if fmt == "json" and city is None and json_chunks is not None:
        chunks: Iterator[bytes] = json_chunks()
    else:
        chunks = iter([render_output(get_doc(), fmt, lang, city, columns)])
    deliver(output, chunks, lang)


def deliver(output: Path | None, chunks: Iterable[bytes], lang: str, *, announce: bool = True) -> None:
    """Bytes to the file ``output`` (atomically, :mod:`citystd.io.atomic`), or to standard output
    when ``output`` is None or ``-``. Every command that writes goes through here; ``announce``
    says "wrote FILE" on stderr."""
    from citystd.cli.common import stderr_console
    from citystd.io.outpath import is_stdout

    if output is None or is_stdout(output):
        for piece in chunks:
            typer.echo(piece, nl=False)
        return
    from citystd.io.atomic import write_chunks_atomic

    write_chunks_atomic(output, chunks)
    if announce:
        stderr_console().print(("wrote " if lang == "en" else "已写入 ") + str(output), markup=False, highlight=False)


def render(doc: dict[str, Any], fmt: str, lang: str, columns: list[str] | None = None) -> str:
    from citystd.assessment.results import dumps

    if fmt == "json":
        return dumps(doc).decode("utf-8")
    if fmt == "csv":
        return to_csv(doc, lang)
    return table_text(doc, lang, columns)


def table_text(doc: dict[str, Any], lang: str, columns: list[str] | None = None) -> str:
    """The table as tab-separated lines, each cell neutralised (:func:`citystd.textsafe.tsv_cell`):
    every top-level node, or the ``columns`` chosen. With peers (``--compare-with``) the rows
    compared, ranked together, then the city's standing, its domains and its priorities, each
    table after ``#`` lines (:mod:`citystd.report.standing`)."""
    from citystd.report import standing
    from citystd.report.summary import summary_rows
    from citystd.textsafe import tsv_cell

    def tsv(rows: list[list[str]]) -> list[str]:
        return ["\t".join(tsv_cell(c) for c in x) for x in rows]

    peers = standing.entries(doc)
    lines = [f"# {tsv_cell(x)}" for e in peers for x in [standing.heading(doc, e, lang), standing.year_note(e, lang)]
             if x]
    headers, rows = summary_rows(standing.comparison_doc(doc), lang, nodes=columns)
    lines += tsv([headers, *rows])
    for e in peers:
        lines += ["", f"# {tsv_cell(standing.heading(doc, e, lang))}", f"# {tsv_cell(standing.standing_line(e, lang))}",
                  f"# {standing.title('domains', lang)}", *tsv([standing.domain_headers(lang),
                                                                *standing.domain_rows(doc, e, lang)])]
        priorities = standing.priority_rows(doc, e, lang)
        if priorities:
            lines += ["", f"# {standing.title('priorities', lang)}", *tsv([standing.priority_headers(lang), *priorities])]
        years = standing.years_line(doc, e, lang)
        if years:
            lines += ["", f"# {tsv_cell(years)}"]
    return "\n".join(lines) + "\n"


def print_table(doc: dict[str, Any], lang: str, columns: list[str] | None = None) -> None:
    """The ranking on standard output: a table fitted to the terminal (:mod:`citystd.cli.table`),
    or tab-separated text when piped. With peers (``--compare-with``): the rows compared, the
    assessed city's rows in bold, then its standing among the peers, per domain, and its priorities."""
    from citystd.textsafe import mark_bidi_in

    doc = mark_bidi_in(doc)
    if not is_tty():
        typer.echo(table_text(doc, lang, columns), nl=False)
        return
    from rich.markup import escape

    from citystd.cli.common import stdout_console
    from citystd.cli.table import Column, draw
    from citystd.report import standing
    from citystd.report.summary import has_years, summary_rows, top_nodes

    console = stdout_console()
    peers = standing.entries(doc)
    shown_doc = standing.comparison_doc(doc)
    headers, rows = summary_rows(shown_doc, lang, nodes=columns)
    ids = columns if columns is not None else [t for t, _ in top_nodes(doc)]
    audited = bool(shown_doc.get("audit"))  # score --audit: the rank interval after the rank
    n = 5 + has_years(shown_doc) + audited
    keys = [Column(h, "left" if k in (1 + audited, n - 2) else "right") for k, h in enumerate(headers[:n])]
    optional = [Column(h, key=nid) for h, nid in zip(headers[n:], ids, strict=True)]
    fw = doc["framework"]
    console.print(escape(f"{fw['name'][lang]} ({fw['id']} v{fw['version']}, sha256 {fw['sha256'][:12]}…)"),
                  style="italic", highlight=False, soft_wrap=False)
    for e in peers:
        console.print(escape(standing.heading(doc, e, lang)), style="bold", highlight=False, soft_wrap=False)
        note = standing.year_note(e, lang)
        if note:
            console.print(escape(note), style="yellow", highlight=False, soft_wrap=False)
    at = n - 2  # the rating: a dot in its colour before its name
    colours = rating_colours(lang)
    dotted = [[*row[:at], f"● {row[at]}" if row[at] in colours else row[at], *row[at + 1:]] for row in rows]

    def markup(k: int, text: str) -> str | None:
        if k == at and text[2:] in colours and text.startswith("● "):
            return f"[{colours[text[2:]]}]●[/] {escape(text[2:])}"
        return None

    bold = [standing.is_assessed(doc, r) for r in shown_doc["results"]] if peers else None
    draw(console, keys, optional, dotted, lang=lang, chosen=columns is not None, markup=markup, bold_rows=bold)
    for e in peers:
        print_standing(console, doc, e, lang)


def print_standing(console: Any, doc: dict[str, Any], entry: dict[str, Any], lang: str) -> None:
    """An assessed city's standing among its peers on a terminal (:mod:`citystd.report.standing`)."""
    from rich.markup import escape

    from citystd.cli.table import Column, draw
    from citystd.report import standing

    def say(text: str, style: str = "") -> None:
        console.print(escape(text), style=style, highlight=False, soft_wrap=False)

    console.print()
    say(standing.heading(doc, entry, lang), "bold")
    say(standing.standing_line(entry, lang))
    rows = standing.domain_rows(doc, entry, lang)
    if rows:
        console.print()
        say(standing.title("domains", lang), "bold")
        heads = standing.domain_headers(lang)
        keys = [Column(h, "left" if k in (0, 4) else "right") for k, h in enumerate(heads)]
        draw(console, keys, [], rows, lang=lang)
    rows = standing.priority_rows(doc, entry, lang)
    if rows:
        console.print()
        say(standing.title("priorities", lang), "bold")
        heads = standing.priority_headers(lang)
        keys = [Column(h, "left" if k in (1, 3) else "right") for k, h in enumerate(heads)]
        draw(console, keys, [], rows, lang=lang)
    years = standing.years_line(doc, entry, lang)
    if years:
        console.print()
        say(years, "dim")


def rating_colours(lang: str) -> dict[str, str]:
    """Terminal colour of each rating, by its label in ``lang``."""
    from citystd.report.labels import rating_label

    return {rating_label(k, lang): v for k, v in
            {"green": "green", "yellow": "yellow", "orange": "dark_orange", "red": "red", "gray": "grey50"}.items()}


def to_csv(doc: dict[str, Any], lang: str) -> str:
    import csv
    import io

    from citystd.report.numbers import csv_number as num
    from citystd.textsafe import csv_text

    nodes = list(doc["results"][0]["nodes"]) if doc["results"] else []
    inds = list(doc["indicators"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["city", "year", "rank", "score", "rating", "coverage", *[f"node:{n}" for n in nodes],
                *[f"score:{i}" for i in inds], *[f"value:{i}" for i in inds]])

    for r in doc["results"]:
        w.writerow([csv_text(r["city"]), "" if r["year"] is None else r["year"], "" if r["rank"] is None else r["rank"],
                    num(r["score"]), r["rating"] or "", num(r["coverage"]),
                    *[num(r["nodes"][n]["score"]) for n in nodes],
                    *[num(r["indicators"][i]["score"]) for i in inds],
                    *[num(r["indicators"][i]["value"]) for i in inds]])
    return buf.getvalue()
