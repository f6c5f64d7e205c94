"""The handcalc command line: a thin click layer over the library.

Library errors are typed (handcalc.errors); this module turns them into a one-line
message on stderr and an exit code (2 for bad input). torch is imported only by the
commands that show or write a key and cross-check it (solve, worksheet, verify); new,
show and check never import it.

Every command that prints words takes ``--lang zh|en`` (``lang_option``); without it the
language comes from HANDCALC_LANG or the locale (handcalc.text.messages.resolve_lang). Terminal
text falls back to ASCII where standard output cannot carry Unicode.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import re
import sys
from typing import Any

import click

from handcalc import cli_lang
from handcalc.errors import HandcalcError
from handcalc.text.messages import LANGS, render, resolve_lang, tr

EXIT_CORRECT, EXIT_INCORRECT, EXIT_INVALID = 0, 1, 2
_LANG_KEY = cli_lang.LANG_KEY


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    meta = ctx.find_root().meta
    meta[_LANG_KEY] = resolve_lang(value)
    if value:
        meta[cli_lang.CHOSEN_KEY] = True


def lang_option(f: Any) -> Any:
    """`--lang zh|en`: the language of the words a command prints."""
    return click.option("--lang", type=click.Choice(LANGS), default=None, expose_value=False,
                        is_eager=True, callback=_set_lang,
                        help="Language of the output: zh or en (default: HANDCALC_LANG, "
                             "else the locale, else en).")(f)


def _no_cache(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:  # for this process and the workers it starts
        from handcalc.exercises.confirmed import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"


def no_cache_option(f: Any) -> Any:
    """`--no-cache`: check every key with torch, even one confirmed before
    (handcalc.exercises.confirmed; the environment's HANDCALC_NO_CACHE=1 does the same)."""
    return click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
                        help="Check every key with torch, even those confirmed before "
                             "(also: HANDCALC_NO_CACHE=1).")(f)


