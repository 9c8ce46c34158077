"""Where an output may go: checked before a command does any work, so a bad ``-o`` costs nothing
and destroys nothing.

:func:`check_output` refuses (exit 2, nothing written):

- an output that is one of the command's inputs — the same file by another spelling of its path,
  through a symbolic link or a hard link (U907);
- an output in a directory that does not exist, a directory, a block device or a socket, and a
  directory that cannot be written (read-only file system, no permission) (U908).

``-`` means standard output. A character device (``/dev/null``, a terminal) or a FIFO is a
stream: :mod:`citystd.io.atomic` writes it directly instead of renaming a file over it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from citystd.diagnostics import Location, Msg, error

STDOUT = "-"
Kind = Literal["stdout", "absent", "file", "stream"]


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    return path is not None and os.fspath(path) == STDOUT


def output_kind(path: str | os.PathLike[str]) -> Kind:
    """What is at ``path`` now (following symbolic links); raises U908 for what cannot be written."""
    if is_stdout(path):
        return "stdout"
    name = os.fspath(path)
    real = Path(os.path.realpath(name))
    try:
        st = real.stat()
    except FileNotFoundError:
        _check_directory(name, real.parent)
        return "absent"
    except OSError as exc:
        raise _unusable(name, exc.strerror or str(exc), "check the path") from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        _check_directory(name, real.parent)
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    what_en, what_zh = (("a directory", "目录") if stat.S_ISDIR(mode) else
                        ("a block device", "块设备") if stat.S_ISBLK(mode) else
                        ("a socket", "套接字") if stat.S_ISSOCK(mode) else ("not a file", "不是文件"))
    raise error("U908", f"cannot write '{name}': it is {what_en}", f"无法写入 '{name}'：它是{what_zh}",
                Location(name), Msg("give the name of a file to write, e.g. results.json",
                                    "请给出要写入的文件名，例如 results.json"), exit_code=2)


def _check_directory(name: str, directory: Path) -> None:
    if not directory.is_dir():
        raise _unusable(name, f"the directory '{directory}' does not exist",
                        "create the directory first, or write somewhere else",
                        f"目录 '{directory}' 不存在", "请先创建该目录，或写到其他位置")
    if not os.access(directory, os.W_OK):
        import errno

        try:  # tell a read-only file system from a missing permission
            ro = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
        except OSError:
            ro = False
        reason = os.strerror(errno.EROFS) if ro else os.strerror(errno.EACCES)
        raise _unusable(name, f"the directory '{directory}' cannot be written ({reason})",
                        "write somewhere else", f"目录 '{directory}' 不可写入（{reason}）", "请写到其他位置")


def _unusable(name: str, why_en: str, hint_en: str, why_zh: str | None = None, hint_zh: str | None = None) -> Exception:
    return error("U908", f"cannot write '{name}': {why_en}", f"无法写入 '{name}'：{why_zh or why_en}",
                 Location(name), Msg(hint_en, hint_zh or "请检查路径"), exit_code=2)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file: one real path, or one inode (hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(output: str | os.PathLike[str] | None,
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Kind | None:
    """Refuse an output that is one of ``inputs`` (U907) or cannot be written (U908); its kind.

    Call it at the start of every command that writes a file, with every file the command reads.
    ``None`` (no ``-o``) and ``-`` (standard output) pass.
    """
    if output is None:
        return None
    if is_stdout(output):
        return "stdout"
    refuse_inputs(output, inputs)
    return output_kind(output)


def refuse_inputs(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """U907 (exit 2) when ``output`` is the same file as one of ``inputs`` (directories are skipped)."""
    name = os.fspath(output)
    for given in inputs:
        if given is None or is_stdout(given) or os.path.isdir(given):
            continue
        if same_file(name, given):
            shown = os.fspath(given)
            raise error("U907", f"the output '{name}' is also an input of this command ('{shown}'): "
                                "writing it would destroy the input",
                        f"输出 '{name}' 同时是本命令的输入（'{shown}'）：写入会毁掉输入文件",
                        Location(name), Msg("write to another file", "请写到另一个文件"), exit_code=2)
