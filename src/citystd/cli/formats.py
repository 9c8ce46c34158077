"""Rendering diagnostics: human (rich, to stderr), json, github annotations and SARIF (to stdout)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from citystd import __version__
from citystd.diagnostics import RULES, Diagnostic, Severity, count, location_text, position_text
from citystd.textsafe import escape_bidi_json_text, mark_bidi

FORMATS = ("human", "grouped", "json", "github", "sarif")


def summary(diags: Sequence[Diagnostic], files: int, lang: str) -> str:
    e, w = count(diags)
    with_findings = len({d.location.file for d in diags})
    if lang == "zh":
        if not diags:
            return f"✓ 未发现问题（检查了 {files} 个文件）"
        return f"{e} 个错误，{w} 个警告，涉及 {with_findings} 个文件（共检查 {files} 个文件）"
    if not diags:
        return f"✓ no problems found ({files} file{'s' if files != 1 else ''} checked)"
    return (f"{e} error{'s' if e != 1 else ''}, {w} warning{'s' if w != 1 else ''} in {with_findings} "
            f"file{'s' if with_findings != 1 else ''} ({files} checked)")


def print_human(diags: Sequence[Diagnostic], lang: str, console: Any, *, files: int = 0,
                with_summary: bool = True) -> None:
    """One line per finding, as compilers and linters print them, and the hint indented below::

        indicators/core.yaml:8:16: S106 indicators.0.direction: Input should be … (got 'lowr')
            hint: did you mean 'lower'?
        data.xlsx:数据!F11: D716 no value for "green loans" of 示范市 in 2020 (warning)

    The location is :func:`citystd.diagnostics.location_text` (``path:line:col``, ``path:line``,
    ``path:sheet!cell`` or ``path``); terminals and editors make ``path:line:col`` a link. A
    warning says so at the end of its line; on a terminal the code is red (error) or yellow
    (warning). Bidirectional control characters are shown as ``[U+202E]`` (:mod:`citystd.textsafe`).
    """
    from rich.markup import escape as rich_escape

    def escape(text: str) -> str:
        return rich_escape(mark_bidi(text))

    warning = "（警告）" if lang == "zh" else " (warning)"
    label = "提示：" if lang == "zh" else "hint: "
    for d in diags:
        colour = "red" if d.level is Severity.ERROR else "yellow"
        tail = f"[yellow]{warning}[/]" if d.level is Severity.WARNING else ""
        console.print(f"[bold]{escape(location_text(d.location))}:[/] [{colour}]{d.code}[/] "
                      f"{escape(d.message.get(lang))}{tail}")
        if d.hint:
            console.print(f"    [cyan]{label}[/]{escape(d.hint.get(lang))}")
    if with_summary:
        console.print(summary(diags, files, lang))


def print_grouped(diags: Sequence[Diagnostic], lang: str, console: Any, *, files: int = 0,
                  with_summary: bool = True) -> None:
    """``--format grouped``: the file once, then ``line:col  severity  CODE  message  [rule.name]``
    per finding and a hint line."""
    from rich.markup import escape as rich_escape

    def escape(text: str) -> str:
        return rich_escape(mark_bidi(text))

    current: str | None = None
    for d in diags:
        loc = d.location
        if loc.file != current:
            current = loc.file
            console.print(f"[bold underline]{escape(loc.file or '<input>')}[/]")
        where = position_text(loc) or "-"
        colour = "red" if d.level is Severity.ERROR else "yellow"
        level = {"error": "错误", "warning": "警告"}[d.level.value] if lang == "zh" else d.level.value
        console.print(f"  [dim]{escape(where):>8}[/]  [{colour}]{level:<7}[/] [bold]{d.code}[/]  "
                      f"{escape(d.message.get(lang))}  [dim]\\[{d.rule.name}][/]")
        if d.hint:
            label = "提示" if lang == "zh" else "hint"
            console.print(f"  {'':>8}  [cyan]{label}:[/] {escape(d.hint.get(lang))}")
    if with_summary:
        console.print(summary(diags, files, lang))


def to_json(diags: Sequence[Diagnostic], lang: str, *, files: int = 0) -> str:
    errors, warnings = count(diags)
    doc = {
        "citystd_version": __version__,
        "files_checked": files,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": [d.to_dict(lang) for d in diags],
    }
    return escape_bidi_json_text(json.dumps(doc, ensure_ascii=False, indent=2))


def _gh_escape(text: str, prop: bool = False) -> str:
    text = mark_bidi(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def to_github(diags: Sequence[Diagnostic], lang: str) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…,title=…::message``)."""
    lines = []
    for d in diags:
        loc = d.location
        props = []
        if loc.file:
            props.append(f"file={_gh_escape(loc.file, True)}")
        if loc.line:
            props.append(f"line={loc.line}")
        if loc.col:
            props.append(f"col={loc.col}")
        props.append(f"title={_gh_escape(f'citystd {d.code} {d.rule.name}', True)}")
        text = d.message.get(lang) + (f" ({d.hint.get(lang)})" if d.hint else "")
        lines.append(f"::{'error' if d.level is Severity.ERROR else 'warning'} {','.join(props)}::{_gh_escape(text)}")
    return "\n".join(lines)


def to_sarif(diags: Sequence[Diagnostic], lang: str) -> str:
    """SARIF 2.1.0 for code-scanning tools."""
    used = sorted({d.code for d in diags})
    rules = [
        {"id": c, "name": RULES[c].name, "shortDescription": {"text": RULES[c].zh if lang == "zh" else RULES[c].en},
         "defaultConfiguration": {"level": RULES[c].severity.value},
         "helpUri": "https://github.com/citystd/citystd/blob/main/docs/validate.md#" + c.lower()}
        for c in used
    ]
    index = {c: i for i, c in enumerate(used)}
    results = []
    for d in diags:
        loc = d.location
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error" if d.level is Severity.ERROR else "warning",
            "message": {"text": d.message.get(lang) + (f" ({d.hint.get(lang)})" if d.hint else "")},
        }
        if loc.file:
            region = {}
            if loc.line:
                region["startLine"] = loc.line
            if loc.col:
                region["startColumn"] = loc.col
            phys: dict[str, Any] = {"artifactLocation": {"uri": loc.file}}
            if region:
                phys["region"] = region
            result["locations"] = [{"physicalLocation": phys}]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "citystd", "version": __version__,
                                "informationUri": "https://github.com/citystd/citystd", "rules": rules}},
            "results": results,
        }],
    }
    return escape_bidi_json_text(json.dumps(doc, ensure_ascii=False, indent=2))
