"""Fixtures of the engine tests."""

from __future__ import annotations

import pytest
from engine_testing import load_oracle


@pytest.fixture(scope="session")
def oracle() -> dict:
    """COINr 1.1.14's outputs on small vectors (tests/data/coinr/function_oracle.json)."""
    return load_oracle()
