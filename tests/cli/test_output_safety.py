"""Never destroy or corrupt a file: every command that writes, end to end through the real CLI.

- an output that is one of the inputs (same path, a symbolic link, another spelling, a hard link)
  is refused with exit 2 and nothing is touched;
- a missing directory, a directory, a device node: clear one-line errors, exit 2;
- a character device or a FIFO is written directly and stays what it was;
- a write that fails half-way (file too large, disk full, read-only file system) or is stopped
  by SIGTERM/SIGINT leaves the previous file intact and no temporary file;
- standard output that is full is a message, not an "internal error".

Subprocess tests run ``python -m citystd``; device nodes need root (``mknod``) and a mount
needs the right to mount a tmpfs: those skip with the reason when not permitted, the FIFO and
file-size-limit cases always run.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"
ASEM = ROOT / "tests" / "data" / "asem"
REFERENCE = ROOT / "tests" / "data" / "reference" / "indicators_reference.csv"


def run(*args: str):
    return runner.invoke(app, list(args))


def cli(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "CITYSTD_LANG": "en"}
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "citystd", *args], text=True, timeout=timeout, env=env, **kwargs)


# ------------------------------------------------------------------ one table of every writer

def _inputs(tmp: Path) -> dict[str, Path]:
    """Copies of the inputs each command reads, so a test may point -o at them."""
    files = {"data": FIXTURES / "cities.csv", "framework": FIXTURES / "framework.yaml",
             "idata": ASEM / "iData.csv", "imeta": ASEM / "iMeta.csv", "reference": REFERENCE}
    out = {}
    for key, src in files.items():
        dst = tmp / "in" / src.name
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(src, dst)
        out[key] = dst
    lib = tmp / "in" / "lib"
    lib.mkdir(exist_ok=True)
    shutil.copyfile(FIXTURES / "framework.yaml", lib / "framework.yaml")
    out["lib"], out["lib_file"] = lib, lib / "framework.yaml"
    results = tmp / "in" / "results.json"
    r = run("score", str(out["data"]), "--library", str(lib), "-f", "demo", "-o", str(results))
    assert r.exit_code == 0, r.output
    out["results"] = results
    return out


#: command → (arguments with {output} where -o goes, the input keys an output may not be)
WRITERS: dict[tuple[str, ...], tuple[list[str], list[str]]] = {
    ("score",): (["score", "{data}", "--library", "{lib}", "-f", "demo", "-o", "{output}", "--format", "csv"],
                 ["data", "lib_file"]),
    ("report",): (["report", "{results}", "-o", "{output}", "--format", "json"], ["results"]),
    ("compare",): (["compare", "{results}", "{results}", "-o", "{output}", "--format", "json"], ["results"]),
    ("schema",): (["schema", "-o", "{output}"], []),
    ("template",): (["template", "--library", "{lib}", "-f", "demo", "-o", "{output}", "--format", "csv"],
                    ["lib_file"]),
    ("indicators", "coverage"): (["indicators", "coverage", "--library", "{lib}", "--reference", "{reference}",
                                  "-o", "{output}", "--format", "json"], ["reference", "lib_file"]),
    ("import", "coinr"): (["import", "coinr", "{idata}", "{imeta}", "-o", "{output}"], []),
    ("audit",): (["audit", "{data}", "--library", "{lib}", "-f", "demo", "-N", "4", "-o", "{output}", "--format",
                  "json"], ["data"]),
}


def _commands_with_output() -> set[tuple[str, ...]]:
    def walk(cmd, path: tuple[str, ...] = ()):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, (*path, name))
        elif any("--output" in p.opts for p in cmd.params):
            yield path

    return set(walk(typer.main.get_command(app)))


def _args(template: list[str], inputs: dict[str, Path], output: str) -> list[str]:
    return [a.format(output=output, **{k: str(v) for k, v in inputs.items()}) for a in template]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_command_that_writes_is_covered() -> None:
    """A new command with -o must join WRITERS, and so every test below."""
    assert _commands_with_output() == set(WRITERS)


@pytest.mark.parametrize("command", sorted(WRITERS), ids=" ".join)
def test_output_that_is_an_input_is_refused(command: tuple[str, ...], tmp_path: Path) -> None:
    template, protected = WRITERS[command]
    inputs = _inputs(tmp_path)
    if command == ("import", "coinr"):  # its output is a directory: iData given as its data.csv
        out = tmp_path / "imported"
        out.mkdir()
        shutil.copyfile(inputs["idata"], out / "data.csv")
        before = _snapshot(tmp_path)
        r = run(*_args(template, {**inputs, "idata": out / "data.csv"}, str(out)))
        assert r.exit_code == 2 and "U907" in r.stderr, r.output
        assert _snapshot(tmp_path) == before
        return
    for key in protected:
        target = inputs[key]
        link = target.parent / f"link-{target.name}"
        link.symlink_to(target.name)
        spellings = [str(target), str(link), str(target.parent / ".." / target.parent.name / target.name)]
        if key != "lib_file":  # a hard link to a library file would be loaded as a second library file
            hard = tmp_path / f"hard-{target.name}"
            os.link(target, hard)
            spellings.append(str(hard))
        before = _snapshot(tmp_path)
        for spelling in spellings:
            r = run(*_args(template, inputs, spelling))
            assert r.exit_code == 2, (spelling, r.output)
            assert "U907" in r.stderr and "Traceback" not in r.output and "internal error" not in r.output
            assert _snapshot(tmp_path) == before, spelling
        assert link.is_symlink()
        link.unlink()
        if key != "lib_file":
            hard.unlink()


@pytest.mark.parametrize("command", sorted(WRITERS), ids=" ".join)
def test_missing_directory_and_directory_are_clear_errors(command: tuple[str, ...], tmp_path: Path) -> None:
    template, _ = WRITERS[command]
    inputs = _inputs(tmp_path)
    before = _snapshot(tmp_path)
    missing = tmp_path / "no" / "such" / "dir" / "out.json"
    r = run(*_args(template, inputs, str(missing)))
    if command == ("import", "coinr"):  # creates its output directory, parents included
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 2, r.output
    assert "U908" in r.stderr and "does not exist" in r.stderr and "internal error" not in r.output
    assert _snapshot(tmp_path) == before
    r = run(*_args(template, inputs, str(tmp_path)))
    assert r.exit_code == 2 and "U908" in r.stderr and "directory" in r.stderr, r.output
    assert _snapshot(tmp_path) == before


def test_import_into_a_file_is_refused(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    target = tmp_path / "not-a-dir"
    target.write_text("keep", encoding="utf-8")
    r = run("import", "coinr", str(inputs["idata"]), str(inputs["imeta"]), "-o", str(target))
    assert r.exit_code == 2 and "U908" in r.stderr and target.read_text(encoding="utf-8") == "keep"


def test_symlinked_output_writes_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    r = run("score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo", "-o", str(link))
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("city,year,rank")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_dash_is_standard_output(tmp_path: Path) -> None:
    r = run("score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo", "-o", "-",
            "--format", "csv")
    assert r.exit_code == 0 and r.stdout.startswith("city,year,rank") and not (Path.cwd() / "-").exists()
    r = run("schema", "-o", "-")
    assert r.exit_code == 0 and '"$schema"' in r.stdout


# ------------------------------------------------------------------ streams and device nodes

def _score_to(output: Path | str, **kwargs) -> subprocess.CompletedProcess:
    return cli("score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo", "-o", str(output),
               "--format", "csv", **kwargs)


def test_fifo_is_written_directly_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    r = _score_to(fifo)
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert received and received[0].startswith(b"city,year,rank")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]


def test_dev_null_stays_a_device() -> None:
    r = _score_to("/dev/null")
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def _mknod_full(path: Path) -> None:
    """A character device like /dev/full (major 1, minor 7), or skip with the reason."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc.strerror}); needs root outside a user namespace")


