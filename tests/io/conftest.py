"""Fixtures for the data readers: small files written at test time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

VOCAB = {
    "pm25": ["PM2.5", "细颗粒物年均浓度"],
    "pm10": ["PM10", "可吸入颗粒物"],
    "green": ["Green coverage", "绿化覆盖率"],
    "gdp_pc": ["GDP per capita", "人均GDP"],
    "pop": ["Population", "人口"],
}


@pytest.fixture
def vocab() -> dict[str, list[str]]:
    return {k: list(v) for k, v in VOCAB.items()}


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """write_xlsx({"Sheet1": [[...], ...]}, name="data.xlsx") — rows start at A1 unless a row is
    given as ``(start_cell, [...])``."""

    def write(sheets: dict[str, Sequence], name: str = "data.xlsx", hidden: Sequence[str] = ()) -> Path:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        ws.cell(row=r, column=c, value=value)
            if title in hidden:
                ws.sheet_state = "hidden"
        path = tmp_path / name
        wb.save(path)
        return path

    return write


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


@pytest.fixture
def diag_codes() -> Callable:
    return codes
