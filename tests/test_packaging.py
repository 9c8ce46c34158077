"""A wheel install finds the built-in library: it is packaged as citystd/indicators."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_the_library_and_finds_it(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = out.glob("citystd-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"citystd/indicators/{p.relative_to(ROOT / 'indicators').as_posix()}"
                for p in (ROOT / "indicators").rglob("*.yaml")}
    assert expected and expected <= names
    assert "citystd/indicators/domains.yaml" in names
    assert "citystd/io/cities.csv" in names  # the city register's data

    # unpacked wheel on sys.path, run from elsewhere: the packaged copy is the one found
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from citystd.library.load import builtin_path; from citystd.io.cities import resolve; "
            "print(builtin_path()); print(resolve('襄樊', year=2023).code)")
    env = {**os.environ, "PYTHONPATH": str(site)}
    found, city = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
    assert Path(found) == site / "citystd" / "indicators"
    assert city == "420600"  # the register loads from the installed package


def test_python_dash_m_runs_the_cli() -> None:
    r = subprocess.run([sys.executable, "-m", "citystd", "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("citystd ")
