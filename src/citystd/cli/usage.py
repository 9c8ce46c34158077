"""How the command line presents itself: tidy help texts, and usage errors in the user's language.

- **Help.** Every argument and option shows a plain metavar (``DATA...``, ``--library DIR``,
  ``--year YEAR``), never the type labels Typer derives from annotations (``<list[Path]>``,
  ``<str>``) nor braces around required arguments in the usage line (``{data}``):
  :class:`CitystdGroup` gives every parameter of every command, sub-commands included, the
  presentation of :class:`PlainArgument` and :class:`PlainOption`.
- **Usage errors** — a missing argument, an unknown option (with its did-you-mean), a bad value,
  an unknown command — are Click's, raised while the command line is parsed, before any command
  runs. :class:`CitystdGroup` catches them and shows them in the language of ``--lang`` wherever it
  stands on the command line (it may come after the point of the error), else of ``CITYSTD_LANG``
  or the locale (:func:`citystd.cli.common.default_lang`). English keeps Click's wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

try:  # Typer ships its own copy of Click (typer._click) since 0.24; older ones use Click itself
    from typer import _click as click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - depends on the installed Typer
    import click  # type: ignore[no-redef]
    from click import exceptions as click_exceptions  # type: ignore[no-redef]


class PlainArgument(TyperArgument):
    """An argument shown by its metavar only: ``DATA...`` in the usage line, ``DATA...`` in the list."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.display_name_raw + ("..." if self.nargs != 1 else "")


#: metavars for options that give none, by Typer's type label (a test checks that every option gives one)
_TYPE_METAVAR = {"int": "N", "int range": "N", "float": "NUMBER", "float range": "NUMBER", "path": "PATH",
                 "str": "TEXT"}


