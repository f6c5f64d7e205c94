"""The keys' cross-checks with torch, in a process of their own that imports torch at
once, while the building process solves, typesets and forks on without torch. A key torch
has confirmed before (handcalc.exercises.confirmed) is not checked again, and no process
is started (nor torch imported) until a key needs checking."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from handcalc.exercises import confirmed


def _load_torch() -> None:
    from handcalc.exercises.exercise import torch_kernel

    torch_kernel()


def check_all(checks: Sequence[Any]) -> list[confirmed.Confirmed]:
    """The torch halves of exercise.KernelCheck (in the checking process, or here):
    KernelMismatch at the first that disagrees; else what each confirmed."""
    from handcalc.exercises.exercise import torch_kernel

    kernel = torch_kernel()
    return [(c.instance.code, c.instance.family, c.digest, c.check_with(kernel))
            for c in checks]


def unconfirmed(checks: Sequence[Any]) -> list[Any]:
    """The checks whose keys torch has not confirmed here before."""
    return [c for c in checks
            if confirmed.lookup(c.instance.code, c.instance.family, c.digest) is None]


def check_here(checks: Sequence[Any]) -> None:
    """Check in this process the keys not confirmed before, and remember them."""
    todo = unconfirmed(checks)
    if todo:
        confirmed.record(c for c in check_all(todo) if c[2])


class KeyChecks:
    """The keys' cross-checks with torch, in a process of their own that imports torch
    at once when the first key needing a check arrives, while this process solves,
    typesets and forks on, without torch: ``add`` each exercise's exercise.KernelCheck
    once it is solved, ``close`` when all are added, then ``wait`` for the verdict
    (KernelMismatch, the first disagreement in the order added) before a key is written;
    the keys it confirmed are then remembered."""

    BATCH = 16  # checks sent to the process together

    def __init__(self, start: Any) -> None:
        self._start = start  # makes the pool, on first use
        self._pool: Any = None
        self._futures: list[Any] = []
        self._batch: list[Any] = []

    def add(self, check: Any) -> None:
        if not unconfirmed([check]):
            return
        if self._pool is None:
            self._pool = self._start()
            self._futures.append(self._pool.submit(_load_torch))
        self._batch.append(check)
        if len(self._batch) >= self.BATCH:
            self._send()

    def _send(self) -> None:
        if self._batch:
            self._futures.append(self._pool.submit(check_all, self._batch))
            self._batch = []

    def close(self) -> None:
        """No more checks will come: the process ends (freeing torch's memory) as soon as
        it has done those it has."""
        if self._pool is not None:
            self._send()
            self._pool.shutdown(wait=False)

    def wait(self) -> None:
        self.close()
        done = [c for future in self._futures for c in (future.result() or ())]
        confirmed.record(c for c in done if c[2])


@contextlib.contextmanager
def key_checks() -> Iterator[KeyChecks]:
    """A KeyChecks whose process (if it started one) is stopped when the block raises,
    and whose verdict is waited for when it ends (so no check is left unread)."""
    from handcalc.io.procs import worker_pool

    with contextlib.ExitStack() as stack:
        checks = KeyChecks(lambda: stack.enter_context(worker_pool(1)))
        yield checks
        checks.wait()
