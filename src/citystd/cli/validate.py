"""`citystd validate [PATH ...]`: check indicator libraries and frameworks, for CI and authors."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import EXIT_ERROR, EXIT_FAIL, EXIT_OK, handles_errors, lang_option, resolve_lang


@handles_errors
def validate_command(
    paths: list[Path] = typer.Argument(None, help="Library directories or YAML files (default: the built-in library)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    fmt: str = typer.Option("human", "--format", "-f", help="human | json | github | sarif"),
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
    from citystd.cli.formats import FORMATS, print_human, summary, to_github, to_json, to_sarif
    from citystd.diagnostics import Severity
    from citystd.library.validate import validate

    lang = resolve_lang(lang)
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
    if fmt == "human":
        print_human(diags, lang, stderr_console(), files=files)
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
