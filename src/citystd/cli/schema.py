"""`citystd schema`: the JSON Schema of a library file, for editors (yaml-language-server)."""

from __future__ import annotations

from pathlib import Path

import typer

from citystd.cli.common import handles_errors


@handles_errors
def schema_command(
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema (draft-07) of citystd library files, generated from the models."""
    from citystd.io.atomic import write_text_atomic
    from citystd.library.schema import schema_text

    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomic(output, text)
