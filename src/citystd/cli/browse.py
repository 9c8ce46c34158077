"""Browsing the library: `citystd indicators list|show`, `citystd frameworks list|show`.

Rich tables in a terminal, tab-separated text when piped, ``--format json`` everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from citystd.cli.common import EXIT_ERROR, handles_errors, is_tty, lang_option, resolve_lang

indicators_app = typer.Typer(help="Browse the indicators of a library. / 浏览指标。", no_args_is_help=True)
frameworks_app = typer.Typer(help="Browse the frameworks of a library. / 浏览评价框架。", no_args_is_help=True)

LIBRARY_HELP = "Library directory or YAML file (repeatable; default: the built-in library)."
FORMAT_HELP = "table | json"


def load(paths: list[Path] | None, lang: str) -> Any:
    """Load a library for browsing; problems are summarised on stderr, not fatal."""
    from citystd.cli.common import stderr_console
    from citystd.diagnostics import Severity
    from citystd.library.validate import validate

    lib, diags = validate(list(paths) if paths else None)
    errors = sum(d.level is Severity.ERROR for d in diags)
    if errors:
        msg = (f"note: the library has {errors} error(s); run `citystd validate` for details"
               if lang == "en" else f"注意：指标库有 {errors} 个错误，请运行 `citystd validate` 查看")
        stderr_console().print(f"[yellow]{msg}[/]")
    return lib


def _check_format(fmt: str, lang: str) -> None:
    from citystd.cli.common import usage_error

    if fmt not in ("table", "json"):
        usage_error(f"--format must be table or json, not '{fmt}'", f"--format 只能是 table 或 json，而不是 '{fmt}'", lang)


def _start(library: list[Path] | None, fmt: str, lang: str | None) -> tuple[str, Any]:
    """The common start of the browsing commands: language, --format check, the library."""
    lang = resolve_lang(lang)
    _check_format(fmt, lang)
    return lang, load(library, lang)


def _unknown(kind_en: str, kind_zh: str, value: str, known: Any, lang: str) -> None:
    from citystd.cli.common import stderr_console
    from citystd.diagnostics import did_you_mean

    hits = did_you_mean(value, known)
    hint_en = f" — did you mean '{hits[0]}'?" if hits else ""
    hint_zh = f"——是否应为 '{hits[0]}'？" if hits else ""
    msg = f"unknown {kind_en} '{value}'{hint_en}" if lang == "en" else f"未知{kind_zh} '{value}'{hint_zh}"
    stderr_console().print(f"[bold red]error:[/] {msg}")
    raise typer.Exit(EXIT_ERROR)


def _emit_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A rich table on a terminal; tab-separated lines (with a header line) when piped.

    Library texts are shown as text, never as markup; bidirectional controls as ``[U+202E]``;
    piped cells are neutralised like CSV cells (:func:`citystd.textsafe.tsv_cell`).
    """
    from citystd.textsafe import mark_bidi, tsv_cell

    if is_tty():
        from rich.markup import escape
        from rich.table import Table

        from citystd.cli.common import stdout_console

        table = Table(title=escape(mark_bidi(title)), show_lines=False, header_style="bold")
        for h in headers:
            table.add_column(escape(h), overflow="fold")
        for r in rows:
            table.add_row(*(escape(mark_bidi(c)) for c in r))
        stdout_console().print(table)
    else:
        typer.echo("\t".join(headers))
        for r in rows:
            typer.echo("\t".join(tsv_cell(c) for c in r))


def _json(obj: Any) -> None:
    from citystd.textsafe import escape_bidi_json_text

    typer.echo(escape_bidi_json_text(json.dumps(obj, ensure_ascii=False, indent=2)))


def _indicator_dict(ind: Any, frameworks: list[str]) -> dict[str, Any]:
    data = ind.model_dump(mode="json", exclude_none=True)
    data["frameworks"] = frameworks
    return data


def _frameworks_using(lib: Any) -> dict[str, list[str]]:
    from citystd.library.rules import iter_leaves

    out: dict[str, list[str]] = {}
    for fid, fw in sorted(lib.frameworks.items()):
        for leaf in iter_leaves(fw.tree):
            out.setdefault(leaf.indicator, []).append(fid)
    return out


