"""Writing an output file so that nothing is ever lost or half-written.

- **A regular file, or nothing yet** at the path: the bytes go to a temporary file beside it
  (``.<name>.<random>.tmp``, same directory and so the same file system), which is then renamed
  over the target. A reader never sees a half-written file; a run that fails (disk full, I/O
  error) or is stopped (SIGTERM, SIGINT, SIGHUP) leaves the previous file as it was and removes
  the temporary file.
- **A symbolic link**: the file it points to is written that way; the link stays a link.
- **A character device** (``/dev/null``, a terminal) **or a FIFO**: written directly, never
  renamed over (a device node is never replaced by a regular file).
- **Anything else** (a directory, a block device, a socket) is refused, as is a missing
  directory (:func:`citystd.io.outpath.output_kind`, U908).

Every failure is a :class:`~citystd.diagnostics.CitystdError` naming the path (U908 before
writing, U909 while writing), with exit code 2: the environment, not a bug.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from citystd.diagnostics import Location, Msg, error
from citystd.io.outpath import output_kind

#: signals that stop a write cleanly (the temporary file is removed), then end the process
STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGINT", "SIGHUP")) if s is not None)


def write_chunks_atomic(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """Write byte pieces one after another (large outputs are never held whole in memory).

    ``-`` writes to standard output.
    """
    name = os.fspath(path)
    kind = output_kind(name)
    if kind == "stdout":
        import sys

        _guarded("<stdout>", lambda: _write_to(sys.stdout.buffer, chunks))
        return
    real = Path(os.path.realpath(name))
    if kind == "stream":
        _guarded(name, lambda: _write_stream(real, chunks))
        return
    tmp_path: Path | None = None
    with _stops_cleanly():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
            tmp_path = Path(tmp)
            with os.fdopen(fd, "wb") as fh:
                _write_to(fh, chunks)
                os.fsync(fh.fileno())
            os.chmod(tmp_path, _mode(real))
            os.replace(tmp_path, real)
        except BaseException as exc:
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _failed(name, exc, existed=kind == "file") from None
            raise


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` (a writer that wants a path, e.g. pyarrow's) and move the file it
    wrote to ``path`` with the guarantees above. To a stream (``-``, a device, a FIFO) the file is
    written in a private temporary directory first and then copied."""
    name = os.fspath(path)
    kind = output_kind(name)
    if kind in ("stdout", "stream"):
        with tempfile.TemporaryDirectory(prefix="citystd-") as tmp:
            staged = Path(tmp) / "out"
            write(staged)
            with staged.open("rb") as fh:
                write_chunks_atomic(name, iter(lambda: fh.read(1 << 20), b""))
        return
    real = Path(os.path.realpath(name))
    tmp_path: Path | None = None
    with _stops_cleanly():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
            os.close(fd)
            tmp_path = Path(tmp)
            write(tmp_path)
            with tmp_path.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, _mode(real))
            os.replace(tmp_path, real)
        except BaseException as exc:
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _failed(name, exc, existed=kind == "file") from None
            raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_chunks_atomic(path, [text.encode("utf-8")])


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    write_chunks_atomic(path, [data])


def _write_to(fh: BinaryIO, chunks: Iterable[bytes]) -> None:
    for piece in chunks:
        fh.write(piece)
    fh.flush()


def _write_stream(real: Path, chunks: Iterable[bytes]) -> None:
    with real.open("wb") as fh:
        _write_to(fh, chunks)


def _guarded(name: str, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as exc:
        raise _failed(name, exc, existed=False) from None


def _mode(real: Path) -> int:
    """The permissions of the file replaced, else those a plain ``open()`` would give (mkstemp: 0600)."""
    try:
        return real.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _failed(name: str, exc: OSError, *, existed: bool) -> Exception:
    import errno

    reason = exc.strerror or str(exc)
    kept_en = "; the previous file is unchanged" if existed else ""
    kept_zh = "；原文件未改动" if existed else ""
    hints = {
        errno.ENOSPC: ("free some disk space, or write somewhere else", "请释放磁盘空间，或写到其他位置"),
        errno.EDQUOT: ("free some disk space, or write somewhere else", "请释放磁盘空间，或写到其他位置"),
        errno.EFBIG: ("the file is larger than this file system or process allows: write somewhere else",
                      "文件超出该文件系统或进程允许的大小：请写到其他位置"),
        errno.EROFS: ("the file system is read-only: write somewhere else", "文件系统只读：请写到其他位置"),
        errno.EACCES: ("you may not write there: write somewhere else", "没有写入权限：请写到其他位置"),
        errno.EPERM: ("you may not write there: write somewhere else", "没有写入权限：请写到其他位置"),
        errno.ENOENT: ("the directory does not exist (any more): create it first", "目录不存在：请先创建"),
    }
    hint_en, hint_zh = hints.get(exc.errno or 0, ("check the disk and the path", "请检查磁盘和路径"))
    return error("U909", f"could not write '{name}': {reason}{kept_en}", f"无法写入 '{name}'：{reason}{kept_zh}",
                 Location(name), Msg(hint_en, hint_zh), exit_code=2)


class _Stopped(SystemExit):
    """A stop signal arrived while a temporary file existed; it is removed on the way out."""


@contextmanager
def _stops_cleanly() -> Iterator[None]:
    """While writing, SIGTERM/SIGINT/SIGHUP raise (exit 128 + signal) so the temporary file is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise _Stopped(128 + signum)

    previous = {}
    for sig in STOP_SIGNALS:
        try:
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue  # e.g. SIGHUP under nohup: keep ignoring it
            previous[sig] = signal.signal(sig, stop)
        except (OSError, ValueError):  # pragma: no cover - not settable here
            continue
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
