"""`handcalc serve [FAMILY ...]`: the practice drill in a browser (handcalc.web).

Listens on 127.0.0.1 (this computer only) unless ``--host`` says otherwise, which prints
one warning line; prints the URL and serves until Ctrl-C. Exercises come from a spec, codes
or families (every family when none of them is given), as in ``practice``.
"""

from __future__ import annotations

import click

from handcalc.cli import Command, current_lang, lang_option, say_error, stream_target

DEFAULT_PORT = 8765


@click.command(cls=Command)
@click.argument("families", nargs=-1, metavar="[FAMILY ...]")
@click.option("--level", type=click.IntRange(1, 4), default=1, show_default=True,
              help="1 gentle (2 tokens, small integers) to 3; gqa has a level 4 (MQA).")
@click.option("--count", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Number of exercises drawn from the families.")
@click.option("--spec", default=None, metavar="SPEC", help="Drill the exercises of a worksheet "
              "spec (its first version).")
@click.option("--code", "codes", multiple=True, metavar="CODE",
              help="Drill this exercise (repeat for several).")
@click.option("--seed", type=click.IntRange(0, 10**9 - 1), default=None,
              help="Seed of the exercises drawn (default: a fresh one per session).")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but the loopback lets other computers in.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
@lang_option
def serve(families: tuple[str, ...], level: int, count: int, spec: str | None,
          codes: tuple[str, ...], seed: int | None, port: int, host: str,
          open_browser: bool) -> None:
    """The drill in a browser: exercises with typeset math, answers in a grid of boxes,
    three tries a part, the worked solution, a summary. Ctrl-C stops the server."""
    from handcalc.errors import HandcalcError
    from handcalc.text.messages import msg, render, tr
    from handcalc.web.server import is_loopback, start
    from handcalc.web.session import Sessions
    from handcalc.web.sources import exercise_source

    source = exercise_source(families, level, count, spec, codes, seed)
    lang = current_lang()  # the page's first language; the learner can switch on the page
    sessions = Sessions(source, lang)
    try:
        running = start(sessions, host, port)
    except OSError as e:
        raise HandcalcError(msg("serve.cannot_listen", host=host, port=port,
                                why=e.strerror or str(e))) from None
    target = stream_target()
    if is_loopback(host):
        click.echo(tr("serve.listening", lang, target, url=running.url, host=host))
    else:
        say_error(render(msg("serve.warning_host", host=host), lang, stream_target(err=True)))
        click.echo(tr("serve.listening_network", lang, target, url=running.url))
    if open_browser:
        import webbrowser

        webbrowser.open(running.url)
    try:
        running.run()
    except KeyboardInterrupt:
        running.close()
        click.echo(tr("serve.stopped", lang, target))

