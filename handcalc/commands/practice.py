"""`handcalc practice [FAMILY ...]`: an interactive drill in the terminal (handcalc.views.practice).

Reads answers a line at a time (at most practice.MAX_LINE characters are kept), so it
works with piped input too; end of input, a closed standard input or Ctrl-C ends the
session cleanly with the summary so far (exit 0).
"""

from __future__ import annotations

import contextlib
import sys

import click

from handcalc.cli import Command, ends_now, lang_option, stream_target, text_lang


@click.command(cls=Command)
@click.argument("families", nargs=-1, metavar="[FAMILY ...]")
@click.option("--level", type=click.IntRange(1, 4), default=1, show_default=True,
              help="1 gentle (2 tokens, small integers) to 3; gqa has a level 4 (MQA).")
@click.option("--count", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Number of exercises.")
@click.option("--seed", type=click.IntRange(0, 10**9 - 1), default=None,
              help="Seed of the session (default: a fresh one); the same seed gives the "
                   "same exercises.")
@click.option("--code", "codes", multiple=True, metavar="CODE",
              help="Drill this exercise (any code: causal-2-4821, worked-5, or your own "
                   "from `new FAMILY --given ...`). Repeat for several; no FAMILY then.")
@lang_option
@ends_now
def practice(families: tuple[str, ...], level: int, count: int, seed: int | None,
             codes: tuple[str, ...]) -> None:
    """Drill exercises of FAMILY ... (default: every family) in the terminal.

    Each part is asked in turn and graded at once, with a diagnosis of known mistakes;
    you have three tries a part, then its worked solution is shown. Earlier answers
    carry forward. Type 'help' or '?' for the answer syntax, 'show' to see the exercise
    again, 'skip' to give up a part, 'quit' or Ctrl-D to stop.
    """
    import random

    from handcalc.text.messages import tr
    from handcalc.views.practice import (
        MAX_LINE,
        Drill,
        drill_families,
        help_text,
        read_line,
        run,
        session_exercises,
    )
    from handcalc.views.render import terminal_width, wrap

    if codes and families:
        from handcalc.errors import GivenError
        from handcalc.text.messages import msg

        raise GivenError(msg("given.error.codes_and_families"))
    from handcalc.exercises.exercise import build

    chosen = [build(c) for c in codes]  # a bad code: its one line before the drill starts
    count = len(chosen) or count
    names = drill_families(families, level)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 10**6)
    lang, target = text_lang(), stream_target()
    click.echo(wrap(tr("practice.start", lang, target, count=count, level=level, seed=seed),
                    terminal_width()))
    click.echo(help_text(lang, target))

    if sys.stdin is not None and hasattr(sys.stdin, "reconfigure"):
        with contextlib.suppress(ValueError, OSError):  # bytes that are not text: U+FFFD
            sys.stdin.reconfigure(errors="replace")

    def ask(prompt: str) -> str:
        """The typed line; EOFError at the end of input, KeyboardInterrupt on Ctrl-C."""
        while True:
            click.echo(f"{prompt}: ", nl=False)
            text, cut = read_line(sys.stdin)
            if not cut:
                return text
            click.echo(tr("practice.line_cut", lang, target, limit=MAX_LINE))

    try:
        drill = Drill(iter(chosen) if chosen else session_exercises(names, level, count, seed))
    except KeyboardInterrupt:  # Ctrl-C while the first exercise is made
        drill = Drill(())
    run(drill, ask, click.echo, lang, target)
