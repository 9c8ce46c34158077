"""The C allocator of a command that works on large tables (``citystd score``, ``citystd audit``).

A run over 100,000 city-years × 200 indicators makes and drops hundreds of arrays of 8–160 MB.
glibc's ``malloc`` gives each one above its (moving) threshold fresh pages from the kernel and
returns them when it is freed, so every new array is paid for again in page faults: 2.5–4.6 s
of system time in a 12–13 s run here. With the threshold fixed at 32 MB (glibc's largest), up to
256 MB of freed memory kept for reuse (``M_TRIM_THRESHOLD``) and two arenas for the threads
(``M_ARENA_MAX``), system time halves and the run is 0.5–1 s faster; peak memory stays about
the same (docs/performance.md).

Only the command-line process is tuned, when a command starts: importing citystd changes nothing
in the process of a program that uses its API. Elsewhere than Linux with glibc, nothing is done.
``CITYSTD_MALLOC=default`` leaves the allocator as it is.
"""

from __future__ import annotations

import os
import sys

#: mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024
ARENA_MAX = 2

_done = False


def tune_for_large_arrays() -> bool:
    """Keep freed memory for reuse (see the module docstring). True if the allocator was tuned."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("CITYSTD_MALLOC", "").strip() == "default":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = all(libc.mallopt(param, value) == 1 for param, value in (
            (_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_ARENA_MAX, ARENA_MAX)))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt of these)
        return False
    _done = ok
    return ok
