"""Shared pieces of the command line: consoles, language, exit codes, error handling."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
LANGS = ("zh", "en")

F = TypeVar("F", bound=Callable[..., Any])


_warned_lang: set[str] = set()


def default_lang() -> str:
    """``CITYSTD_LANG``, else the locale (zh_* → zh), else en.

    A ``CITYSTD_LANG`` that is neither zh… nor en… is ignored with one warning per run.
    """
    chosen = os.environ.get("CITYSTD_LANG", "").strip()
    if chosen:
        if chosen.lower().startswith(LANGS):
            return "zh" if chosen.lower().startswith("zh") else "en"
        if chosen not in _warned_lang:
            _warned_lang.add(chosen)
            fallback = _locale_lang()
            sys.stderr.write(f"warning: CITYSTD_LANG={chosen!r} is neither zh nor en; using {fallback} "
                             f"/ 警告：CITYSTD_LANG={chosen!r} 不是 zh 或 en，改用 {fallback}\n")
    return _locale_lang()


def _locale_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def lang_option() -> Any:
    return typer.Option(None, "--lang", help="Output language: zh or en (default: CITYSTD_LANG or the locale).",
                        case_sensitive=False)


def resolve_lang(lang: str | None) -> str:
    if lang is None:
        return default_lang()
    lang = lang.lower()
    if lang not in LANGS:
        usage_error(f"--lang must be zh or en, not '{lang}'", f"--lang 只能是 zh 或 en，而不是 '{lang}'")
    return lang


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def usage_error(en: str, zh: str, lang: str | None = None) -> None:
    from rich.markup import escape

    zh_chosen = (lang or default_lang()) == "zh"
    label = "错误：" if zh_chosen else "error: "
    stderr_console().print(f"[bold red]{label}[/]{escape(zh if zh_chosen else en)}", markup=True)
    raise typer.Exit(EXIT_ERROR)


def handles_errors(fn: F) -> F:
    """Turn a CitystdError into its message and exit code, an OSError (disk full, no permission,
    standard output closed) into a one-line message and exit 2, and anything unexpected into
    "internal error" and exit 2.

    A user never sees a traceback; ``CITYSTD_DEBUG=1`` shows it for developers.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from citystd.diagnostics import CitystdError

        try:
            try:
                result = fn(*args, **kwargs)
            except typer.Exit:
                sys.stdout.flush()  # a full or closed standard output shows here, not at exit
                raise
            sys.stdout.flush()
            return result
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except CitystdError as exc:
            from citystd.cli.formats import print_human

            lang = kwargs.get("lang") or default_lang()
            print_human([exc.diagnostic], lang, stderr_console(), with_summary=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except OSError as exc:  # the environment, not a bug
            if os.environ.get("CITYSTD_DEBUG"):
                raise
            environment_error(exc, kwargs.get("lang") or default_lang())
        except Exception as exc:  # the last line of defence: never a traceback
            if os.environ.get("CITYSTD_DEBUG"):
                raise
            name = type(exc).__name__
            stderr_console().print(
                f"[bold red]internal error:[/] {name}: {exc}\n"
                "This is a bug in citystd; please report it with the command you ran "
                "(set CITYSTD_DEBUG=1 to see the traceback). / citystd 内部错误，请报告此问题。",
                markup=True,
            )
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


def environment_error(exc: OSError, lang: str) -> None:
    """One line for an OSError that escaped the command, then exit 2.

    Standard output that is closed (``| head``) ends the command quietly; one that cannot be
    written (``> /dev/full``) is named as such. Standard output is then pointed at /dev/null so
    that Python does not fail again when it flushes it at exit.
    """
    from rich.markup import escape

    broken_stdout = isinstance(exc, BrokenPipeError) or _writing_a_stream(exc) or _stdout_broken()
    if broken_stdout:
        _silence_stdout()
    if isinstance(exc, BrokenPipeError):
        raise typer.Exit(EXIT_ERROR) from None
    reason = exc.strerror or str(exc)
    if broken_stdout:
        en, zh = f"cannot write to standard output: {reason}", f"无法写入标准输出：{reason}"
    elif exc.filename is not None:
        en, zh = f"{exc.filename}: {reason}", f"{exc.filename}：{reason}"
    else:
        en, zh = reason, reason
    label = "错误：" if lang == "zh" else "error: "
    stderr_console().print(f"[bold red]{label}[/]{escape(zh if lang == 'zh' else en)}", markup=True)
    raise typer.Exit(EXIT_ERROR) from None


def _writing_a_stream(exc: BaseException) -> bool:
    """True when ``exc`` was raised while echoing to standard output (click, rich)."""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.endswith("click.utils") or module.startswith("rich."):
            return True
        tb = tb.tb_next
    return False


def _stdout_broken() -> bool:
    try:
        sys.stdout.flush()
    except OSError:
        return True
    except ValueError:  # closed
        return True
    return False


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def is_tty() -> bool:
    return sys.stdout.isatty()


def data_arguments() -> Any:
    return typer.Argument(..., help="Data: files (.xlsx, .csv, .parquet; wide, long, yearbook tables, panels) and "
                          "folders of them, merged on city and year.")


def year_option() -> Any:
    return typer.Option(None, "--year", help="Year of tables without a year column (default: from a yearbook's "
                        "title or folder name, else none).", min=1000, max=2999)


def prefer_option() -> Any:
    return typer.Option(None, "--prefer", help="When two inputs give different values for the same city, year and "
                        "variable, use this file's or folder's. Repeatable (first wins).")


def column_option() -> Any:
    return typer.Option(None, "--column", help="ID=HEADER: take variable or indicator ID from the column headed "
                        "HEADER when several columns match it. Repeatable.")


def parse_columns(values: list[str] | None, known: Any, lang: str) -> dict[str, str]:
    """``--column ID=HEADER`` options as a mapping (usage error U921 for a malformed one or an unknown id)."""
    from citystd.diagnostics import suggestion

    out: dict[str, str] = {}
    for v in values or []:
        vid, sep, header = v.partition("=")
        vid, header = vid.strip(), header.strip()
        if not sep or not vid or not header:
            usage_error(f"--column must be ID=HEADER, not '{v}'", f"--column 的格式应为 ID=表头，而不是 '{v}'", lang)
        if vid not in known:
            hint = suggestion(vid, list(known))
            more = f" ({hint.get(lang)})" if hint else ""
            usage_error(f"--column: '{vid}' is no variable or indicator of the library{more}",
                        f"--column：'{vid}' 不是指标库中的变量或指标{more}", lang)
        out[vid] = header
    return out
