"""docs/api.md runs as a doctest: every example of the Python API, from the repository's root, with
its outputs in a temporary directory (``out``)."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_api_md_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for name in ("examples", "tests"):
        (work / name).symlink_to(ROOT / name)
    (work / "out").mkdir()
    monkeypatch.chdir(work)
    result = doctest.testfile(os.fspath(ROOT / "docs" / "api.md"), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 20
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of docs/api.md failed"
