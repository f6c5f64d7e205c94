"""A bound on work, not a speed test: hostile input (a huge exponent, deep nesting, a
megabyte of digits) must be refused before it makes handcalc compute without end.

The bound is on this process's CPU time, which a shared machine's other load does not
stretch the way it stretches wall time, and it is generous: the inputs it guards against
would take minutes or forever without their caps, while the work itself takes
milliseconds. How fast handcalc is belongs to the benchmarks (``benchmarks/``)."""

import contextlib
import time
from collections.abc import Iterator

CPU_SECONDS = 10.0


@contextlib.contextmanager
def bounded_cpu(limit: float = CPU_SECONDS) -> Iterator[None]:
    """Fail if the block uses more than ``limit`` seconds of this process's CPU time."""
    start = time.process_time()
    yield
    used = time.process_time() - start
    assert used < limit, f"used {used:.1f} s of CPU (bound {limit} s)"
