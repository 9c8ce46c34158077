"""Shared helpers for the engine tests: the COINr oracle and small panel builders."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ORACLE_PATH = Path(__file__).resolve().parents[1] / "data" / "coinr" / "function_oracle.json"
TOL = 1e-9


def load_oracle() -> dict:
    return json.loads(ORACLE_PATH.read_text(encoding="utf-8"))


def vec(values: Sequence[float | None]) -> np.ndarray:
    """An oracle vector (JSON null = NA) as a float array."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def cross_section(columns: dict[str, Sequence[float | None]], units: Sequence[str] | None = None) -> pd.DataFrame:
    """A cross-sectional frame: index (unit, year=<NA>), one column per indicator."""
    n = len(next(iter(columns.values())))
    units = list(units) if units is not None else [f"u{i:02d}" for i in range(n)]
    idx = pd.MultiIndex.from_arrays([units, pd.array([pd.NA] * n, dtype="Int64")], names=["unit", "year"])
    return pd.DataFrame({k: vec(v) for k, v in columns.items()}, index=idx)


def panel(rows: dict[tuple[str, int], dict[str, float | None]]) -> pd.DataFrame:
    """A panel frame from {(unit, year): {indicator: value}}."""
    idx = pd.MultiIndex.from_arrays(
        [[u for u, _ in rows], pd.array([y for _, y in rows], dtype="Int64")], names=["unit", "year"]
    )
    cols = sorted({k for r in rows.values() for k in r})
    data = [[np.nan if r.get(c) is None else r[c] for c in cols] for r in rows.values()]
    return pd.DataFrame(np.array(data, dtype=float), index=idx, columns=cols)


def assert_close(actual: np.ndarray | pd.Series, expected: Sequence[float | None] | np.ndarray, tol: float = TOL) -> None:
    """Equal to ``tol`` (absolute and relative), NaN in the same places."""
    a = np.asarray(actual, dtype=float)
    e = vec(expected) if not isinstance(expected, np.ndarray) else expected.astype(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e))
    np.testing.assert_allclose(a[~np.isnan(a)], e[~np.isnan(e)], rtol=tol, atol=tol)
