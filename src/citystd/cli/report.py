"""`citystd report RESULTS`: render saved results as a report, without scoring again.

The output dispatch it shares with ``citystd score`` lives in :mod:`citystd.cli.output`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import handles_errors, lang_option, resolve_lang
from citystd.cli.output import check_city, check_columns, columns_option, emit, pick_format


@handles_errors
def report_command(
    results: Path = typer.Argument(..., help="Results written by `citystd score DATA -o results.json` (or .parquet)."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Write the report to this file; the format follows the extension "
                                     "(.xlsx, .html, .md, .json, .csv, .parquet)."),
    fmt: str = typer.Option(None, "--format",
                            help="table | json | csv | xlsx | html | markdown | parquet (default: from -o, else table)."),
    city: str = typer.Option(None, "--city", help="A one-city profile instead of the comparison of all cities."),
    columns: list[str] = columns_option(),
    lang: str | None = lang_option(),
) -> None:
    """Render saved results as a report (Excel, HTML, Markdown, table, JSON, CSV, Parquet) without scoring again.

    Exit codes: 0 written, 1 the file is not citystd results, 2 usage error.
    """
    from citystd.cli.common import stderr_console
    from citystd.cli.formats import print_human
    from citystd.io.outpath import check_output
    from citystd.report.load import load_results
    from citystd.report.summary import cities, node_names

    lang = resolve_lang(lang)
    fmt = pick_format(output, fmt, lang)
    check_output(output, [results])
    doc, warnings = load_results(results)
    if warnings:
        print_human(warnings, lang, stderr_console(), with_summary=False)
    check_city(cities(doc), city, lang)
    chosen = check_columns(columns, fmt, node_names(doc), lang)
    emit(lambda: doc, fmt, lang, output=output, city=city, columns=chosen)
