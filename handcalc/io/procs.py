"""Worker processes that never outlive their command, and signals as exceptions.

* ``install_signal_handlers`` (called by ``handcalc.cli.main``) turns Ctrl-C, SIGTERM and
  SIGHUP into ``Interrupted``, a KeyboardInterrupt, so that every cleanup written for Ctrl-C
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
import threading
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


FORCE_EXIT_SECONDS = 10.0  # how long an interrupted command may take to end by itself

_came: int | None = None  # the signal that interrupted this command, once one came
_said = False  # whether the command's line about it was written


def interruption_text(signum: int) -> str:
    """How a command ended by a signal says so (after "handcalc: ")."""
    return "interrupted" if signum == signal.SIGINT else \
        f"terminated by {signal.Signals(signum).name}"


def said_interrupted() -> None:
    """The command has written its line about the signal (``interruption_text``)."""
    global _said
    _said = True


def _raise(signum: int, frame: object) -> None:
    global _came
    if _came is None:
        _came = signum
        timer = threading.Timer(FORCE_EXIT_SECONDS, _force_exit, (signum,))
        timer.daemon = True
        timer.start()
    raise Interrupted(signum)


def _force_exit(signum: int) -> None:
    """The command has not ended FORCE_EXIT_SECONDS after its signal: its exception was lost
    where no loop asks for it again (``check_interrupted``), or its cleanup is stuck (a
    lock the signal left taken). It ends now as an interrupted command does: one line (if
    not written yet) and exit status 128 + the signal; its workers die with it."""
    if not _said:
        with contextlib.suppress(OSError):
            os.write(2, f"handcalc: {interruption_text(signum)}\n".encode())
    os._exit(128 + signum)


_installed: list[int] = []  # the signals install_signal_handlers took over


def install_signal_handlers() -> None:
    """Ctrl-C, SIGTERM and SIGHUP raise Interrupted in the main thread (unless ignored, as
    under nohup), and are noted for ``check_interrupted``."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _raise)
            _installed.append(sig)


def check_interrupted() -> None:
    """Raise Interrupted if a signal came and this code still runs: its exception was lost
    on the way. Python drops an exception raised in a ``__del__``, a weakref callback or
    the garbage collector (which run between any two lines), and C code (the loading of
    torch, a dictionary lookup calling ``__eq__``) may clear it; the command would then go
    on as if no signal came. Long loops call this once per item of work."""
    if _came is not None:
        raise Interrupted(_came)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP, where Python handles them, are noted while the block
    runs and handled as it ends (in the main thread; elsewhere the block runs as is). For
    imports of C extensions such as torch and typst: their loading code clears errors it
    does not expect, and so may drop the exception of a signal that comes halfway (the
    command then runs on as if it never came), or leave a module that cannot load again
    in this process. (Blocking the signals would not do: another thread receives them.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def note(signum: int, frame: object) -> None:
        came.append(signum)

    held = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and callable(signal.getsignal(sig)):
            held[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
        if came:
            signal.raise_signal(came[0])  # its handler runs (and raises) here


def after_interrupt() -> None:
    """Once a command is interrupted, a second Ctrl-C or SIGTERM ends the process at once
    (the default action) instead of raising in the middle of its cleanup. Only in a
    process whose handlers ``install_signal_handlers`` set (the CLI, not a test runner)."""
    if not _installed:
        return
    for sig in {*_installed, signal.SIGINT}:
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
