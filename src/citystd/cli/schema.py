"""`citystd schema`: the JSON Schema of a library file, for editors (yaml-language-server)."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import handles_errors, lang_option, resolve_lang


@handles_errors
def schema_command(
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    lang: str | None = lang_option(),
) -> None:
    """Print the JSON Schema (draft-07) of citystd library files, generated from the models.

    --lang is the language of the messages (the schema's descriptions are in English, the
    language of the keys). Exit codes: 0 written, 2 usage or output error.
    """
    from citystd.cli.output import deliver
    from citystd.io.outpath import check_output
    from citystd.library.schema import schema_text

    lang = resolve_lang(lang)
    check_output(output)
    deliver(output, [schema_text().encode("utf-8")], lang)
