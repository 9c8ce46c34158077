"""`citystd audit DATA`: statistical coherence, uncertainty and sensitivity analysis of a framework."""

from __future__ import annotations

from pathlib import Path

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
)

FORMATS = ("table", "json", "html", "xlsx")
#: extension of -o → format
EXTENSIONS = {".json": "json", ".txt": "table", ".html": "html", ".htm": "html", ".xlsx": "xlsx"}


@handles_errors
def audit_command(
    data: list[Path] = data_arguments(),
    framework: str = typer.Option(None, "--framework", "-f",
                                  help="Built-in framework id (default: action-plan) or a framework YAML file."),
    library: list[Path] = typer.Option(None, "--library", help="Use this library instead of the built-in one."),
    uncertainty: Path = typer.Option(None, "--uncertainty", "-u", help="YAML file with an `uncertainty:` list "
                                     "(default: the framework's own `uncertainty:`)."),
    n: int = typer.Option(1000, "-N", "--samples", help="Base samples N (Sobol design: N·(d+2) replications)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the Sobol points, weight noise and bootstrap."),
    sensitivity: bool = typer.Option(True, "--sensitivity/--no-sensitivity",
                                     help="Sobol indices (Saltelli design) or only rank intervals (N replications)."),
    city: str = typer.Option(None, "--city", help="Also estimate Sobol indices of this city's rank."),
    size: list[str] = typer.Option(None, "--size", help="Size variable (a data column or indicator, e.g. population) "
                                   "to correlate with every score. Repeatable."),
    year: int = typer.Option(None, "--year", help="Year audited (default: the latest), and the year of tables "
                             "without a year column.", min=1000, max=2999),
    prefer: list[Path] = prefer_option(),
    column: list[str] = column_option(),
    workers: int = typer.Option(None, "--workers", help="Worker processes (a local Dask cluster when Dask is "
                                "installed, else a process pool; default: all cores for large audits)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                                  "(default: DASK_SCHEDULER_ADDRESS)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the Sobol intervals."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the audit to this file: .json, .html or .xlsx (a report), .txt."),
    fmt: str = typer.Option(None, "--format", help="table | json | html | xlsx (default: from -o, else table)."),
    sheet: str = typer.Option(None, "--sheet", help="Worksheet name (default: the sheet holding the data)."),
    layout: str = typer.Option("auto", "--layout", help="auto | wide | long"),
    id_column: str = typer.Option(None, "--id", help="Column naming the cities (default: found by name)."),
    sets: list[str] = typer.Option(None, "--set", help="Override a pipeline parameter: step.param=value. Repeatable."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Audit even when the data has errors."),
    lang: str | None = lang_option(),
) -> None:
    """Audit a composite index: coherence per node, drop-one impacts, rank intervals and Sobol indices.

    Several files and folders are one data set, merged on city and year, as in citystd score.

    Exit codes: 0 audited, 1 data, library or uncertainty errors, 2 usage error.
    """
    from citystd.allocator import tune_for_large_arrays
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import print_human
    from citystd.diagnostics import Severity

    tune_for_large_arrays()  # freed arrays reused, not faulted in again (citystd/allocator.py)
    lang = resolve_lang(lang)
    fmt = _format(output, fmt, lang)
    if layout not in ("auto", "wide", "long"):
        usage_error(f"--layout must be auto, wide or long, not '{layout}'",
                    f"--layout 只能是 auto、wide 或 long，而不是 '{layout}'", lang)
    if workers is not None and workers < 1:
        usage_error(f"--workers must be at least 1, not {workers}", f"--workers 至少为 1，而不是 {workers}", lang)
    if bootstrap < 1:
        usage_error(f"--bootstrap must be at least 1, not {bootstrap}", f"--bootstrap 至少为 1，而不是 {bootstrap}", lang)
    from citystd.assessment.audit.io import audit_data
    from citystd.cli.common import parse_columns
    from citystd.io.inputs import expand
    from citystd.io.outpath import check_output
    from citystd.library.select import load_framework

    lib, fw = load_framework(framework, list(library) if library else None)
    # every file read — those found in a data folder too — is an input -o may not be
    check_output(output, [*(i.path for i in expand(list(data))), uncertainty, *lib.paths])
    err = stderr_console()
    choose = parse_columns(column, {**lib.variables, **lib.indicators}, lang) if column else None
    outcome = audit_data(list(data), framework, uncertainty, loaded=(lib, fw), n=n,
                         seed=seed, sensitivity=sensitivity, city=city, size=list(size or []), year=year,
                         workers=workers, scheduler=scheduler, bootstrap=bootstrap, sets=list(sets or []), sheet=sheet,
                         layout=layout, id_column=id_column, choose=choose, prefer=list(prefer or []),
                         keep_going=keep_going)
    shown = [d for d in outcome.diagnostics if d.level is Severity.ERROR or d.code not in ("E809",)]
    if shown:
        print_human(shown, lang, err, files=len(data))
    if outcome.document is None:
        msg = ("audit stopped: fix the errors above" + ("" if keep_going else ", or use --keep-going for data errors")
               if lang == "en" else "审计已停止：请修正上述错误" + ("" if keep_going else "，数据错误可使用 --keep-going"))
        err.print(f"[bold red]{msg}[/]")
        raise typer.Exit(EXIT_FAIL)
    from citystd.assessment.audit.report import render
    from citystd.cli.output import deliver
    from citystd.textsafe import escape_bidi_json, mark_bidi_in

    if fmt == "json":  # names kept, bidirectional controls as \u escapes; the table shows them as [U+…]
        payload = escape_bidi_json(render(outcome.document, fmt, lang))
    else:
        payload = render(mark_bidi_in(outcome.document), fmt, lang)
    deliver(output, [payload], lang)
    raise typer.Exit(EXIT_OK)


def _format(output: Path | None, fmt: str | None, lang: str) -> str:
    from citystd.cli.common import usage_error

    if fmt is None:
        if output is None or str(output) == "-":
            return "table"
        fmt = EXTENSIONS.get(output.suffix.lower())
        if fmt is None:
            known = ", ".join(EXTENSIONS)
            usage_error(f"cannot tell the format of '{output}' from its extension ({known}); use --format",
                        f"无法从扩展名判断 '{output}' 的格式（{known}），请使用 --format", lang)
    fmt = fmt.lower()
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    if fmt == "xlsx" and output is None:
        usage_error("xlsx is a binary format and cannot be written to the terminal: use -o FILE.xlsx",
                    "xlsx 是二进制格式，不能输出到终端：请使用 -o 文件.xlsx", lang)
    assert fmt is not None
    return fmt


__all__ = ["EXIT_FAIL", "audit_command"]