def current_lang() -> str:
    """The language chosen for this command (see lang_option)."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.find_root().meta.get(_LANG_KEY) if ctx is not None else None
    return chosen or resolve_lang()


# Chinese words a stream must carry for --lang zh to be read there (GBK, Big5, ... do)
_CJK_PROBE = "练习答案第部分"


def stream_target(err: bool = False) -> str:
    """'unicode', or 'ascii' when the stream's encoding cannot carry our characters. A
    stream that carries Chinese (GBK, Big5) gets 'unicode': the few symbols it lacks are
    written one by one as ASCII (handcalc.io.terminal.FALLBACK), the words stay."""
    from handcalc.io.terminal import can_encode, terminal_target

    encoding = getattr(sys.stderr if err else sys.stdout, "encoding", None)
    target = terminal_target(encoding)
    if target == "ascii" and can_encode(_CJK_PROBE, encoding):
        return "unicode"
    return target


def text_lang() -> str:
    """The language of the words a command prints as text on standard output: the one
    chosen, except that Chinese on a stream that cannot carry it (ASCII, cp1252) falls
    back to English, said once on stderr."""
    from handcalc.io.terminal import can_encode

    lang = current_lang()
    if lang == "zh" and not can_encode(_CJK_PROBE, getattr(sys.stdout, "encoding", None)):
        ctx = click.get_current_context(silent=True)
        meta = ctx.find_root().meta if ctx is not None else {}
        if not meta.get("handcalc.lang_fallback"):
            meta["handcalc.lang_fallback"] = True
            from handcalc.text.messages import tr

            click.echo(tr("notice.lang_fallback", "en", stream_target(err=True),
                          encoding=getattr(sys.stdout, "encoding", None)), err=True)
        return "en"
    return lang


def use_color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def error_text(e: HandcalcError) -> str:
    """An error's one-line message in the chosen language: the option's (or the output's,
    see use_lang), else the language of what the error is about (a spec's ``lang``), else
    the environment's."""
    from handcalc.text.messages import error_message

    ctx = click.get_current_context(silent=True)
    chosen = ctx is not None and ctx.find_root().meta.get(cli_lang.CHOSEN_KEY)
    try:
        lang = current_lang() if chosen or e.lang is None else e.lang
    except HandcalcError:
        lang = "en"
    return error_message(e, lang, stream_target(err=True))


# Commands that live in their own modules, imported only when named (or listed by
# --help): name -> "module:attribute". Each module imports its heavy dependencies
# inside the command function, never at import time.
LAZY_COMMANDS: dict[str, str] = {
    "worksheet": "handcalc.commands.worksheet:worksheet",
    "practice": "handcalc.commands.practice:practice",
    "grade": "handcalc.commands.classgrade:grade",
    "verify": "handcalc.commands.verify:verify",
    "serve": "handcalc.commands.serve:serve",
}


def use_lang(lang: str) -> None:
    """Say this command's errors and notices in `lang` from now on (the language of the
    output it builds: a worksheet's, once its spec is read)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        meta = ctx.find_root().meta
        meta[_LANG_KEY], meta[cli_lang.CHOSEN_KEY] = lang, True


class Command(click.Command):
    """A click command whose usage errors and help are in the chosen language
    (handcalc.cli_lang)."""

    context_class = cli_lang.Context

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return cli_lang.usage_pieces(super().collect_usage_pieces(ctx), self,
                                     cli_lang.context_lang(ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            raise cli_lang.said(e, ctx) from None


class Group(click.Group):
    """A click group that reports HandcalcError as `handcalc: message` and its exit code,
    says click's usage errors and help in the chosen language, and loads the commands of
    LAZY_COMMANDS on demand."""

    context_class = cli_lang.Context
    command_class = Command

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return cli_lang.usage_pieces(super().collect_usage_pieces(ctx), self,
                                     cli_lang.context_lang(ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        cli_lang.peek_lang(ctx, args)  # the whole command line, the command's options too
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            raise cli_lang.said(e, ctx) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attr = LAZY_COMMANDS[name].split(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as e:
                if e.name != module:
                    raise
                return None  # not built yet in this checkout
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HandcalcError as e:
            say_error(error_text(e))
            ctx.exit(e.exit_code)
        except click.UsageError as e:  # an unknown command, or a command's own arguments
            raise cli_lang.said(e, ctx) from None
        except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM / SIGHUP (handcalc.io.procs)
            ctx.exit(interrupted(e))


def say_error(message: str) -> None:
    """One line on stderr: `handcalc: message`, its control characters escaped (stderr
    itself failing is ignored)."""
    from handcalc.io.terminal import safe_text

    try:
        click.echo(f"handcalc: {safe_text(message)}", err=True)
    except OSError:
        pass


def interrupted(e: KeyboardInterrupt) -> int:
    """Say how the command was interrupted, in one line; its exit status (128 + signal)."""
    import signal

    from handcalc.io.procs import after_interrupt, interruption_text, said_interrupted

    after_interrupt()
    signum = getattr(e, "signum", signal.SIGINT)
    say_error(interruption_text(signum))
    said_interrupted()
    return 128 + int(signum)


def emit_json(obj: Any) -> None:
    """One JSON object on stdout; as \\u escapes where the stream cannot carry Unicode."""
    import json

    from handcalc.io.terminal import can_encode

    text = json.dumps(obj, ensure_ascii=False, indent=2)
    if not can_encode(text, getattr(sys.stdout, "encoding", None)):
        text = json.dumps(obj, ensure_ascii=True, indent=2)
    click.echo(text)


def print_exercise(ex: Any, as_json: bool) -> None:
    from handcalc.exercises import quickkeys
    from handcalc.views.render import exercise_dict, exercise_text

    quickkeys.remember(ex)  # for a quick check of its answers

    if as_json:
        emit_json(exercise_dict(ex, lang=current_lang()))
    else:
        click.echo(exercise_text(ex, text_lang(), stream_target()))


def notice_moved(typed: str, ex: Any) -> None:
    """One line on stderr when a typed code's seed is one that generation skips, so that
    the exercise built has another code (attention-3-5 builds attention-3-14)."""
    from handcalc.exercises.exercise import parse_code
    from handcalc.text.messages import msg

    parsed = parse_code(typed)
    if isinstance(parsed, tuple) and parsed[2] != ex.instance.seed:
        note = msg("notice.code_moved", typed=typed.strip().lower(), code=ex.code)
        click.echo(render(note, text_lang(), stream_target(err=True)), err=True)


class ExitNow(SystemExit):
    """The end of a command that has written everything and needs nothing more of its
    process (``raise ExitNow(status)``): its threads and worker processes have ended, and
    nothing is left to the interpreter's teardown (objects' finalizers, unclosed files).
    It is a SystemExit: CliRunner and callers see the status as for ``sys.exit``; ``main``
    then ends the process without that teardown (``exit_now``)."""


def exit_now(status: int) -> None:
    """End the process with ``status`` once standard output and error are flushed and the
    atexit handlers have run, skipping the interpreter's teardown: a process that holds
    torch and sympy's caches (verify's) spends about a second freeing its objects one by
    one, for no one. Returns, without ending anything, when a flush fails (the ordinary
    exit then reports it as before)."""
    import atexit
    import os

    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()  # as at an ordinary exit (multiprocessing's finalizers, ...)
    with contextlib.suppress(OSError, ValueError):  # what the handlers wrote, if they did
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    os._exit(status)


def ends_now(command: Any) -> Any:
    """A short command (new, show, solve, check, families, practice) ends through
    ``ExitNow`` with its status: it writes everything before it returns, and starts no
    thread or worker process, so the interpreter's teardown (about 50 ms of freeing
    sympy's objects one by one) is time a learner waits for nothing. Errors are left as
    they are (the group turns them into a message and an exit status)."""
    import functools

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except ExitNow:
            raise
        except SystemExit as e:
            if not isinstance(e.code, int):
                raise
            raise ExitNow(e.code) from None
        raise ExitNow(0)

    return run


@click.group(cls=Group, context_settings={"help_option_names": ["--help"]})
@click.version_option(package_name="handcalc")
def cli() -> None:
    """Generate, solve and grade hand-calculation exercises on self-attention.

    Every exercise has a code (e.g. causal-2-4821, worked-5) that rebuilds it exactly.
    """


@cli.command()
@click.argument("family", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="JSON: the families and their levels; with FAMILY, its given-data "
                   "description.")
@lang_option
@ends_now
def families(family: str | None, as_json: bool) -> None:
    """List the exercise families and what they ask; with FAMILY, the given data it takes
    for your own exercise (names, shapes, parameters, defaults, parts)."""
    if family is not None:
        from handcalc.views.given_text import description_dict, description_text

        name = family.strip().lower()
        if as_json:
            emit_json(description_dict(name))
        else:
            click.echo(description_text(name, text_lang(), stream_target()))
        return
    if as_json:
        from handcalc.families import FAMILIES

        emit_json([{"family": name, "levels": list(f.levels)} for name, f in FAMILIES.items()])
        return
    from handcalc.views.render import families_text

    click.echo(families_text(text_lang(), stream_target()))


def say_notes(ex: Any) -> None:
    """What given data cannot promise (handcalc.exercises.posed.findings): stderr, one
    line each."""
    from handcalc.exercises.posed import findings

    for note in findings(ex):
        click.echo(render(note, current_lang(), stream_target(err=True)), err=True)


@cli.command()
@click.argument("family", required=False)
@click.option("--level", type=click.IntRange(1, 4), default=1, show_default=True,
              help="1 gentle (2 tokens, small integers) to 3 (more tokens, negatives); "
                   "gqa has a level 4 (multi-query attention).")
@click.option("--seed", type=click.IntRange(0, 10**9 - 1), default=None,
              help="Seed of the random draw (default: a fresh one).")
@click.option("--given", "given", multiple=True, metavar="NAME=MATRIX",
              help='Your own given matrix, typed as answers are: --given Q="1 0; 0 1". '
                   "Repeat for each; `families FAMILY` lists the names.")
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE",
              help="A parameter of your own exercise: --param d_k=2. Repeat for each.")
@click.option("--part", "part", multiple=True, metavar="KEY",
              help="A part to ask (default: the family's parts). Repeat for several.")
@click.option("--size", "size", multiple=True, metavar="NAME=N",
              help="Draw at a size of your own, beyond the levels: --size n=5 --size d=2 "
                   "(`families FAMILY` lists the names). Repeat for each.")
@click.option("--data", "data", default=None, metavar="FILE",
              help="Your own exercise as the JSON `show --json` prints (- for standard "
                   "input): family, given, params, and the keys of parts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@lang_option
@ends_now
def new(family: str | None, level: int, seed: int | None, given: tuple[str, ...],
        param: tuple[str, ...], part: tuple[str, ...], size: tuple[str, ...],
        data: str | None, as_json: bool) -> None:
    """A fresh exercise of FAMILY and its code (`solve CODE` shows its key), or your own
    from --given and --param (or --data FILE), with a code that carries its data."""
    from handcalc.errors import GivenError
    from handcalc.exercises.exercise import generate
    from handcalc.text.messages import msg

    if data is not None:
        if family is not None or given or param or part or size:
            raise GivenError(msg("given.error.data_and_family"))
        from handcalc.exercises.posed import MAX_DATA_BYTES, read_data
        from handcalc.io.fileio import read_input

        raw = read_input(data, MAX_DATA_BYTES)
        ex = read_data(raw.decode("utf-8", errors="replace"))
        print_exercise(ex, as_json)
        say_notes(ex)
        return
    if family is None:
        raise GivenError(msg("given.error.no_family"))
    if size and (given or param or part):
        raise GivenError(msg("given.error.size_and_given"))
    if given or param or part:
        from handcalc.exercises.posed import pose

        ex = pose(family.strip().lower(), _named(given, "given_form"),
                  _named(param, "param_form"), part or None)
        print_exercise(ex, as_json)
        say_notes(ex)
        return
    if seed is None:
        seed = random.SystemRandom().randrange(1000, 100000)
    if size:
        from handcalc.exercises.sized import sized

        sizes: dict[str, Any] = {}
        for name, text in _named(size, "size_form").items():
            if not re.fullmatch(r"[0-9]{1,6}", text.strip(), re.ASCII):
                raise GivenError(msg("given.error.size_form", text=f"{name}={text}"[:24]))
            sizes[name] = int(text)
        print_exercise(sized(family.strip().lower(), sizes, seed), as_json)
        return
    # no torch here: `new` shows no key; solve, worksheet and verify cross-check the keys
    print_exercise(generate(family, level, seed), as_json)


def _named(items: tuple[str, ...], form: str) -> dict[str, str]:
    """NAME=VALUE options as a dict (GivenError for one without '=' or given twice)."""
    from handcalc.errors import GivenError
    from handcalc.exercises.exercise import shown
    from handcalc.text.messages import msg

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise GivenError(msg(f"given.error.{form}", text=shown(item)))
        if name in out:
            raise GivenError(msg("given.error.twice", name=shown(name)))
        out[name] = value
    return out


@cli.command()
@click.argument("code")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (given data, parts, exact and rounded answers).")
@lang_option
@ends_now
def show(code: str, as_json: bool) -> None:
    """The exercise for CODE."""
    from handcalc.exercises.exercise import build

    ex = build(code)
    notice_moved(code, ex)
    print_exercise(ex, as_json)


@cli.command()
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every step.")
@no_cache_option
@lang_option
@ends_now
def solve(code: str, as_json: bool) -> None:
    """The worked solution of CODE, every step, checked against torch (once: a key torch
    has confirmed here is remembered; --no-cache checks it again)."""
    from handcalc.exercises.confirmed import checked
    from handcalc.exercises.exercise import build
    from handcalc.views.render import exercise_dict, solution_text

    ex = build(code)
    notice_moved(code, ex)
    worst = checked(ex)
    if as_json:
        emit_json({**exercise_dict(ex, steps=True, lang=current_lang()),
                   "torch_max_difference": worst})
    else:
        click.echo(solution_text(ex, worst, text_lang(), stream_target()))


def _parse_prior(items: tuple[str, ...]) -> dict[int, Any]:
    from handcalc.core.parse import parse_answer
    from handcalc.errors import ParseError
    from handcalc.exercises.exercise import shown

    prior: dict[int, Any] = {}
    for item in items:
        number, sep, text = item.partition("=")
        number = number.strip()
        if not sep or not re.fullmatch(r"[0-9]{1,6}", number, re.ASCII):
            raise ParseError("--prior takes PART=ANSWER with PART a part number in ASCII "
                             f"digits, e.g. --prior 1=\"1, 3\"; got '{shown(item)}'")
        try:
            prior[int(number)] = parse_answer(text)
        except ParseError as e:
            raise ParseError(f"--prior {number.strip()}: {e}") from None
    return prior


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("code")
@click.argument("part")
@click.argument("answer", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--prior", "prior", multiple=True, metavar="PART=ANSWER",
              help="Your answer to an earlier part, for error-carried-forward grading. "
                   "Repeat for several parts.")
@click.option("--strict", is_flag=True, help="Accept only the exact path.")
@click.option("--scoring", type=click.Choice(["diagnosed", "entries", "part"]),
              default="diagnosed", show_default=True,
              help="How a wrong answer scores in --json: diagnosed (a catalogued mistake "
                   "0, else the share of right entries), entries (the share of right "
                   "entries) or part (0).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@lang_option
@ends_now
def check(code: str, part: str, answer: tuple[str, ...], prior: tuple[str, ...],
          strict: bool, scoring: str, as_json: bool) -> None:
    """Grade ANSWER to PART of exercise CODE, to 2 decimal places.

    ANSWER may be a number (3.54, -1.5, 5/sqrt(2), e/(1+e), -inf), a vector
    (0.20, 0.80) or a matrix ([[2.19, 0.54], [0.81, 1.46]] or 2.19 0.54; 0.81 1.46).
    Quote it in the shell. Exit status: 0 correct, 1 incorrect, 2 invalid input.
    """
    from handcalc.exercises import quickkeys

    ex = None
    if not (prior or strict or as_json):  # a clearly right answer, decided before sympy
        record = quickkeys.lookup(code)
        if record is None:  # a drawn exercise's key from its float screen
            ex = quickkeys.drawn(code)
            record = None if ex is None else quickkeys.record_of(ex)
        number = None if record is None else quickkeys.decide(record, part, " ".join(answer))
        if number is not None:
            if ex is not None:
                quickkeys.remember(ex)
            lang, target = text_lang(), stream_target()
            click.echo(tr("verdict.head", lang, target, code=code, part=number,
                          what=tr("verdict.accepted.exact", lang, target)))
            sys.exit(EXIT_CORRECT)
    from handcalc.core.parse import lines_as_rows, parse_answer
    from handcalc.exercises.exercise import build
    from handcalc.exercises.grade import grade
    from handcalc.views.render import verdict_dict, verdict_text

    ex = ex or build(code)
    notice_moved(code, ex)
    ex.number(part)
    quickkeys.remember(ex)
    typed = None if as_json else quickkeys.plain_answer(" ".join(answer))  # no sympy
    verdict = grade(ex, part, typed or parse_answer(lines_as_rows(" ".join(answer))),
                    prior=_parse_prior(prior),
                    strict=strict)
    if as_json:
        emit_json(verdict_dict(verdict, current_lang(), scoring))
    else:
        click.echo(verdict_text(verdict, text_lang(), stream_target(), use_color()))
    sys.exit(EXIT_CORRECT if verdict.correct else EXIT_INCORRECT)


def main() -> None:
    from handcalc.io.fileio import guard_stdout
    from handcalc.io.procs import install_signal_handlers

    guard_stdout()
    install_signal_handlers()
    try:
        cli(prog_name="handcalc")
    except KeyboardInterrupt as e:  # outside a command (click turns most into exit 1)
        sys.exit(interrupted(e))
    except ExitNow as e:
        if isinstance(e.code, int):
            exit_now(e.code)
        raise
