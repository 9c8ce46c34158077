"""`citystd report RESULTS`: render saved results as a report, without scoring again.

Also the output dispatch shared with ``citystd score``: the format from ``--format`` or the
extension of ``-o`` (:data:`citystd.report.EXTENSIONS`), ``--city`` for a one-city profile, and
writing the output atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import handles_errors, lang_option, resolve_lang

FORMATS = ("table", "json", "csv", "xlsx", "html", "markdown")
#: formats that cannot go to a terminal
BINARY = ("xlsx",)


def pick_format(output: Path | None, fmt: str | None, lang: str) -> str:
    """The output format: ``--format``, else the extension of ``-o``, else ``table`` (usage errors exit 2)."""
    from citystd.cli.common import usage_error
    from citystd.report import EXTENSIONS

    if fmt is None:
        if output is None:
            return "table"
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
    if output is None and fmt in BINARY:
        usage_error(f"{fmt} is a binary format and cannot be written to the terminal: use -o FILE.{fmt}",
                    f"{fmt} 是二进制格式，不能输出到终端：请使用 -o 文件.{fmt}", lang)
    return fmt


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


def render_output(doc: dict[str, Any], fmt: str, lang: str, city: str | None = None) -> bytes:
    """The bytes of ``doc`` in ``fmt`` (json and csv of one city hold that city's rows only)."""
    if fmt in ("xlsx", "html", "markdown"):
        from citystd.report import renderer

        try:
            render = renderer(fmt)
        except ModuleNotFoundError:  # pragma: no cover - every renderer ships with citystd
            from citystd.diagnostics import error

            raise error("U901", f"the {fmt} report is not available in this installation",
                        f"此安装不提供 {fmt} 报告", exit_code=2) from None
        return render(doc, lang, city=city)
    from citystd.cli.score import render as render_text

    return render_text(_one_city(doc, city), fmt, lang).encode("utf-8")


def emit(get_doc: Callable[[], dict[str, Any]], fmt: str, lang: str, *, output: Path | None,
         city: str | None = None, json_chunks: Callable[[], Iterator[bytes]] | None = None) -> None:
    """Write the results in ``fmt`` to ``output`` (atomically) or to standard output.

    ``json_chunks`` streams the JSON of all cities without building the document (``score``).
    """
    from citystd.cli.common import stderr_console

    if output is None and fmt == "table":
        from citystd.cli.score import print_table

        print_table(_one_city(get_doc(), city), lang)
        return
    if fmt == "json" and city is None and json_chunks is not None:
        chunks: Iterator[bytes] = json_chunks()
    else:
        chunks = iter([render_output(get_doc(), fmt, lang, city)])
    if output is not None:
        from citystd.atomic import write_chunks_atomic

        write_chunks_atomic(output, chunks)
        stderr_console().print(("wrote " if lang == "en" else "已写入 ") + str(output), markup=False)
    else:
        for piece in chunks:
            typer.echo(piece, nl=False)


@handles_errors
def report_command(
    results: Path = typer.Argument(..., help="Results JSON written by `citystd score DATA -o results.json`."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Write the report to this file; the format follows the extension "
                                     "(.xlsx, .html, .md, .json, .csv)."),
    fmt: str = typer.Option(None, "--format",
                            help="table | json | csv | xlsx | html | markdown (default: from -o, else table)."),
    city: str = typer.Option(None, "--city", help="A one-city profile instead of the comparison of all cities."),
    lang: str | None = lang_option(),
) -> None:
    """Render saved results as a report (Excel, HTML, Markdown, table, JSON, CSV) without scoring again.

    Exit codes: 0 written, 1 the file is not citystd results, 2 usage error.
    """
    from citystd.cli.common import stderr_console
    from citystd.cli.formats import print_human
    from citystd.report.load import load_results
    from citystd.report.summary import cities

    lang = resolve_lang(lang)
    fmt = pick_format(output, fmt, lang)
    doc, warnings = load_results(results)
    if warnings:
        print_human(warnings, lang, stderr_console(), with_summary=False)
    check_city(cities(doc), city, lang)
    emit(lambda: doc, fmt, lang, output=output, city=city)
