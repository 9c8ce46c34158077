"""What citystd agrees to read: regular files only, and no more bytes than a stated limit.

Every input — a city data file, a library YAML file, a results JSON, a COINr table — passes here
before it is parsed:

- **Regular files only.** A FIFO, a character or block device (``/dev/zero``), a socket or a
  directory where a file is expected is refused up front (U910), without opening it: reading an
  endless or blocking source would hang or exhaust memory.
- **A size limit.** A library YAML file may be at most :data:`YAML_LIMIT_MB` MiB (Y005); any other
  input at most :data:`DEFAULT_LIMIT_MB` MiB (U911). The environment variable
  ``CITYSTD_MAX_INPUT_MB`` (or ``citystd --max-input-mb N COMMAND``) sets one limit of N MiB
  for all of them. The limit is checked against the file's size before reading, and the read
  itself stops one byte past the limit, so a file that grows while it is read is refused too.

Errors are :class:`~citystd.diagnostics.CitystdError` with exit code 2 (the path, not the
content, is wrong); a missing file is U901.
"""

from __future__ import annotations

import os
import stat
from typing import Literal

from citystd.diagnostics import CitystdError, Diagnostic, Location, Msg, error

ENV = "CITYSTD_MAX_INPUT_MB"
DEFAULT_LIMIT_MB = 256
YAML_LIMIT_MB = 10
MIB = 1024 * 1024
Kind = Literal["data", "yaml"]

_override_mb: float | None = None


class InputTooLarge(CitystdError):
    """An input over the size limit (U911; the library loader reports Y005 instead)."""

    def __init__(self, diagnostic: Diagnostic, size: int, limit: int) -> None:
        super().__init__(diagnostic, exit_code=2)
        self.size, self.limit = size, limit


def set_limit_mb(mb: float | None) -> None:
    """The limit of ``--max-input-mb`` for this run (``None``: the environment or the defaults)."""
    global _override_mb
    _override_mb = mb


def limit_bytes(kind: Kind = "data") -> int:
    """The size limit in bytes for an input of ``kind``."""
    mb = _override_mb
    if mb is None:
        raw = os.environ.get(ENV, "").strip()
        if raw:
            try:
                mb = float(raw)
            except ValueError:
                raise error("U911", f"{ENV}={raw!r} is not a number of MiB", f"{ENV}={raw!r} 不是以 MiB 计的数字",
                            hint=Msg(f"e.g. {ENV}=1024", f"例如 {ENV}=1024"), exit_code=2) from None
            if not mb > 0:
                raise error("U911", f"{ENV} must be a positive number of MiB, not {raw}",
                            f"{ENV} 必须是正的 MiB 数，而不是 {raw}", exit_code=2)
    if mb is None:
        mb = YAML_LIMIT_MB if kind == "yaml" else DEFAULT_LIMIT_MB
    return int(min(mb, 2**40) * MIB)


def check_input(path: str | os.PathLike[str], display: str | None = None, *, kind: Kind = "data") -> int:
    """Refuse a missing path (U901), anything but a regular file (U910) and a file over the
    limit (U911); the file's size otherwise. Symbolic links are followed."""
    name = display or os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error("U901", f"no such file: {name}", f"文件不存在：{name}", Location(name), exit_code=2) from None
    except OSError as exc:
        raise error("U901", f"cannot read '{name}': {exc.strerror or exc}", f"无法读取 '{name}'：{exc.strerror or exc}",
                    Location(name), exit_code=2) from None
    _regular(st.st_mode, name)
    _within(st.st_size, name, kind)
    return st.st_size


def read_input(path: str | os.PathLike[str], display: str | None = None, *, kind: Kind = "data") -> bytes:
    """The bytes of a regular file within the limit (see :func:`check_input`), read at most once."""
    name = display or os.fspath(path)
    check_input(path, name, kind=kind)
    limit = limit_bytes(kind)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the check, opening it does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error("U901", f"cannot read '{name}': {exc.strerror or exc}", f"无法读取 '{name}'：{exc.strerror or exc}",
                    Location(name), exit_code=2) from None
    with os.fdopen(fd, "rb") as fh:
        _regular(os.fstat(fh.fileno()).st_mode, name)
        data = fh.read(limit + 1)
    _within(len(data), name, kind, exact=len(data) <= limit)
    return data


def human_size(n: int) -> str:
    """``n`` bytes as a person reads it: ``291 bytes``, ``4.2 KiB``, ``9.5 MiB``."""
    if n < 1024:
        return f"{n} bytes"
    if n < MIB:
        return f"{n / 1024:.1f} KiB"
    return f"{n / MIB:.1f} MiB"


def _regular(mode: int, name: str) -> None:
    if stat.S_ISREG(mode):
        return
    what_en, what_zh = (("a directory", "目录") if stat.S_ISDIR(mode) else
                        ("a FIFO (named pipe)", "命名管道（FIFO）") if stat.S_ISFIFO(mode) else
                        ("a character device", "字符设备") if stat.S_ISCHR(mode) else
                        ("a block device", "块设备") if stat.S_ISBLK(mode) else
                        ("a socket", "套接字") if stat.S_ISSOCK(mode) else ("not a regular file", "不是普通文件"))
    raise error("U910", f"'{name}' is {what_en}, not a file citystd can read",
                f"'{name}' 是{what_zh}，不是 citystd 可读取的文件", Location(name),
                Msg("give the path of a file (save a stream to a file first)", "请给出文件路径（如为数据流，请先保存为文件）"),
                exit_code=2)


def _within(size: int, name: str, kind: Kind, *, exact: bool = True) -> None:
    """Refuse ``size`` over the limit; ``exact=False``: the read stopped there, the file is larger."""
    limit = limit_bytes(kind)
    if size <= limit:
        return
    more_en, more_zh = ("", "") if exact else ("more than ", "超过 ")
    diag = Diagnostic(
        "U911", Msg(f"'{name}' is {more_en}{human_size(size)}; citystd reads inputs of at most {human_size(limit)}",
                    f"'{name}' 大小为 {more_zh}{human_size(size)}；citystd 读取的输入最大 {human_size(limit)}"),
        Location(name), Msg(f"to read it anyway, raise the limit: {ENV}={int(size / MIB) + 1} or "
                            f"citystd --max-input-mb {int(size / MIB) + 1} …",
                            f"如确需读取，请提高上限：{ENV}={int(size / MIB) + 1} 或 "
                            f"citystd --max-input-mb {int(size / MIB) + 1} …"))
    raise InputTooLarge(diag, size, limit)
