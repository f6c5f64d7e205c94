"""The keys' cross-checks with torch, in a process of their own that imports torch at
once, while the building process solves, typesets and forks on without torch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any


def _load_torch() -> None:
    from handcalc.core import kernel  # noqa: F401 - the import is the work


def check_all(checks: Sequence[Any]) -> None:
    """The torch halves of exercise.KernelCheck (in the checking process, or here):
    KernelMismatch at the first that disagrees."""
    from handcalc.core import kernel

    for c in checks:
        c.check_with(kernel)


class KeyChecks:
    """The keys' cross-checks with torch, in a process of their own that imports torch
    at once (made by ``key_checks``), while this process solves, typesets and forks on,
    without torch: ``add`` each exercise's exercise.KernelCheck once it is solved,
    ``close`` when all are added, then ``wait`` for the verdict (KernelMismatch, the
    first disagreement in the order added) before a key is written."""

    BATCH = 16  # checks sent to the process together

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._futures = [pool.submit(_load_torch)]
        self._batch: list[Any] = []

    def add(self, check: Any) -> None:
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
        self._send()
        self._pool.shutdown(wait=False)

    def wait(self) -> None:
        self.close()
        for future in self._futures:
            future.result()


@contextlib.contextmanager
def key_checks() -> Iterator[KeyChecks]:
    """A KeyChecks whose process is stopped when the block raises, and whose verdict is
    waited for when it ends (so no check is left unread)."""
    from handcalc.io.procs import worker_pool

    with worker_pool(1) as pool:
        checks = KeyChecks(pool)
        yield checks
        checks.wait()