def test_full_device_is_an_error_and_is_never_replaced(tmp_path: Path) -> None:
    dev = tmp_path / "full"
    _mknod_full(dev)
    r = _score_to(dev)
    assert r.returncode == 2, r.stderr
    assert "U909" in r.stderr and "No space left on device" in r.stderr and "internal error" not in r.stderr
    assert stat.S_ISCHR(dev.lstat().st_mode), "the device node was replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_standard_output_full_is_a_message() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    for args in (["schema"], ["score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo"],
                 ["validate", "--format", "json"]):
        with open("/dev/full", "w") as full:
            r = cli(*args, stdout=full, stderr=subprocess.PIPE)
        assert r.returncode == 2, (args, r.stderr)
        assert "cannot write to standard output: No space left on device" in r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "CITYSTD_LANG": "en"}
    p = subprocess.Popen([sys.executable, "-m", "citystd", "score", str(ROOT / "examples" / "cities-2023.xlsx"),
                          "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode("utf-8")
    assert p.wait(timeout=60) in (0, 2)
    assert err == "", err


# ------------------------------------------------------------------ failures half-way

def _previous(tmp_path: Path) -> Path:
    out = tmp_path / "results.csv"
    out.write_text("the previous results\n", encoding="utf-8")
    return out


def _assert_intact(tmp_path: Path, out: Path) -> None:
    assert out.read_text(encoding="utf-8") == "the previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "temporary file left behind"


def test_write_failing_half_way_keeps_the_old_file(tmp_path: Path) -> None:
    """The file-size limit of the process (RLIMIT_FSIZE) makes the write fail after 100 bytes."""
    out = _previous(tmp_path)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    r = _score_to(out, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert "U909" in r.stderr and "File too large" in r.stderr and "previous file is unchanged" in r.stderr
    assert "internal error" not in r.stderr
    _assert_intact(tmp_path, out)


@pytest.fixture()
def small_tmpfs(tmp_path: Path):
    """A 64 KiB tmpfs (disk full, then read-only), or skip when mounting is not permitted."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or 'mount failed'}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_disk_full_and_read_only_file_system(small_tmpfs: Path, tmp_path: Path) -> None:
    out = _previous(small_tmpfs)
    (small_tmpfs / "filler").write_bytes(b"\0" * (60 * 1024))  # leave ~4 KiB: the report needs more
    big = tmp_path / "big.csv"
    rows = (FIXTURES / "cities.csv").read_text(encoding="utf-8").splitlines()
    big.write_text("\n".join([rows[0], *[rows[1].replace("Aston", f"City{i}") for i in range(300)]]) + "\n",
                   encoding="utf-8")
    r = cli("score", str(big), "--library", str(FIXTURES), "-f", "demo", "-o", str(out), "--format", "csv")
    assert r.returncode == 2, r.stderr
    assert "U909" in r.stderr and "No space left on device" in r.stderr and "internal error" not in r.stderr
    assert out.read_text(encoding="utf-8") == "the previous results\n"
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["filler", "results.csv"]
    (small_tmpfs / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    r = _score_to(out)
    assert r.returncode == 2, r.stderr
    assert "U908" in r.stderr and "Read-only file system" in r.stderr and "internal error" not in r.stderr
    assert out.read_text(encoding="utf-8") == "the previous results\n"


def _many_cities(tmp_path: Path, n: int) -> Path:
    p = tmp_path / "many.csv"
    lines = ["city,population,labour_force,unemployed,green_area,pm25"]
    lines += [f"C{i},{100000 + i},{50000 + i % 997},{1000 + i % 313},{10**6 + i},{5 + i % 80}" for i in range(n)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopped_while_writing_leaves_no_temporary_file(sig: int, tmp_path: Path) -> None:
    data = _many_cities(tmp_path, 10_000)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "results.json"
    env = {**os.environ, "CITYSTD_LANG": "en"}
    for _attempt in range(3):  # the signal must land while the temporary file exists: retry a lost race
        out.write_text("the previous results\n", encoding="utf-8")
        p = subprocess.Popen([sys.executable, "-m", "citystd", "score", str(data), "--library", str(FIXTURES),
                              "-f", "demo", "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        _wait_for(lambda p=p: any(f.name.startswith(".results.json.") for f in outdir.iterdir())
                  or p.poll() is not None)
        if p.poll() is None:
            p.send_signal(sig)
        code = p.wait(timeout=120)
        assert sorted(f.name for f in outdir.iterdir()) == ["results.json"], "temporary file left behind"
        if out.read_text(encoding="utf-8") == "the previous results\n":
            assert code == 128 + sig, p.stderr.read() if p.stderr else ""
            return
        # the write had finished before the signal arrived: the new file is whole; try again
        assert out.read_bytes().endswith(b"}\n")
    pytest.fail("three runs finished writing before the signal arrived; make the data larger")


def _wait_for(cond: Callable[[], bool], timeout: float = 120) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.001)
    return False


def test_workbook_scored_onto_itself_is_refused(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [line.split(",") for line in (FIXTURES / "cities.csv").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        ws.append(row)
    data = tmp_path / "cities.xlsx"
    wb.save(data)
    before = data.read_bytes()
    for target in (data, tmp_path / "." / "cities.xlsx"):
        r = run("score", str(data), "--library", str(FIXTURES), "-f", "demo", "-o", str(target))
        assert r.exit_code == 2 and "U907" in r.stderr, r.output
    assert data.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["cities.xlsx"]
