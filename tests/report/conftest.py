"""Results of the bundled examples, scored once per test session for every report test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cities-2023.xlsx"
PANEL = ROOT / "examples" / "cities-2019-2023.csv"


def score(*args: str) -> dict[str, Any]:
    """`citystd score ARGS --format json` through the real CLI, parsed."""
    r = CliRunner().invoke(app, ["score", *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="session")
def score_json() -> Any:
    """The :func:`score` helper, for tests that score other files."""
    return score


@pytest.fixture(scope="session")
def doc() -> dict[str, Any]:
    """The 30 example cities of 2023 scored with action-plan."""
    return score(str(EXAMPLE))


@pytest.fixture(scope="session")
def panel() -> dict[str, Any]:
    """The 30 example cities over 2019–2023."""
    return score(str(PANEL))