class PlainOption(TyperOption):
    """An option shown with its metavar (``--library DIR``), or a plain word for its type."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        label = (super().display_type_rich(ctx) or "").strip("<>.").lower()
        label = label[5:-1] if label.startswith("list[") else label
        return _TYPE_METAVAR.get(label, label.upper() or "VALUE")


#: the metavar of each argument and option, by name, the same in every command (a command may
#: give its own with ``metavar=``)
METAVARS = {
    # arguments
    "data": "DATA", "results": "RESULTS", "a": "A", "b": "B", "paths": "PATH", "indicator": "INDICATOR",
    "framework": "FRAMEWORK", "idata": "IDATA", "imeta": "IMETA",
    # options
    "--framework": "FRAMEWORK", "--library": "DIR", "--output": "FILE", "--format": "FORMAT", "--sheet": "SHEET",
    "--layout": "LAYOUT", "--id": "COLUMN", "--year": "YEAR", "--prefer": "PATH", "--column": "ID=HEADER",
    "--set": "STEP.PARAM=VALUE", "--compare-with": "PEERS", "--city": "CITY", "--lang": "zh|en",
    "--uncertainty": "FILE", "--samples": "N", "--seed": "N", "--size": "VARIABLE", "--workers": "N",
    "--scheduler": "ADDRESS", "--bootstrap": "N", "--select": "CODE", "--ignore": "CODE", "--years": "YEARS",
    "--cities": "NAMES", "--jump-factor": "FACTOR", "--domain": "DOMAIN", "--search": "TEXT",
    "--reference-map": "DIR", "--reference": "FILE", "--framework-id": "ID", "--impute-by": "COLUMN",
    "--max-input-mb": "MIB", "--columns": "ID,…",
}


def tidy(command: click.Command) -> None:
    """Give every parameter of ``command`` and of its sub-commands the plain presentation and the
    metavar of :data:`METAVARS`."""
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            key = param.name if isinstance(param, TyperArgument) else next(
                (o for o in param.opts if o.startswith("--")), "")
            param.metavar = METAVARS.get(key or "")
        if isinstance(param, TyperArgument) and not isinstance(param, PlainArgument):
            param.__class__ = PlainArgument
        elif isinstance(param, TyperOption) and not isinstance(param, PlainOption):
            param.__class__ = PlainOption
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


class CitystdGroup(TyperGroup):
    """The ``citystd`` command group: plain help (:func:`tidy`) and localised usage errors."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        tidy(self)
        self._argv: list[str] = []

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        self._argv = list(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click_exceptions.UsageError as exc:
            raise localised(exc, self._argv) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click_exceptions.UsageError as exc:
            raise localised(exc, self._argv) from None


def chosen_lang(argv: Sequence[str]) -> str:
    """The language of ``--lang`` anywhere in ``argv`` (``--lang zh``, ``--lang=zh``), else the default."""
    from citystd.cli.common import default_lang

    for k, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[k + 1] if arg == "--lang" and k + 1 < len(argv) else \
            arg.split("=", 1)[1] if arg.startswith("--lang=") else None
        if value is not None and value.lower().startswith(("zh", "en")):
            return "zh" if value.lower().startswith("zh") else "en"
    return default_lang()


def localised(exc: click_exceptions.UsageError, argv: Sequence[str]) -> click_exceptions.UsageError:
    """``exc`` as it should be shown: unchanged in English (and for help shown instead of an
    error), else a :class:`ChineseUsageError`."""
    if isinstance(exc, click_exceptions.NoArgsIsHelpError) or isinstance(exc, ChineseUsageError):
        return exc
    if chosen_lang(argv) != "zh":
        return exc
    return ChineseUsageError(chinese_message(exc), exc.ctx)


class ChineseUsageError(click_exceptions.UsageError):
    """A usage error shown in Chinese: 用法, the help hint and 错误 (exit code 2, as Click's)."""

    def show(self, file: Any = None) -> None:
        import sys

        out = file or sys.stderr
        if self.ctx is not None:
            usage = self.ctx.get_usage().replace("Usage: ", "用法：", 1)
            out.write(f"{usage}\n查看帮助：{self.ctx.command_path} {self.ctx.help_option_names[0]}\n\n")
        out.write(f"错误：{self.format_message()}\n")
        out.flush()


def _hint(exc: click_exceptions.UsageError) -> str:
    param = getattr(exc, "param", None)
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint  # type: ignore[attr-defined]
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if param is not None:
        try:
            return str(param.get_error_hint())  # Typer's own Click
        except TypeError:  # pragma: no cover - Click's takes the context
            return str(param.get_error_hint(exc.ctx))
    return ""


_VALUE = [  # Click's and Typer's messages about a value, and their Chinese
    (re.compile(r"Input should be a valid integer.*"), lambda m: "应为整数"),
    (re.compile(r"Input should be a valid (?:number|float).*"), lambda m: "应为数字"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), lambda m: f"应不小于 {m[1]}"),
    (re.compile(r"Input should be less than or equal to (\S+)"), lambda m: f"应不大于 {m[1]}"),
    (re.compile(r"Input should be greater than (\S+)"), lambda m: f"应大于 {m[1]}"),
    (re.compile(r"Input should be less than (\S+)"), lambda m: f"应小于 {m[1]}"),
    (re.compile(r"Input should be (.+)"), lambda m: f"应为 {m[1]}"),
    (re.compile(r"'(.*)' is not a valid integer.*"), lambda m: f"'{m[1]}' 不是整数"),
    (re.compile(r"'(.*)' is not a valid float.*"), lambda m: f"'{m[1]}' 不是数字"),
    (re.compile(r"(.+) is not in the range (.+?)\.?$"), lambda m: f"{m[1]} 不在范围 {m[2]} 内"),
    (re.compile(r"'(.*)' is not one of (.+?)\.?$"), lambda m: f"'{m[1]}' 不是可选值 {m[2]} 之一"),
    (re.compile(r"(?:File|Directory|Path) '(.*)' does not exist\.?"), lambda m: f"路径 '{m[1]}' 不存在"),
]


def _value_message(text: str) -> str:
    for pattern, zh in _VALUE:
        m = pattern.match(text.strip())
        if m:
            return zh(m)
    return text


def chinese_message(exc: click_exceptions.UsageError) -> str:
    """The message of ``exc`` in Chinese, from its attributes (or its English message, when Click
    adds a message citystd does not know)."""
    if isinstance(exc, click_exceptions.NoSuchOption):
        out = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            out += f"；是否应为 {'、'.join(sorted(exc.possibilities))}？"
        return out
    if isinstance(exc, click_exceptions.MissingParameter):
        kind = {"argument": "参数", "option": "选项"}.get(exc.param_type or "", "参数")
        return f"缺少{kind} {_hint(exc)}"
    if isinstance(exc, click_exceptions.BadParameter):
        return f"{_hint(exc)} 的取值无效：{_value_message(exc.message)}"
    message = exc.message
    m = re.match(r"Option '(.+)' requires (?:an argument|(\d+) arguments)\.", message)
    if m:
        return f"选项 {m[1]} 需要{'一个值' if m[2] is None else f' {m[2]} 个值'}"
    m = re.match(r"Option '(.+)' does not take a value\.", message)
    if m:
        return f"选项 {m[1]} 不接受值"
    m = re.match(r"No such command '(.+?)'\.(?: Did you mean (.+)\?)?", message)
    if m:
        return f"没有命令 '{m[1]}'" + (f"；是否应为 {m[2]}？" if m[2] else "")
    m = re.match(r"Got unexpected extra arguments? \((.+)\)", message)
    if m:
        return f"多余的参数：{m[1]}"
    if message.startswith("Missing command"):
        return "缺少命令"
    return message
