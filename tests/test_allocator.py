"""The command-line process tunes glibc's allocator for large arrays (citystd/allocator.py); the API
leaves the process alone, and the numbers are the same either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "examples" / "cities-2019-2023.csv"


def child(code: str, **env: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, **env})
    return r.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_tuned_on_linux_unless_told_not_to() -> None:
    ask = "from citystd.allocator import tune_for_large_arrays as t; print(t(), t())"
    assert child(ask) == "True True"
    assert child(ask, CITYSTD_MALLOC="default") == "False False"
    # importing the API tunes nothing
    assert child("import citystd, citystd.allocator as a; print(a._done)") == "False"


def test_results_do_not_depend_on_the_allocator(tmp_path: Path) -> None:
    out = {}
    for name, env in (("tuned", {}), ("default", {"CITYSTD_MALLOC": "default"})):
        path = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-m", "citystd", "score", str(PANEL), "-o", str(path)], check=True,
                       capture_output=True, env={**os.environ, **env})
        out[name] = path.read_bytes()
    assert out["tuned"] == out["default"] and b'"results":[' in out["tuned"]
