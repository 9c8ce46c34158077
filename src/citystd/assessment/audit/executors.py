"""Where chunks of replications run: this process, a local pool of processes, or Dask (docs/audit.md).

An executor maps a top-level function ``fn(shared, item)`` over items. ``shared`` (the
:class:`~citystd.assessment.audit.evaluate.Problem`, or the data for the upstream runs) is sent to every
worker once; the items are small (row ranges). Results come back in the order of the items; the
caller's accumulation is order-free anyway (integer counts), and every chunk is a pure function of
its rows, so serial, pool and Dask give identical results.

- :class:`Serial` — in this process.
- :class:`Processes` — ``concurrent.futures.ProcessPoolExecutor`` (the standard library; needs no extra).
- :class:`DaskExecutor` — ``dask.distributed``: a ``LocalCluster`` of N worker processes, or an
  existing scheduler (``tcp://host:8786``); needs ``pip install citystd[dask]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from citystd.diagnostics import Msg, error

_SHARED: Any = None


def _init(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_SHARED, item)


class Serial:
    name = "serial"
    workers = 1

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: list[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(shared, item)

    def close(self) -> None:
        pass


class Processes:
    """A local pool of ``workers`` processes (``shared`` pickled once per process)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: list[Any]) -> Iterator[Any]:
        from concurrent.futures import ProcessPoolExecutor

        if len(items) <= 1:
            yield from Serial().map(fn, shared, items)
            return
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items)), initializer=_init,
                                 initargs=(shared,)) as pool:
            yield from pool.map(_call, [fn] * len(items), items)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Chunks as Dask tasks on a local cluster of processes or on an existing scheduler."""

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise error("A018", "--scheduler needs Dask: pip install 'citystd[dask]'",
                        "--scheduler 需要 Dask：pip install 'citystd[dask]'", exit_code=2) from None
        self._cluster = None
        try:
            if address:
                self.client = Client(address, timeout="20s")
            else:
                import dask

                # Dask's nanny gives its workers MALLOC_TRIM_THRESHOLD_=65536, which fixes glibc's
                # mmap threshold too: every large temporary array is then mapped and faulted in
                # anew, and the audit's tasks ran 3× slower here (docs/performance.md); the local
                # cluster's workers keep glibc's adaptive defaults
                environ = {k: v for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}).items()
                           if k != "MALLOC_TRIM_THRESHOLD_"}
                with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                    self._cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                                 processes=True, dashboard_address=None)
                self.client = Client(self._cluster)
        except OSError as exc:
            raise error("A018", f"cannot reach the Dask scheduler {address}: {exc}",
                        f"无法连接 Dask 调度器 {address}：{exc}",
                        hint=Msg("start one with `dask scheduler` and workers with `dask worker ADDRESS`",
                                 "可用 `dask scheduler` 启动调度器，用 `dask worker 地址` 启动工作进程"), exit_code=2) from None
        self.address = address or "local"
        self.workers = len(self.client.scheduler_info().get("workers", {})) or workers or 1

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: list[Any]) -> Iterator[Any]:
        if not items:
            return
        ref = self.client.scatter(shared, broadcast=True)
        futures = self.client.map(fn, [ref] * len(items), items, pure=False)
        try:
            for fut in futures:  # in item order
                yield fut.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None, scheduler: str | None) -> Serial | Processes | DaskExecutor:
    """``--scheduler`` (or ``DASK_SCHEDULER_ADDRESS``) → Dask; ``--workers N`` > 1 → a local Dask
    cluster of N processes when Dask is installed, else a pool of N processes; else serial."""
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if address:
        return DaskExecutor(address=address)
    if workers is None or workers <= 1:
        return Serial()
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return Processes(workers)
    return DaskExecutor(workers=workers)
