"""`citystd compare A.json B.json`: score and rank changes per city and node between two results."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import handles_errors, lang_option, resolve_lang
from citystd.cli.output import columns_option

FORMATS = ("table", "json", "markdown")


@handles_errors
def compare_command(
    a: Path = typer.Argument(..., help="Results JSON before (e.g. last year, or the reference method)."),
    b: Path = typer.Argument(..., help="Results JSON after (e.g. this year, or the method variant)."),
    force: bool = typer.Option(False, "--force", help="Compare even when the frameworks or pipelines differ."),
    fmt: str = typer.Option(None, "--format", help="table | json | markdown (default: from -o, else table)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the comparison to this file (.json, .md, .txt)."),
    columns: list[str] = columns_option(),
    lang: str | None = lang_option(),
) -> None:
    """Compare two results: score and rank change per city (and year) and per node.

    Refuses results scored by different frameworks (id, version or sha256) or pipelines unless
    --force, and says what differs. Exit codes: 0 compared, 1 not comparable or not results, 2 usage.
    """
    from citystd.cli.common import stderr_console, usage_error
    from citystd.cli.formats import print_human
    from citystd.cli.output import deliver
    from citystd.diagnostics import Location, Msg, error
    from citystd.io.outpath import check_output, is_stdout
    from citystd.report import compare as C
    from citystd.report.labels import label
    from citystd.report.load import load_results

    lang = resolve_lang(lang)
    if fmt is None:
        fmt = {".json": "json", ".md": "markdown"}.get(output.suffix.lower(), "table") if output and not is_stdout(output) \
            else "table"
    fmt = "markdown" if fmt == "md" else fmt
    if fmt not in FORMATS:
        usage_error(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'",
                    f"--format 只能是 {', '.join(FORMATS)} 之一，而不是 '{fmt}'", lang)
    check_output(output, [a, b])
    err = stderr_console()
    doc_a, warn_a = load_results(a)
    doc_b, warn_b = load_results(b)
    if warn_a or warn_b:
        print_human([*warn_a, *warn_b], lang, err, with_summary=False)
    cmp = C.compare(doc_a, doc_b, name_a=str(a), name_b=str(b))
    from citystd.cli.output import check_columns

    chosen = check_columns(columns, fmt, cmp["node_names"], lang)
    if not cmp["comparable"]:
        what = C.what_differs(cmp["differences"])
        detail = "; ".join(C.describe(cmp["differences"], "en"))
        detail_zh = "；".join(C.describe(cmp["differences"], "zh"))
        if not force:
            raise error("U906", f"{a} and {b} were scored by different rules ({what}): {detail}",
                        f"{a} 与 {b} 的评分规则不同（{what}）：{detail_zh}", Location(file=str(b)),
                        Msg("compare anyway with --force: the changes then mix data and method",
                            "如仍要比较请加 --force：此时的变化同时来自数据和方法"))
        err.print(f"[bold yellow]⚠ {label('frameworks_differ', lang).format(what=what)}[/]", highlight=False)
    from citystd.textsafe import escape_bidi_json_text, mark_bidi_in

    if fmt == "json":
        import json

        text = escape_bidi_json_text(json.dumps(cmp, ensure_ascii=False, indent=1)) + "\n"
    else:
        cmp = mark_bidi_in(cmp)  # names for people: bidirectional controls shown as [U+202E]
        text = C.to_markdown(cmp, lang) if fmt == "markdown" else C.to_text(cmp, lang, chosen)
    if (output is None or is_stdout(output)) and fmt == "table" and _stdout_is_tty():
        _print_rich(cmp, lang, chosen)
    else:
        deliver(output, [text.encode("utf-8")], lang)


def _stdout_is_tty() -> bool:
    from citystd.cli.common import is_tty

    return is_tty()


def _print_rich(cmp: dict, lang: str, nodes: list[str] | None = None) -> None:
    """The comparison on a terminal: its header lines, then the table fitted to the width
    (:mod:`citystd.cli.table`: the Δ columns of the domains that do not fit are named below),
    gains green and losses red."""
    from rich.markup import escape

    from citystd.cli.common import stdout_console
    from citystd.cli.table import Column, draw
    from citystd.report import compare as C

    console = stdout_console()
    for line in C.header_lines(cmp, lang):
        style = "bold yellow" if line.startswith("⚠") else ("yellow" if line.startswith("  ") else "dim")
        console.print(f"[{style}]{escape(line)}[/]", soft_wrap=False)
    heads, rows = C.columns(cmp, lang, nodes)
    ids = cmp["top_nodes"] if nodes is None else nodes
    n = len(heads) - len(ids)
    keys = [Column(h, "left" if k == 0 else "right") for k, h in enumerate(heads[:n])]
    optional = [Column(h, key=nid) for h, nid in zip(heads[n:], ids, strict=True)]

    def markup(k: int, text: str) -> str | None:
        if k and text[:1] in "+-" and len(text) > 1 and text[1].isdigit():
            return f"[{'green' if text.startswith('+') else 'red'}]{escape(text)}[/]"
        return None

    draw(console, keys, optional, rows, lang=lang, chosen=nodes is not None, markup=markup)
    for line in C.only_lines(cmp, lang):
        console.print(escape(line), soft_wrap=False)
