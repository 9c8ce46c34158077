from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture()
def base_library() -> Path:
    return FIXTURES / "validate" / "_base"


@pytest.fixture()
def cases() -> Path:
    return FIXTURES / "validate" / "cases"


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see English output unless they ask for --lang zh, whatever the machine's locale."""
    monkeypatch.setenv("CITYSTD_LANG", "en")
