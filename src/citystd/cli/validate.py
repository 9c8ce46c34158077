"""`citystd validate [PATH ...]`: check indicator libraries and frameworks, for CI and authors."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import EXIT_ERROR, EXIT_FAIL, EXIT_OK, handles_errors, lang_option, resolve_lang


@handles_errors
def validate_command(
    paths: list[Path] = typer.Argument(None, help="Library directories or YAML files (default: the built-in library)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    fmt: str = typer.Option(None, "--format", metavar="FORMAT",
                            help="human (one line per finding: path:line:col: CODE message; the default) | grouped "
                                 "(by file) | json | github | sarif"),
    old_format: str = typer.Option(None, "-f", hidden=True, metavar="FORMAT"),
    lang: str | None = lang_option(),
    with_builtin: bool = typer.Option(False, "--with-builtin",
                                      help="Load the built-in library too, so your framework can use its indicators."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when problems are found."),
    select: list[str] = typer.Option(None, "--select", help="Only report these codes (or code prefixes, e.g. N4)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="Do not report these codes (or prefixes)."),
) -> None:
    """Validate indicator library files: every problem at once, as file:line:col: CODE message.

    Exit codes: 0 clean, 1 problems found, 2 usage or internal error.
    """
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import FORMATS, print_grouped, print_human, summary, to_github, to_json, to_sarif
    from citystd.diagnostics import Severity
    from citystd.library.validate import validate

    lang = resolve_lang(lang)
    fmt = _format(fmt, old_format, lang)
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    lib, diags = validate(list(paths) if paths else None, strict=strict, with_builtin=with_builtin)
    if select:
        diags = [d for d in diags if any(d.code.startswith(s.upper()) for s in select)]
    if ignore:
        diags = [d for d in diags if not any(d.code.startswith(s.upper()) for s in ignore)]
    usage = [d for d in diags if d.code.startswith("U")]
    files = len(lib.files)
    if fmt in ("human", "grouped"):
        (print_human if fmt == "human" else print_grouped)(diags, lang, stderr_console(), files=files)
    else:
        out = {"json": lambda: to_json(diags, lang, files=files), "github": lambda: to_github(diags, lang),
               "sarif": lambda: to_sarif(diags, lang)}[fmt]()
        if out:
            typer.echo(out)
        if fmt == "github":
            stderr_console().print(summary(diags, files, lang))
    if usage or files == 0:
        raise typer.Exit(EXIT_ERROR)
    failed = any(d.level is Severity.ERROR for d in diags)
    raise typer.Exit(EXIT_FAIL if failed and not exit_zero else EXIT_OK)


def _format(fmt: str | None, old: str | None, lang: str) -> str:
    """``--format``, or the old ``-f FORMAT`` with a warning: ``-f`` is ``--framework`` in every other
    command, so validate's ``-f`` for the format is on its way out (it still works here, where it
    cannot mean a framework)."""
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import FORMATS

    if old is None:
        return fmt or "human"
    if fmt is not None:
        usage_error(f"-f {old} and --format {fmt}: give the format once, with --format",
                    f"-f {old} 与 --format {fmt}：输出格式只需给一次，请用 --format", lang)
    if old not in FORMATS:
        usage_error(f"-f is --framework in citystd, and validate checks every framework it is given; "
                    f"'{old}' is no output format either ({', '.join(FORMATS)}): give framework files as PATH, "
                    f"the format as --format", f"-f 在 citystd 中表示 --framework，validate 会检查给定的每个框架；"
                    f"'{old}' 也不是输出格式（{', '.join(FORMATS)}）：框架文件请作为 PATH 给出，输出格式请用 --format", lang)
    msg = (f"warning: -f {old} is deprecated: -f means --framework in every other command; use --format {old}"
           if lang == "en" else f"警告：-f {old} 已弃用：-f 在其他命令中都表示 --framework，请改用 --format {old}")
    stderr_console().print(msg, style="yellow", markup=False, highlight=False)
    return old
