"""`citystd template -f FRAMEWORK -o FILE`: a data-collection template for a framework."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import EXIT_OK, handles_errors, is_tty, lang_option, resolve_lang

FORMATS = ("xlsx", "csv")


@handles_errors
def template_command(
    framework: str = typer.Option(None, "--framework", "-f",
                                  help="Built-in framework id (default: action-plan) or a framework YAML file."),
    output: Path = typer.Option(..., "--output", "-o", help="The template file to write (.xlsx or .csv)."),
    years: str = typer.Option(None, "--years", help="Years to collect: 2024, 2021-2024 or 2019,2021 "
                              "(default: last year)."),
    cities: str = typer.Option(None, "--cities", help="City names, comma-separated. One city (or none): a row per "
                               "variable and a column per year; several: a row per city and year."),
    fmt: str = typer.Option(None, "--format", help="xlsx | csv (default: from the extension of -o)."),
    library: list[Path] = typer.Option(None, "--library", help="Use this library instead of the built-in one."),
    lang: str | None = lang_option(),
) -> None:
    """Write a template to collect a city's data for a framework (Excel with validation, or CSV).

    A filled template scores with `citystd score FILE -f FRAMEWORK`, no other options needed.
    Exit codes: 0 written, 1 library errors, 2 usage error.
    """
    import datetime

    from citystd.assessment.template import build_csv, build_xlsx, parse_cities, parse_years, template_rows
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.output import deliver
    from citystd.io.outpath import check_output, is_stdout
    from citystd.library.select import load_framework

    lang = resolve_lang(lang)
    if fmt is None:
        fmt = "" if is_stdout(output) else {".xlsx": "xlsx", ".csv": "csv"}.get(output.suffix.lower(), "")
        if not fmt:
            usage_error(f"cannot tell the format of '{output}' from its extension; use --format xlsx or csv",
                        f"无法从扩展名判断 '{output}' 的格式，请使用 --format xlsx 或 csv", lang)
    if fmt not in FORMATS:
        usage_error(f"--format must be xlsx or csv, not '{fmt}'", f"--format 只能是 xlsx 或 csv，而不是 '{fmt}'", lang)
    if is_stdout(output) and fmt == "xlsx" and is_tty():
        usage_error("xlsx is a binary format and cannot be written to the terminal",
                    "xlsx 是二进制格式，不能输出到终端", lang)
    try:
        year_list = parse_years(years, default=datetime.date.today().year - 1)
    except ValueError as exc:
        usage_error(f"--years: {exc} (write 2024, 2021-2024 or 2019,2021)",
                    f"--years 无效：{exc}（请写作 2024、2021-2024 或 2019,2021）", lang)
    city_list = parse_cities(cities)
    if cities is not None and not city_list:
        usage_error("--cities is empty", "--cities 为空", lang)
    lib, fw = load_framework(framework, list(library) if library else None)
    check_output(output, lib.paths)
    if fmt == "xlsx":
        data = build_xlsx(lib, fw, lang=lang, years=year_list, cities=city_list)
    else:
        data = build_csv(lib, fw, lang=lang, years=year_list, cities=city_list).encode("utf-8-sig")
    deliver(output, [data], lang, announce=False)
    n = len(template_rows(lib, fw))
    span = f"{year_list[0]}–{year_list[-1]}" if len(year_list) > 1 else str(year_list[0])
    where = ("标准输出" if lang == "zh" else "standard output") if is_stdout(output) else str(output)
    if lang == "zh":
        msg = f"已写入 {where}：框架 {fw.id} 需要填报的 {n} 项（变量及直接填报的指标），年份 {span}"
    else:
        msg = f"wrote {where}: {n} items to fill (variables and directly reported indicators) for {fw.id}, {span}"
    stderr_console().print(msg, markup=False, highlight=False)
    raise typer.Exit(EXIT_OK)
