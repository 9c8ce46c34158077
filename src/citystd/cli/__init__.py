"""The citystd command line (placeholder until the commands land)."""


def main() -> None:  # replaced by the Typer app
    raise SystemExit(0)
