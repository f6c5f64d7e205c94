"""`handcalc verify`: many generated exercises recomputed by torch (see handcalc.exercises.verify).

Prints a table per family (instances, parts, largest difference, failures) and exits 0
when every exercise passes, 1 when any fails (listing the codes), 2 for bad options.
A progress bar goes to stderr, and only when stderr is a terminal. torch is imported
inside the command only.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator

import click

from handcalc.cli import Command, ExitNow, lang_option, stream_target, text_lang

# sympy keeps 1000 results per cached function by default; verify builds the same
# products and sums again for each catalogued mistake, and 20000 (a few MB) saves about a
# tenth of its sympy time. An explicit SYMPY_CACHE_SIZE in the environment is kept.
SYMPY_CACHE_SIZE = "20000"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The garbage collector off for a while: sympy's import and the families' make
    hundreds of thousands of objects that all live on, and the collector's passes over
    them cost a tenth of the import, before the workers can start."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@click.command(cls=Command)
@click.option("--count", type=click.IntRange(1, 1_000_000), default=100, show_default=True,
              help="Exercises to draw in all, spread evenly over families and levels.")
@click.option("--seed", type=click.IntRange(0, 10**9 - 1), default=0, show_default=True,
              help="Seed from which every exercise's seed is derived.")
@click.option("--family", "family", default=None, metavar="FAMILY",
              help="Only this family (see `handcalc families`).")
@lang_option
def verify(count: int, seed: int, family: str | None) -> None:
    """Recompute random exercises with torch and check their rounding margins.

    Every part of every drawn exercise is solved exactly (sympy) and recomputed with
    torch in float64; they must agree within 1e-9. No exact answer may lie within 0.0005
    of a rounding boundary, and from level 2 on every catalogued mistake that changes
    an answer must change its 2-decimal form. Exit status: 0 all pass, 1 any failure,
    2 bad options.
    """
    if "sympy" not in sys.modules:  # sympy sizes its cache when it is first imported
        os.environ.setdefault("SYMPY_CACHE_SIZE", SYMPY_CACHE_SIZE)
    with _gc_paused():
        from handcalc.exercises import verify as lib
        from handcalc.families import get_family

    families = None
    if family is not None:
        families = [get_family(family.strip().lower()).name]  # UnknownCode -> exit 2
    tasks = lib.plan(count, seed, families)  # validates before torch is imported
    del tasks
    if sys.stderr.isatty():
        with click.progressbar(length=count, label="verifying", file=sys.stderr) as bar:
            report = lib.verify(count, seed, families, progress=lambda _o: bar.update(1))
    else:
        report = lib.verify(count, seed, families)
    from handcalc.text.messages import tr

    lang = text_lang()
    click.echo(lib.report_text(report, lang, stream_target()))
    if not report.ok:
        click.echo("handcalc: " + tr("verify.failed.codes", lang, stream_target(err=True),
                                     failed=len(report.failures),
                                     codes=", ".join(f.code for f in report.failures)),
                   err=True)
    # everything is written (click.echo flushes; a failed write raised above): the
    # process, holding torch and sympy's caches, ends without its teardown (cli.ExitNow)
    raise ExitNow(0 if report.ok else 1)
