"""`citystd score DATA`: score a data file against a framework and show or write the results."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    column_option,
    data_arguments,
    handles_errors,
    lang_option,
    prefer_option,
    resolve_lang,
    year_option,
)
from citystd.cli.output import columns_option


@handles_errors
def score_command(
    data: list[Path] = data_arguments(),
    framework: str = typer.Option(None, "--framework", "-f",
                                  help="Built-in framework id (default: action-plan) or a framework YAML file."),
    library: list[Path] = typer.Option(None, "--library", help="Use this library instead of the built-in one."),
    output: Path = typer.Option(None, "--output", "-o", help="Write results or a report to this file; the format "
                                "follows the extension (.json, .csv, .xlsx, .html, .md, .parquet)."),
    fmt: str = typer.Option(None, "--format", help="table | json | csv | xlsx | html | markdown | parquet "
                            "(default: from -o, else table)."),
    sheet: str = typer.Option(None, "--sheet", help="Worksheet name (default: the sheet holding the data)."),
    layout: str = typer.Option("auto", "--layout", help="auto | wide | long"),
    id_column: str = typer.Option(None, "--id", help="Column naming the cities (default: found by name)."),
    year: int = year_option(),
    prefer: list[Path] = prefer_option(),
    column: list[str] = column_option(),
    sets: list[str] = typer.Option(None, "--set", help="Override a pipeline parameter: step.param=value "
                                   "(e.g. --set normalise.method=minmax). Repeatable."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Score even when the data has errors."),
    compare_with: Path = typer.Option(None, "--compare-with", help="Peers: their data (.xlsx, .csv …, scored "
                                      "together with DATA) or their saved results (.json, same framework)."),
    city: str = typer.Option(None, "--city", help="Output a one-city profile instead of all cities."),
    audit: Path = typer.Option(None, "--audit", help="An audit of this data (citystd audit … -o audit.json): show "
                               "each rank with its 5–95 % interval."),
    force: bool = typer.Option(False, "--force", help="Use an --audit made for other data or another framework "
                               "(a warning instead of an error)."),
    columns: list[str] = columns_option(),
    lang: str | None = lang_option(),
) -> None:
    """Score cities: derive indicators, check, impute, treat, normalise, weight, aggregate, rank, rate.

    Several files and folders are one data set, merged on city and year (docs/data.md).
    Exit codes: 0 scored, 1 data or library errors, 2 usage error.
    """
    from citystd.allocator import tune_for_large_arrays
    from citystd.assessment.scoring import score_file
    from citystd.cli.common import parse_columns, stderr_console, usage_error
    from citystd.cli.formats import print_human
    from citystd.cli.output import check_city, check_columns, emit, framework_nodes, pick_format
    from citystd.diagnostics import Severity
    from citystd.io.inputs import expand
    from citystd.io.outpath import check_output, is_stdout
    from citystd.library.select import load_framework

    tune_for_large_arrays()  # freed arrays reused, not faulted in again (citystd/allocator.py)
    lang = resolve_lang(lang)
    fmt = pick_format(output, fmt, lang)
    if layout not in ("auto", "wide", "long"):
        usage_error(f"--layout must be auto, wide or long, not '{layout}'",
                    f"--layout 只能是 auto、wide 或 long，而不是 '{layout}'", lang)
    audited = None
    if audit is not None:
        from citystd.assessment.intervals import load_audit

        audited = load_audit(audit)  # before scoring: a wrong file fails fast
    err = stderr_console()
    with _progress(err, lang) as report:
        report("library")
        lib, fw = load_framework(framework, list(library) if library else None)
        chosen = check_columns(columns, fmt, framework_nodes(fw), lang)
        # every file read — those found in a data folder too — is an input -o may not be
        inputs = expand(list(data))
        check_output(output, [*(i.path for i in inputs), compare_with, audit, *lib.paths])
        choose = parse_columns(column, {**lib.variables, **lib.indicators}, lang)
        outcome = score_file(list(data), lib, fw, sets=list(sets or []), sheet=sheet, layout=layout,
                             id_column=id_column, year=year, choose=choose, prefer=list(prefer or []),
                             keep_going=keep_going, lang=lang, progress=report, compare_with=compare_with)
    if audited is not None and outcome.results is not None:
        from citystd.assessment.intervals import rank_intervals

        res = outcome.results
        section, found = rank_intervals(*audited, audit, framework={"id": res.spec.framework_id, "version":
                                                                   res.spec.version, "sha256": res.spec.sha256()},
                                        input_sha256=res.input_info.get("sha256"), cities=res.units, force=force)
        res.audit = section
        res.issues += found
        outcome.diagnostics += found
    shown = [d for d in outcome.diagnostics if d.level is Severity.ERROR or d.code != "E809"]
    if shown:
        print_human(shown, lang, err, files=len(inputs))
    if outcome.results is None:
        msg = ("scoring stopped: fix the data errors above, or use --keep-going" if lang == "en"
               else "评分已停止：请修正上述数据错误，或使用 --keep-going")
        err.print(f"[bold red]{msg}[/]")
        raise typer.Exit(EXIT_FAIL)
    check_city(list(dict.fromkeys(outcome.results.units)), city, lang)
    failed = bool(outcome.errors) and not keep_going
    if failed and output is not None and not is_stdout(output):
        # errors found while scoring (e.g. an indicator that could not be normalised) fail the run:
        # a file is written only by a run that succeeds (exit 0), so a failed run never replaces one
        msg = (f"{output} not written: fix the errors above, or use --keep-going to write the results anyway"
               if lang == "en" else f"未写入 {output}：请修正上述错误，或使用 --keep-going 仍然写入结果")
        err.print(msg, style="bold red", markup=False, highlight=False)
        raise typer.Exit(EXIT_FAIL)
    emit(lambda: outcome.doc, fmt, lang, output=output, city=city, json_chunks=outcome.results.json_chunks,
         results=outcome.results, columns=chosen)
    raise typer.Exit(EXIT_FAIL if failed else EXIT_OK)


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
