"""The citystd command line: a thin Typer layer over :mod:`citystd.library` and the engine.

Each command lives in its own module and imports what it needs inside the function, so that
``citystd --help`` stays fast (no pandas, no pydantic at start-up).
"""

from __future__ import annotations

import typer

from citystd import __version__
from citystd.cli import audit, browse, compare, importer, report, schema, score, validate
from citystd.cli import check as check_cli
from citystd.cli import template as template_cli
from citystd.cli.usage import CitystdGroup

app = typer.Typer(
    name="citystd",
    cls=CitystdGroup,
    help="City indicator standards made executable — validate indicator libraries, browse them, "
    "and score cities. / 城市指标标准工具：校验、浏览指标库并为城市评分。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"citystd {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Show the version and exit.", callback=_version,
                                 is_eager=True),
    max_input_mb: float = typer.Option(None, "--max-input-mb", min=0.001, metavar="MIB",
                                       help="Largest input file to read, in MiB (default: 10 for a library "
                                            "YAML file, 256 for any other; also CITYSTD_MAX_INPUT_MB)."),
) -> None:
    """citystd: city indicator standards made executable."""
    from citystd.diagnostics import CitystdError
    from citystd.io.guard import limit_bytes, set_limit_mb

    set_limit_mb(max_input_mb)
    try:
        limit_bytes()  # a CITYSTD_MAX_INPUT_MB that is not a number stops here, once
    except CitystdError as exc:
        from citystd.cli.common import default_lang, stderr_console
        from citystd.cli.formats import print_human

        print_human([exc.diagnostic], default_lang(), stderr_console(), with_summary=False)
        raise typer.Exit(exc.exit_code) from None


app.command("score")(score.score_command)
app.command("report")(report.report_command)
app.command("audit")(audit.audit_command)
app.command("compare")(compare.compare_command)
app.command("validate")(validate.validate_command)
app.command("schema")(schema.schema_command)
app.command("template")(template_cli.template_command)
app.command("check")(check_cli.check_command)
app.add_typer(browse.indicators_app, name="indicators")
app.add_typer(browse.frameworks_app, name="frameworks")
app.add_typer(importer.import_app, name="import")


def main() -> None:
    app()
