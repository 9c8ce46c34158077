"""`citystd check DATA`: data quality and completeness for a framework, without scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    column_option,
    data_arguments,
    handles_errors,
    is_tty,
    lang_option,
    prefer_option,
    resolve_lang,
    year_option,
)

FORMATS = ("human", "grouped", "json", "github")
SHOWN_MISSING = 20  # indicators that cannot be computed, listed by the human format


@handles_errors
def check_command(
    data: list[Path] = data_arguments(),
    framework: str = typer.Option(None, "--framework", "-f",
                                  help="Built-in framework id (default: action-plan) or a framework YAML file."),
    library: list[Path] = typer.Option(None, "--library", help="Use this library instead of the built-in one."),
    fmt: str = typer.Option("human", "--format", metavar="FORMAT",
                            help="human (findings one per line: path:sheet!cell: CODE message) | grouped (by file) "
                                 "| json | github"),
    jump_factor: float = typer.Option(3.0, "--jump-factor",
                                      help="Flag a value that changes by this factor or more from the previous "
                                      "year (ratio-scale variables only); 0 turns the check off."),
    sheet: str = typer.Option(None, "--sheet", help="Worksheet name (default: the sheet holding the data)."),
    layout: str = typer.Option("auto", "--layout", help="auto | wide | long"),
    id_column: str = typer.Option(None, "--id", help="Column naming the cities (default: found by name)."),
    year: int = year_option(),
    prefer: list[Path] = prefer_option(),
    column: list[str] = column_option(),
    lang: str | None = lang_option(),
) -> None:
    """Check a data file for a framework: completeness per domain and indicator, values out of
    range, empty required cells, year-on-year jumps, units off by a power of ten. No score.

    Exit codes: 0 no errors (warnings may be listed), 1 errors found, 2 usage error.
    """
    from citystd.assessment.checking import check_file
    from citystd.cli.common import parse_columns, stderr_console, usage_error
    from citystd.cli.formats import print_grouped, print_human, summary, to_github
    from citystd.library.select import load_framework

    lang = resolve_lang(lang)
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    if layout not in ("auto", "wide", "long"):
        usage_error(f"--layout must be auto, wide or long, not '{layout}'",
                    f"--layout 只能是 auto、wide 或 long，而不是 '{layout}'", lang)
    if jump_factor != 0 and not jump_factor > 1:
        usage_error(f"--jump-factor must be above 1 (or 0 to turn the check off), not {jump_factor:g}",
                    f"--jump-factor 必须大于 1（或为 0 以关闭该检查），而不是 {jump_factor:g}", lang)
    lib, fw = load_framework(framework, list(library) if library else None)
    choose = parse_columns(column, {**lib.variables, **lib.indicators}, lang)
    report = check_file(list(data), lib, fw, jump_factor=jump_factor or None, sheet=sheet, layout=layout,
                        id_column=id_column, year=year, choose=choose, prefer=list(prefer or []))
    err = stderr_console()
    from citystd.io.inputs import expand

    files = len(expand(list(data)))  # the data files read: those found in folders too
    if fmt == "json":
        import json

        from citystd.textsafe import escape_bidi_json_text

        typer.echo(escape_bidi_json_text(json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2)))
    elif fmt == "github":
        out = to_github(report.diagnostics, lang)
        if out:
            typer.echo(out)
        err.print(summary(report.diagnostics, files, lang))
    else:
        print_completeness(report, lang)
        (print_human if fmt == "human" else print_grouped)(report.diagnostics, lang, err, files=files)
    raise typer.Exit(EXIT_FAIL if report.errors else EXIT_OK)


def print_completeness(report: Any, lang: str) -> None:
    """The completeness table (per domain) and the indicators that cannot be computed, on stdout."""
    from rich.markup import escape
    from rich.table import Table

    from citystd.assessment.checking import fraction
    from citystd.cli.common import stdout_console
    from citystd.textsafe import mark_bidi, tsv_cell

    zh = lang == "zh"
    out = stdout_console()
    fw = report.framework
    years = report.years
    span = "" if not years else (f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]))
    cities = len(report.cities)
    if zh:
        title = f"数据完整性：{fw['name']['zh']}（{fw['id']}），{cities} 个城市" + (f"，{span} 年" if span else "")
        heads = ["领域", "指标数", "完整", "部分", "无法计算", "可计算比例"]
    else:
        title = (f"Completeness for {fw['name']['en']} ({fw['id']}): {cities} cit{'ies' if cities != 1 else 'y'}"
                 + (f", {span}" if span else ""))
        heads = ["domain", "indicators", "complete", "partial", "none", "computable"]
    rows = []
    for d in [*report.domains, report.overall]:
        name = d.name["zh" if zh else "en"] if d is not report.overall else ("合计" if zh else "total")
        rows.append([mark_bidi(name), str(len(d.indicators)), str(d.complete), str(d.partial), str(d.none),
                     fraction(d.share)])
    if is_tty():
        table = Table(title=escape(mark_bidi(title)), header_style="bold")
        for k, h in enumerate(heads):
            table.add_column(h, justify="left" if k == 0 else "right")
        for k, row in enumerate(rows):
            table.add_row(*(escape(c) for c in row), style="bold" if k == len(rows) - 1 else None)
        out.print(table)
    else:  # piped: tab-separated lines, each cell neutralised like the other commands' tables
        typer.echo(tsv_cell(title))
        for row in [heads, *rows]:
            typer.echo("\t".join(tsv_cell(c) for c in row))
    none = [i for i in report.indicators if i.status == "none"]
    if none:
        out.print()
        out.print("无法计算的指标（任何年份都没有数值）：" if zh else
                   "Indicators that cannot be computed (no value in any year):")
        for ind in none[:SHOWN_MISSING]:
            why = ""
            if ind.missing_columns:
                listed = ", ".join(_with_source(c, report.sources.get(c, []), zh) for c in ind.missing_columns)
                why = f" — 缺少：{listed}" if zh else f" — the data has no {listed}"
            out.print(f"  {escape(ind.id)}  {escape(mark_bidi(ind.name['zh' if zh else 'en']))}{escape(mark_bidi(why))}")
        if len(none) > SHOWN_MISSING:
            rest = len(none) - SHOWN_MISSING
            out.print(f"  ……另有 {rest} 个（--format json 列出全部）" if zh else
                      f"  … and {rest} more (--format json lists them all)")
    print_per_city(report, lang)


def _with_source(column: str, sources: list[str], zh: bool) -> str:
    if not sources:
        return column
    return f"{column}（见 {sources[0]}）" if zh else f"{column} (published in {sources[0]})"


def print_per_city(report: Any, lang: str) -> None:
    """One line on what each city can be computed: the fewest, the median, the most."""
    from rich.markup import escape

    from citystd.cli.common import stdout_console
    from citystd.textsafe import mark_bidi

    latest: dict[str, Any] = {}  # each city in its latest year
    for c in report.per_city:
        if c.city not in latest or (c.year or 0) >= (latest[c.city].year or 0):
            latest[c.city] = c
    rows = list(latest.values())
    if not rows:
        return
    zh = lang == "zh"
    out = stdout_console()
    ordered = sorted(rows, key=lambda c: (c.computable, c.city))
    low, high = ordered[0], ordered[-1]
    mid = ordered[len(ordered) // 2]
    of = low.of
    out.print()
    if zh:
        out.print(escape(mark_bidi(f"各城市最近一年可计算的指标（共 {of} 个）：最少 {low.computable}（{low.city}），中位数 {mid.computable}，"
                         f"最多 {high.computable}（{high.city}）；--format json 逐城市列出")))
    else:
        out.print(escape(mark_bidi(f"Indicators computable per city in its latest year (of {of}): fewest {low.computable} ({low.city}), "
                         f"median {mid.computable}, most {high.computable} ({high.city}); --format json lists "
                         "every city")))
