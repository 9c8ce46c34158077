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
    from citystd.cli.common import default_lang
    from citystd.cli.output import deliver
    from citystd.io.outpath import check_output
    from citystd.library.schema import schema_text

    check_output(output)
    deliver(output, [schema_text().encode("utf-8")], default_lang())
