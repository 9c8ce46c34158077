"""Unbounded input refused up front, end to end through the real CLI (citystd.io.guard):
non-regular files (FIFO, /dev/zero, a device node, a directory) as data, library YAML, results
or COINr tables, and files over the size limit — which CITYSTD_MAX_INPUT_MB or --max-input-mb
raise. Every case runs in a subprocess with a timeout: a guard that failed would hang, not pass."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
ASEM = ROOT / "tests" / "data" / "asem"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citystd", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CITYSTD_LANG": "en", **(env or {})})


def score(data: Path | str, *extra: str, root: tuple[str, ...] = (),
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return cli(*root, "score", str(data), "--library", str(FIXTURES), "-f", "demo", *extra, env=env)


def _clean(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    p = tmp_path / "data.csv"
    os.mkfifo(p)
    return p


def test_fifo_as_every_kind_of_input(fifo: Path, tmp_path: Path) -> None:
    r = score(fifo)
    assert r.returncode == 2 and "U910" in r.stderr and "FIFO" in r.stderr, r.stderr
    _clean(r)
    yaml_fifo = tmp_path / "lib.yaml"
    os.mkfifo(yaml_fifo)
    r = cli("validate", str(yaml_fifo))
    assert r.returncode == 2 and "U910" in r.stderr, r.stderr
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copyfile(FIXTURES / "framework.yaml", lib / "framework.yaml")
    os.mkfifo(lib / "extra.yaml")  # inside a library directory: reported, not passed over
    r = cli("validate", str(lib))
    assert r.returncode == 2 and "U910" in r.stderr and "extra.yaml" in r.stderr, r.stderr
    results = tmp_path / "results.json"
    os.mkfifo(results)
    for args in (["report", str(results)], ["compare", str(results), str(results)]):
        r = cli(*args)
        assert r.returncode == 2 and "U910" in r.stderr, (args, r.stderr)
    r = cli("import", "coinr", str(fifo), str(ASEM / "iMeta.csv"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "U910" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()
    _clean(r)


def test_dev_zero_and_a_directory(tmp_path: Path) -> None:
    r = score("/dev/zero")
    assert r.returncode == 2 and "U910" in r.stderr and "character device" in r.stderr, r.stderr
    _clean(r)
    # a folder is a data set for score (its data files are read, each guarded) …
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "2023.csv")
    r = score(folder)
    assert r.returncode == 2 and "U910" in r.stderr and "2023.csv" in r.stderr, r.stderr
    # … but where one file is expected, a directory is refused
    r = cli("report", str(tmp_path))
    assert r.returncode == 2 and "U910" in r.stderr and "directory" in r.stderr, r.stderr
    r = cli("import", "coinr", str(tmp_path), str(ASEM / "iMeta.csv"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "U910" in r.stderr, r.stderr


def test_a_device_node_made_here(tmp_path: Path) -> None:
    dev = tmp_path / "zero.csv"
    try:
        os.mknod(dev, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero
    except OSError as exc:
        pytest.skip(f"cannot create a device node here ({exc.strerror}); needs root outside a user namespace")
    r = score(dev)
    assert r.returncode == 2 and "U910" in r.stderr, r.stderr


def test_size_limit_and_how_to_raise_it(tmp_path: Path) -> None:
    data = tmp_path / "cities.csv"
    rows = (FIXTURES / "cities.csv").read_text(encoding="utf-8").splitlines()
    data.write_text("\n".join([rows[0], *[rows[4].replace("Dunmere", f"City{i}") for i in range(2000)]]) + "\n",
                    encoding="utf-8")  # ~90 KiB, the library files ~5 KiB
    small = {"CITYSTD_MAX_INPUT_MB": "0.05"}  # 51.2 KiB
    r = score(data, env=small)
    assert r.returncode == 2 and "U911" in r.stderr and "at most 51.2 KiB" in r.stderr, r.stderr
    assert "CITYSTD_MAX_INPUT_MB=1" in r.stderr  # the hint says how to raise it
    _clean(r)
    assert score(data, root=("--max-input-mb", "1"), env=small).returncode == 0  # the option wins
    assert score(data).returncode == 0
    r = score(data, env={"CITYSTD_MAX_INPUT_MB": "lots"})
    assert r.returncode == 2 and "U911" in r.stderr and "not a number" in r.stderr, r.stderr
    # library YAML (Y005, as before: a library problem) and results (U911)
    r = cli("validate", str(FIXTURES / "framework.yaml"), env={"CITYSTD_MAX_INPUT_MB": "0.001"})
    assert r.returncode == 1 and "Y005" in r.stderr and "at most 1.0 KiB" in r.stderr, r.stderr
    results = tmp_path / "r.json"
    assert score(data, "-o", str(results)).returncode == 0
    r = cli("report", str(results), env=small)
    assert r.returncode == 2 and "U911" in r.stderr, r.stderr