@indicators_app.command("list")
@handles_errors
def indicators_list(
    domain: str = typer.Option(None, "--domain", "-d", help="Only this domain (id)."),
    framework: str = typer.Option(None, "--framework", "-f", help="Only indicators of this framework (id)."),
    search: str = typer.Option(None, "--search", "-s", help="Text to find in ids, names and definitions."),
    library: list[Path] = typer.Option(None, "--library", help=LIBRARY_HELP),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    lang: str | None = lang_option(),
) -> None:
    """List indicators, optionally filtered by domain, framework or a search text."""
    from citystd.library.models import unit_text
    from citystd.library.rules import iter_leaves

    lang, lib = _start(library, fmt, lang)
    items = list(lib.indicators.values())
    if domain:
        if domain not in lib.domains:
            _unknown("domain", "领域", domain, lib.domains, lang)
        items = [i for i in items if i.domain == domain]
    if framework:
        if framework not in lib.frameworks:
            _unknown("framework", "框架", framework, lib.frameworks, lang)
        ids = {leaf.indicator for leaf in iter_leaves(lib.frameworks[framework].tree)}
        items = [i for i in items if i.id in ids]
    if search:
        needle = search.casefold()
        items = [i for i in items if needle in " ".join(
            [i.id, i.name.zh, i.name.en, i.definition.zh, i.definition.en]).casefold()]
    items.sort(key=lambda i: (i.domain, i.id))
    if fmt == "json":
        using = _frameworks_using(lib)
        _json([_indicator_dict(i, using.get(i.id, [])) for i in items])
        return
    headers = (["标识", "名称", "领域", "单位", "方向", "来源"] if lang == "zh"
               else ["id", "name", "domain", "unit", "direction", "sources"])
    rows = [[i.id, i.name.get(lang), i.domain, unit_text(i.unit, lang), i.direction,
             "; ".join(f"{s.standard} {s.clause or ''}".strip() for s in i.sources)] for i in items]
    title = f"{len(items)} 个指标" if lang == "zh" else f"{len(items)} indicators"
    _emit_table(title, headers, rows)


