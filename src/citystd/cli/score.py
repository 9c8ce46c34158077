"""`citystd score DATA`: score a data file against a framework and show or write the results."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import EXIT_FAIL, EXIT_OK, handles_errors, is_tty, lang_option, resolve_lang

FORMATS = ("table", "json", "csv", "xlsx", "html", "markdown")  # dispatch: citystd.cli.report


@handles_errors
def score_command(
    data: Path = typer.Argument(..., help="Data file: .xlsx, .csv or .parquet (wide or long table)."),
    framework: str = typer.Option(None, "--framework", "-f",
                                  help="Built-in framework id (default: action-plan) or a framework YAML file."),
    library: list[Path] = typer.Option(None, "--library", help="Use this library instead of the built-in one."),
    output: Path = typer.Option(None, "--output", "-o", help="Write results or a report to this file; the format "
                                "follows the extension (.json, .csv, .xlsx, .html, .md)."),
    fmt: str = typer.Option(None, "--format", help="table | json | csv | xlsx | html | markdown "
                            "(default: from -o, else table)."),
    sheet: str = typer.Option(None, "--sheet", help="Worksheet name (default: the sheet holding the data)."),
    layout: str = typer.Option("auto", "--layout", help="auto | wide | long"),
    id_column: str = typer.Option(None, "--id", help="Column naming the cities (default: found by name)."),
    sets: list[str] = typer.Option(None, "--set", help="Override a pipeline parameter: step.param=value "
                                   "(e.g. --set normalise.method=minmax). Repeatable."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Score even when the data has errors."),
    compare_with: Path = typer.Option(None, "--compare-with", help="Peers: their data (.xlsx, .csv …, scored "
                                      "together with DATA) or their saved results (.json, same framework)."),
    city: str = typer.Option(None, "--city", help="Output a one-city profile instead of all cities."),
    lang: str | None = lang_option(),
) -> None:
    """Score cities: derive indicators, check, impute, treat, normalise, weight, aggregate, rank, rate.

    Exit codes: 0 scored, 1 data or library errors, 2 usage error.
    """
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import print_human
    from citystd.cli.report import check_city, emit, pick_format
    from citystd.diagnostics import Severity
    from citystd.scoring import load_framework, score_file

    lang = resolve_lang(lang)
    fmt = pick_format(output, fmt, lang)
    if layout not in ("auto", "wide", "long"):
        usage_error(f"--layout must be auto, wide or long, not '{layout}'",
                    f"--layout 只能是 auto、wide 或 long，而不是 '{layout}'", lang)
    err = stderr_console()
    with _progress(err, lang) as report:
        report("library")
        lib, fw = load_framework(framework, list(library) if library else None)
        outcome = score_file(data, lib, fw, sets=list(sets or []), sheet=sheet, layout=layout, id_column=id_column,
                             keep_going=keep_going, lang=lang, progress=report, compare_with=compare_with)
    shown = [d for d in outcome.diagnostics if d.level is Severity.ERROR or d.code != "E809"]
    if shown:
        print_human(shown, lang, err, files=1)
    if outcome.results is None:
        msg = ("scoring stopped: fix the data errors above, or use --keep-going" if lang == "en"
               else "评分已停止：请修正上述数据错误，或使用 --keep-going")
        err.print(f"[bold red]{msg}[/]")
        raise typer.Exit(EXIT_FAIL)
    check_city(list(dict.fromkeys(outcome.results.units)), city, lang)
    emit(lambda: outcome.doc, fmt, lang, output=output, city=city, json_chunks=outcome.results.json_chunks)
    # errors found while scoring (e.g. an indicator that could not be normalised) fail the run,
    # unless the user chose to go on
    raise typer.Exit(EXIT_FAIL if outcome.errors and not keep_going else EXIT_OK)


_STAGES = {
    "library": ("loading the indicator library", "加载指标库"),
    "read": ("reading the data", "读取数据"),
    "derive": ("computing indicators", "计算指标"),
    "score": ("scoring", "评分"),
}


@contextmanager
def _progress(console: Any, lang: str) -> Iterator[Any]:
    """A spinner with the current stage on stderr, only when stderr is an interactive terminal."""
    if not console.is_terminal or os.environ.get("CI"):
        yield lambda _stage: None
        return
    with console.status("") as status:
        yield lambda stage: status.update(_STAGES.get(stage, (stage, stage))[lang == "zh"] + " …")


def render(doc: dict[str, Any], fmt: str, lang: str) -> str:
    from citystd.results import dumps

    if fmt == "json":
        return dumps(doc).decode("utf-8")
    if fmt == "csv":
        return to_csv(doc, lang)
    return table_text(doc, lang)


def table_text(doc: dict[str, Any], lang: str) -> str:
    from citystd.report.summary import summary_rows

    headers, rows = summary_rows(doc, lang)
    return "\n".join("\t".join(x) for x in [headers, *rows]) + "\n"


def print_table(doc: dict[str, Any], lang: str) -> None:
    if not is_tty():
        typer.echo(table_text(doc, lang), nl=False)
        return
    from rich.markup import escape
    from rich.table import Table

    from citystd.cli.common import stdout_console
    from citystd.report.labels import rating_label
    from citystd.report.summary import summary_rows

    headers, rows = summary_rows(doc, lang)
    fw = doc["framework"]
    title = f"{fw['name'][lang]} ({fw['id']} v{fw['version']}, sha256 {fw['sha256'][:12]}…)"
    table = Table(title=escape(title), header_style="bold")
    colours = {rating_label(k, lang): v for k, v in
               {"green": "green", "yellow": "yellow", "orange": "dark_orange", "red": "red", "gray": "grey50"}.items()}
    for h in headers:
        table.add_column(escape(h), justify="left" if h in ("city", "城市", "rating", "评级") else "right")
    rating_at = headers.index("评级" if lang == "zh" else "rating")
    for row in rows:
        cells = [escape(c) for c in row]
        if row[rating_at] in colours:
            cells[rating_at] = f"[{colours[row[rating_at]]}]●[/] {row[rating_at]}"
        table.add_row(*cells)
    stdout_console().print(table)


def _safe(text: str) -> str:
    """Neutralise spreadsheet formula injection in text written to CSV."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(doc: dict[str, Any], lang: str) -> str:
    import csv
    import io

    nodes = list(doc["results"][0]["nodes"]) if doc["results"] else []
    inds = list(doc["indicators"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["city", "year", "rank", "score", "rating", "coverage", *[f"node:{n}" for n in nodes],
                *[f"score:{i}" for i in inds], *[f"value:{i}" for i in inds]])

    def num(v: Any) -> str:
        return "" if v is None else repr(float(v))

    for r in doc["results"]:
        w.writerow([_safe(r["city"]), "" if r["year"] is None else r["year"], "" if r["rank"] is None else r["rank"],
                    num(r["score"]), r["rating"] or "", num(r["coverage"]),
                    *[num(r["nodes"][n]["score"]) for n in nodes],
                    *[num(r["indicators"][i]["score"]) for i in inds],
                    *[num(r["indicators"][i]["value"]) for i in inds]])
    return buf.getvalue()
