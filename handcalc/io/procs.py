"""Worker processes that never outlive their command, and signals as exceptions.

* ``install_signal_handlers`` (called by ``handcalc.cli.main``) turns SIGTERM and SIGHUP
  into ``Interrupted``, a KeyboardInterrupt, so that every cleanup written for Ctrl-C
  (temporary files removed, workers stopped) runs for them too; the CLI then exits
  128 + the signal's number with one line.
* ``worker_pool`` is a ProcessPoolExecutor (forked) whose workers ignore Ctrl-C (the
  parent handles it), die with their parent (Linux: PR_SET_PDEATHSIG) and are killed,
  not waited for, when the ``with`` block ends with an exception: nothing is left running
  that holds the caller's pipes.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from handcalc.errors import Interrupted

T = TypeVar("T")
R = TypeVar("R")

if TYPE_CHECKING:  # multiprocessing loads only where a pool is made (not for `check`)
    from concurrent.futures import ProcessPoolExecutor

# fork where there is one (the workers share what is loaded), else spawn
START_METHOD = "fork" if hasattr(os, "fork") else "spawn"
STOP_SECONDS = 1.0  # how long a stopped worker may take to go before it is killed
PR_SET_PDEATHSIG = 1


def _raise(signum: int, frame: object) -> None:
    raise Interrupted(signum)


_installed: list[int] = []  # the signals install_signal_handlers took over


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP raise Interrupted in the main thread (unless ignored, as under
    nohup)."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _raise)
            _installed.append(sig)


def after_interrupt() -> None:
    """Once a command is interrupted, a second Ctrl-C or SIGTERM ends the process at once
    (the default action) instead of raising in the middle of its cleanup. Only in a
    process whose handlers ``install_signal_handlers`` set (the CLI, not a test runner)."""
    if not _installed:
        return
    for sig in (*_installed, signal.SIGINT):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's cleanup must do
        pass


def worker_init(parent: int) -> None:
    """In a worker: Ctrl-C is the parent's to handle; SIGTERM and SIGHUP end it at once;
    the parent's death kills it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    if hasattr(signal, "SIGKILL"):
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)


def stop(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (SIGTERM, then SIGKILL after STOP_SECONDS) and cancel
    what is queued."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            p.join(STOP_SECONDS)
            if p.is_alive():
                p.kill()
                p.join(STOP_SECONDS)


@contextlib.contextmanager
def worker_pool(workers: int, method: str = START_METHOD) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers are stopped, not awaited, when the block raises
    (Ctrl-C, SIGTERM, an error); on a normal exit it shuts down as usual."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=worker_init,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown(wait=True)


def map_fresh(fn: Callable[[T], R], items: Sequence[T], workers: int,
              method: str = START_METHOD) -> list[R]:
    """fn over items, each call in a worker process of its own (so nothing a call leaves
    behind, such as typst's caches, adds up), at most `workers` at a time; the results in
    order. Ctrl-C, SIGTERM or an error stops every worker (as worker_pool does). A call
    whose process dies raises concurrent.futures.process.BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context(method)
    results: dict[int, R] = {}
    running: dict[Future[R], tuple[int, ProcessPoolExecutor]] = {}
    todo = list(enumerate(items))[::-1]
    try:
        while todo or running:
            while todo and len(running) < max(1, workers):
                i, item = todo.pop()
                pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=worker_init,
                                           initargs=(os.getpid(),))
                running[pool.submit(fn, item)] = (i, pool)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, pool = running.pop(future)
                pool.shutdown(wait=True)
                results[i] = future.result()
    except BaseException:
        for _, pool in running.values():
            stop(pool)
        raise
    return [results[i] for i in range(len(items))]