@indicators_app.command("show")
@handles_errors
def indicators_show(
    indicator: str = typer.Argument(..., help="Indicator id."),
    library: list[Path] = typer.Option(None, "--library", help=LIBRARY_HELP),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    lang: str | None = lang_option(),
) -> None:
    """Everything about one indicator, in both languages, with its sources and frameworks."""
    from citystd.library.models import unit_text

    lang, lib = _start(library, fmt, lang)
    ind = lib.indicators.get(indicator)
    if ind is None:
        _unknown("indicator", "指标", indicator, lib.indicators, lang)
    using = _frameworks_using(lib).get(indicator, [])
    if fmt == "json":
        _json(_indicator_dict(ind, using))
        return
    zh = lang == "zh"
    dom = lib.domains.get(ind.domain)
    lines: list[tuple[str, str]] = [
        ("标识" if zh else "id", ind.id),
        ("名称" if zh else "name", f"{ind.name.zh} / {ind.name.en}"),
        ("领域" if zh else "domain", f"{ind.domain}" + (f" ({dom.name.get(lang)})" if dom else "")),
        ("单位" if zh else "unit", f"{unit_text(ind.unit, 'zh')} / {unit_text(ind.unit, 'en')}"
         if not isinstance(ind.unit, str) else ind.unit),
        ("方向" if zh else "direction", ind.direction),
        *([("背景指标" if zh else "context", "是：展示但不计分" if zh else "yes: shown, never scored")]
          if ind.context else []),
        ("定义（中文）" if zh else "definition (zh)", ind.definition.zh),
        ("定义（英文）" if zh else "definition (en)", ind.definition.en),
    ]
    if ind.formula:
        lines.append(("公式" if zh else "formula", ind.formula))
    lo, hi = ind.range
    lines.append(("取值范围" if zh else "range", f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"))
    if ind.goalposts:
        lines.append(("目标值区间" if zh else "goalposts", f"worst {ind.goalposts.worst:g}, best {ind.goalposts.best:g}"))
    if ind.target:
        t = ind.target
        lines.append(("目标" if zh else "target", f"{t.value:g}" + (f" ({t.year})" if t.year else "")
                      + (f" — {t.source}" if t.source else "")))
    if ind.thresholds:
        th = ind.thresholds
        lines.append(("评级阈值" if zh else "thresholds", f"green {th.green:g}, yellow {th.yellow:g}, orange {th.orange:g}"))
    for s in ind.sources:
        extra = f" [{s.verified}]" if s.verified else ""
        lines.append(("来源" if zh else "source", f"{s.standard} {s.clause or ''}{extra}".strip()
                      + (f" — {s.note}" if s.note else "")))
    if ind.tags:
        lines.append(("标签" if zh else "tags", ", ".join(ind.tags)))
    if ind.provenance:
        lines.append(("出处说明" if zh else "provenance", ind.provenance))
    if ind.notes:
        lines.append(("说明" if zh else "notes", ind.notes))
    lines.append(("所属框架" if zh else "frameworks", ", ".join(using) or "—"))
    _emit_table(ind.name.get(lang), ["字段" if zh else "field", "内容" if zh else "value"], [list(x) for x in lines])


@frameworks_app.command("list")
@handles_errors
def frameworks_list(
    library: list[Path] = typer.Option(None, "--library", help=LIBRARY_HELP),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    lang: str | None = lang_option(),
) -> None:
    """List the frameworks with their version and size."""
    from citystd.library.pipeline import step_name
    from citystd.library.rules import iter_leaves

    lang, lib = _start(library, fmt, lang)
    fws = sorted(lib.frameworks.values(), key=lambda f: f.id)
    if fmt == "json":
        _json([{"id": f.id, "version": f.version, "name": f.name.model_dump(),
                **({"edition": f.edition.model_dump(exclude_none=True)} if f.edition else {}),
                "indicators": len(list(iter_leaves(f.tree))),
                "pipeline": [step_name(s) for s in f.pipeline]} for f in fws])
        return
    headers = ["标识", "版本", "名称", "指标数", "流程"] if lang == "zh" else ["id", "version", "name", "indicators", "pipeline"]
    rows = [[f.id, f.version, f.name.get(lang), str(len(list(iter_leaves(f.tree)))),
             " → ".join(step_name(s) for s in f.pipeline)] for f in fws]
    _emit_table("评价框架" if lang == "zh" else "frameworks", headers, rows)


@frameworks_app.command("show")
@handles_errors
def frameworks_show(
    framework: str = typer.Argument(..., help="Framework id."),
    library: list[Path] = typer.Option(None, "--library", help=LIBRARY_HELP),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
    lang: str | None = lang_option(),
) -> None:
    """A framework's tree with the effective weight of every node and indicator."""
    from citystd.library.models import Leaf
    from citystd.library.pipeline import step_name, step_params
    from citystd.library.rules import context_ids, scoring_weight
    lang, lib = _start(library, fmt, lang)
    fw = lib.frameworks.get(framework)
    if fw is None:
        _unknown("framework", "框架", framework, lib.frameworks, lang)
    weights: dict[str, float] = {}
    context = context_ids(lib)

    def node_dict(items: list, factor: float) -> list[dict[str, Any]]:
        own = [scoring_weight(i, context) for i in items]  # context indicators weigh 0
        total = sum(own)
        out = []
        for item, w in zip(items, own, strict=True):
            eff = factor * (w / total if total > 0 else 0.0)
            if isinstance(item, Leaf):
                weights[item.indicator] = weights.get(item.indicator, 0.0) + eff
                ind = lib.indicators.get(item.indicator)
                out.append({"indicator": item.indicator, "name": ind.name.model_dump() if ind else None,
                            "weight": item.weight, "effective_weight": eff,
                            **({"context": True} if item.indicator in context else {})})
            else:
                out.append({"id": item.id, "name": item.name.model_dump(), "weight": item.weight,
                            "effective_weight": eff, "children": node_dict(item.children, eff)})
        return out

    tree = node_dict(fw.tree, 1.0)
    if fmt == "json":
        _json({"id": fw.id, "version": fw.version, "name": fw.name.model_dump(),
               **({"edition": fw.edition.model_dump(exclude_none=True)} if fw.edition else {}),
               "pipeline": [{step_name(s): step_params(s).model_dump(mode="json")} for s in fw.pipeline],
               "tree": tree, "effective_weights": weights})
        return

    from citystd.textsafe import mark_bidi

    def label(entry: dict[str, Any]) -> str:
        name = mark_bidi(entry["name"][lang]) if entry.get("name") else ""
        key = entry.get("indicator") or entry.get("id")
        if entry.get("context"):
            return f"{key}  {name}  [{'背景指标，不计分' if lang == 'zh' else 'context, not scored'}]"
        return f"{key}  {name}  [w {entry['weight']:g} · {entry['effective_weight'] * 100:.2f}%]"

    if is_tty():
        from rich.markup import escape
        from rich.tree import Tree

        from citystd.cli.common import stdout_console

        root = Tree(f"[bold]{escape(fw.id)}[/] {escape(mark_bidi(fw.name.get(lang)))} v{escape(fw.version)}")

        def add(parent: Any, entries: list[dict[str, Any]]) -> None:
            for e in entries:
                branch = parent.add(escape(label(e)))
                add(branch, e.get("children", []))

        add(root, tree)
        stdout_console().print(root)
        pipe = " → ".join(step_name(s) for s in fw.pipeline)
        stdout_console().print(("流程：" if lang == "zh" else "pipeline: ") + (pipe or "—"))
    else:
        typer.echo(f"{fw.id}\t{mark_bidi(fw.name.get(lang))}\tv{fw.version}")

        def emit(entries: list[dict[str, Any]], depth: int) -> None:
            for e in entries:
                typer.echo("  " * depth + label(e))
                emit(e.get("children", []), depth + 1)

        emit(tree, 1)


@indicators_app.command("coverage")
@handles_errors
def indicators_coverage(
    library: list[Path] = typer.Option(None, "--library", help=LIBRARY_HELP),
    reference_map: Path = typer.Option(
        None, "--reference-map",
        help="Directory of reference-map CSVs (row, status, indicator, reason), one per domain "
             "(default: docs/reference-map beside the built-in library, when there is one)."),
    reference: Path = typer.Option(
        None, "--reference", help="The reference table CSV; names the excluded rows (source, clause, item)."),
    fmt: str = typer.Option("markdown", "--format", help="markdown | json"),
    output: Path = typer.Option(
        None, "--output", "-o",
        help="Write to this file. A file holding <!-- coverage:start --> … <!-- coverage:end --> keeps "
             "everything outside the markers."),
    lang: str | None = lang_option(),
) -> None:
    """Coverage tables of the library: indicators per domain and source standard, how many have
    formulas, goalposts, thresholds, targets and verified sources, the frameworks, and what became
    of every row of the reference table."""
    from citystd.cli.common import usage_error
    from citystd.cli.output import deliver
    from citystd.io.outpath import check_output, is_stdout
    from citystd.library import coverage as cov
    from citystd.library.load import builtin_path
    from citystd.textsafe import escape_bidi_json_text, mark_bidi

    lang = resolve_lang(lang)
    if fmt not in ("markdown", "json"):
        usage_error(f"--format must be markdown or json, not '{fmt}'", f"--format 只能是 markdown 或 json，而不是 '{fmt}'",
                    lang)
    lib = load(library, lang)
    if reference_map is None and not library:
        default = builtin_path().parent / "docs" / "reference-map"
        reference_map = default if default.is_dir() else None
    map_files = sorted(reference_map.glob("*.csv")) if reference_map is not None and reference_map.is_dir() else []
    check_output(output, [*lib.paths, reference, *map_files])
    mapping = cov.read_reference_map(reference_map) if reference_map is not None else None
    table = cov.read_reference_table(reference) if reference is not None else None
    tables = cov.coverage(lib, mapping, table)
    text = (mark_bidi(cov.to_markdown(tables, lang)) if fmt == "markdown"
            else escape_bidi_json_text(json.dumps(cov.to_json(tables, lang), ensure_ascii=False, indent=2)) + "\n")
    if fmt == "markdown" and output is not None and not is_stdout(output) and output.is_file():
        merged = cov.replace_section(output.read_text(encoding="utf-8"), text)
        text = merged if merged is not None else text
    deliver(output, [text.encode("utf-8")], lang)
