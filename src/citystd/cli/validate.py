"""`citystd validate [PATH ...]`: check indicator libraries and frameworks, for CI and authors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import EXIT_ERROR, EXIT_FAIL, EXIT_OK, handles_errors, lang_option, resolve_lang


@handles_errors
def validate_command(
    paths: list[Path] = typer.Argument(None, help="Library directories or YAML files (default: the built-in library)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    fmt: str = typer.Option(None, "--format", metavar="FORMAT",
                            help="human (one line per finding: path:line:col: CODE message; the default) | grouped "
                                 "(by file) | json | github | sarif"),
    lang: str | None = lang_option(),
    with_builtin: bool = typer.Option(False, "--with-builtin",
                                      help="Load the built-in library too, so your framework can use its indicators."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when problems are found."),
    select: list[str] = typer.Option(None, "--select", help="Only report these codes (or code prefixes, e.g. N4)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="Do not report these codes (or prefixes)."),
    uncertainty: list[Path] = typer.Option(None, "--uncertainty", "-u", help="Also check this uncertainty file "
                                           "(the `uncertainty:` list of `citystd audit -u`) against a framework. "
                                           "Repeatable."),
    framework: str = typer.Option(None, "--framework", "-f", metavar="ID",
                                  help="Framework id the uncertainty files vary (default: the one framework of PATHS, "
                                       "else action-plan)."),
) -> None:
    """Validate indicator library files: every problem at once, as file:line:col: CODE message.

    Exit codes: 0 clean, 1 problems found, 2 usage or internal error.
    """
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import FORMATS, print_grouped, print_human, summary, to_github, to_json, to_sarif
    from citystd.diagnostics import Severity
    from citystd.library.validate import validate

    lang = resolve_lang(lang)
    fmt, framework = _format(fmt, framework, lang)
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    lib, diags = validate(list(paths) if paths else None, strict=strict, with_builtin=with_builtin)
    files = len(lib.files)
    if framework is not None and framework not in lib.frameworks:
        _unknown_framework(framework, list(lib.frameworks), lang)
    if uncertainty:
        diags = sorted(diags + _uncertainty(lib, list(paths or []), framework, list(uncertainty), strict, lang),
                       key=lambda d: d.sort_key())
        files += len(uncertainty)
    if select:
        diags = [d for d in diags if any(d.code.startswith(s.upper()) for s in select)]
    if ignore:
        diags = [d for d in diags if not any(d.code.startswith(s.upper()) for s in ignore)]
    usage = [d for d in diags if d.code.startswith("U")]
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


def _uncertainty(lib: Any, paths: list[Path], framework: str | None, files: list[Path], strict: bool,
                 lang: str) -> list[Any]:
    """The findings of each uncertainty file, checked against the framework it varies (A001–A016)."""
    from citystd.assessment.audit.io import load_uncertainty
    from citystd.cli.common import usage_error
    from citystd.diagnostics import Severity, did_you_mean
    from citystd.library.select import DEFAULT_FRAMEWORK, inside

    if framework is None:
        own = sorted({fid for (kind, fid), o in lib.origins.items() if kind == "framework"
                      and any(inside(o.positions.file, p) for p in paths)})
        framework = own[0] if len(own) == 1 else DEFAULT_FRAMEWORK
        if len(own) > 1:
            usage_error(f"--uncertainty: PATHS define {len(own)} frameworks ({', '.join(own)}): name one with "
                        "--framework", f"--uncertainty：PATHS 定义了 {len(own)} 个框架（{', '.join(own)}）："
                        "请用 --framework 指定", lang)
    fw = lib.frameworks.get(framework)
    if fw is None:
        hits = did_you_mean(framework, list(lib.frameworks))
        usage_error(f"--framework {framework}: no such framework in the library" +
                    (f"; did you mean '{hits[0]}'?" if hits else ""),
                    f"--framework {framework}：库中没有该框架" + (f"；是否应为 '{hits[0]}'？" if hits else ""), lang)
    out = []
    for path in files:
        _, found = load_uncertainty(path, fw)
        out += [d.escalated() if strict and d.level is Severity.WARNING else d for d in found]
    return out


def _format(fmt: str | None, framework: str | None, lang: str) -> tuple[str, str | None]:
    """The output format and the framework: ``-f`` is ``--framework`` (the one an ``--uncertainty``
    file varies), as in every command; validate's old ``-f FORMAT`` still works, with a warning,
    when its value is a format (no framework is called ``json``)."""
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import FORMATS

    if framework is not None and framework in FORMATS:
        if fmt is not None:
            usage_error(f"-f {framework} and --format {fmt}: give the format once, with --format",
                        f"-f {framework} 与 --format {fmt}：输出格式只需给一次，请用 --format", lang)
        msg = (f"warning: -f {framework} is deprecated: -f means --framework in every command; "
               f"use --format {framework}" if lang == "en"
               else f"警告：-f {framework} 已弃用：-f 在每个命令中都表示 --framework，请改用 --format {framework}")
        stderr_console().print(msg, style="yellow", markup=False, highlight=False)
        return framework, None
    return fmt or "human", framework


def _unknown_framework(framework: str, known: list[str], lang: str) -> None:
    """``-f ID`` naming no framework of the libraries checked: a usage error (exit 2)."""
    from citystd.cli.common import usage_error
    from citystd.cli.formats import FORMATS
    from citystd.diagnostics import did_you_mean

    hits = did_you_mean(framework, known)
    usage_error(f"-f is --framework (the framework an --uncertainty file varies): no framework '{framework}' in the "
                "library checked" + (f"; did you mean '{hits[0]}'?" if hits else "") +
                f" — it is no output format either ({', '.join(FORMATS)}): the format is --format",
                f"-f 即 --framework（--uncertainty 文件所变动的框架）：所检查的库中没有框架 '{framework}'" +
                (f"；是否应为 '{hits[0]}'？" if hits else "") + f"——它也不是输出格式（{', '.join(FORMATS)}）：输出格式请用 --format",
                lang)
