"""click's own words in the chosen language: its usage errors and its help headings.

click writes its messages ("Missing argument 'PART'.", "Usage:", "Options") with the
process-wide gettext, which follows the locale, not ``--lang``. Here, for a language other
than English, a usage error is said again from what the exception holds (the parameter,
the option, the command) with the catalogue's ``click.*`` messages, and the sentences click
formats itself (a value out of range, an option without its value) are recognised by the
English of the catalogue (the same words as click's) and said in the language. English
stays click's own output, byte for byte.

The language is the root context's (``--lang``, read before click parses the arguments,
so that an error met while parsing follows it too), else HANDCALC_LANG, else the locale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click
from click.exceptions import NoArgsIsHelpError

from handcalc.text.messages import DEFAULT_LANG, LANGS, recognised, render, tr

LANG_KEY = "handcalc.lang"
CHOSEN_KEY = "handcalc.lang.chosen"  # True once an option (or the output built) chose it


def context_lang(ctx: click.Context | None) -> str:
    """The language of a command's words: the one chosen (``--lang``), else the
    environment's; English when the environment names no language handcalc has."""
    from handcalc.errors import HandcalcError
    from handcalc.text.messages import resolve_lang

    chosen = ctx.find_root().meta.get(LANG_KEY) if ctx is not None else None
    if chosen:
        return str(chosen)
    try:
        return resolve_lang()
    except HandcalcError:
        return DEFAULT_LANG


def peek_lang(ctx: click.Context, args: Sequence[str]) -> None:
    """Record the ``--lang`` of a command line before click parses it (an unknown option
    or a missing argument is found before any option's callback runs)."""
    for i, arg in enumerate(args):
        if arg == "--":
            return
        value = None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value is not None and value.strip().lower() in LANGS:
            meta = ctx.find_root().meta
            meta[LANG_KEY], meta[CHOSEN_KEY] = value.strip().lower(), True


# ---------------------------------------------------------------- click's own sentences

def click_words(text: str, lang: str) -> str:
    """A sentence click wrote in English, said in `lang` when the catalogue knows it
    (``click.said.*``; as it is otherwise)."""
    if lang == DEFAULT_LANG:
        return text
    found = recognised(text, "click.said.")
    return text if found is None else render(found, lang, "unicode")


def _hint(e: click.BadParameter) -> str | None:
    hint: Any = e.param_hint
    if hint is None and e.param is not None:
        hint = e.param.get_error_hint(e.ctx)
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    return hint


def _list(items: Iterable[Any], lang: str) -> str:
    return tr("list.sep", lang).join(repr(x) for x in items)


def usage_message(e: click.UsageError, lang: str) -> str:
    """The one line of a usage error in `lang` (click's own for English)."""
    if lang == DEFAULT_LANG:
        return e.format_message()
    if isinstance(e, click.MissingParameter):
        kind = e.param_type or (e.param.param_type_name if e.param is not None else None)
        kind = kind if kind in ("argument", "option") else "parameter"
        text = tr(f"click.missing.{kind}", lang, name=_hint(e) or "")
        if e.param is not None and isinstance(e.param.type, click.Choice):
            text += tr("click.choose_from", lang, choices=_list(e.param.type.choices, lang))
        return text
    if isinstance(e, click.BadParameter):
        hint = _hint(e)
        said = click_words(e.message, lang)
        return (tr("click.bad_value", lang, name=hint, message=said) if hint is not None
                else tr("click.bad_value.bare", lang, message=said))
    if isinstance(e, click.NoSuchOption | click.exceptions.NoSuchCommand):
        what = "option" if isinstance(e, click.NoSuchOption) else "command"
        name = e.option_name if isinstance(e, click.NoSuchOption) else e.command_name
        text = tr(f"click.no_such.{what}", lang, name=repr(name))
        if e.possibilities:
            text += tr("click.did_you_mean", lang, names=_list(sorted(e.possibilities), lang))
        return text
    return click_words(e.message, lang)


class LangUsageError(click.UsageError):
    """A usage error of click said in the chosen language: the usage line, the hint to
    ``--help`` and one line saying what is wrong; exit status 2 as click's."""

    def __init__(self, error: click.UsageError, lang: str,
                 ctx: click.Context | None = None) -> None:
        super().__init__(error.message, error.ctx or ctx)
        self.error = error
        self.lang = lang

    def format_message(self) -> str:
        return usage_message(self.error, self.lang)

    def show(self, file: IO[Any] | None = None) -> None:
        if self.lang == DEFAULT_LANG or self.ctx is None:
            self.error.show(file)
            return
        from click._compat import get_text_stderr

        out = file if file is not None else get_text_stderr()
        hint = ""
        if self.ctx.command.get_help_option(self.ctx) is not None:
            names = self.ctx.command.get_help_option_names(self.ctx)
            hint = tr("click.try_help", self.lang, command=self.ctx.command_path,
                      option=max(names, key=len)) + "\n"
        click.echo(f"{self.ctx.get_usage()}\n{hint}", file=out, color=self.ctx.color)
        click.echo(tr("click.error", self.lang, message=self.format_message()), file=out,
                   color=self.ctx.color)


def said(e: click.UsageError, ctx: click.Context | None) -> click.UsageError:
    """`e` as it is to be shown in the chosen language (the help that a command without
    arguments shows is left as it is: its words are the formatter's)."""
    if isinstance(e, LangUsageError | NoArgsIsHelpError):
        return e
    return LangUsageError(e, context_lang(e.ctx or ctx), ctx)


# ---------------------------------------------------------------- help

class HelpFormatter(click.HelpFormatter):
    """click's help with its own words (Usage, Options, Commands, the help option's text,
    ``[default: 1]``, ``[required]``) in the chosen language."""

    def __init__(self, lang: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lang = lang

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None and self.lang != DEFAULT_LANG:
            prefix = tr("click.usage", self.lang)
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        if self.lang == DEFAULT_LANG:
            super().write_heading(heading)
            return
        self.write(f"{'':>{self.current_indent}}"
                   f"{tr('click.heading', self.lang, name=click_words(heading, self.lang))}\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        if self.lang != DEFAULT_LANG:
            rows = [(term, _help_text(text, self.lang)) for term, text in rows]
        super().write_dl(rows, col_max, col_spacing)


_EXTRA = re.compile(r"(?P<help>.*?)(?:  )?\[(?P<extra>[^\[\]]*)\]", re.S)


def _help_text(text: str, lang: str) -> str:
    """An option's help in `lang`: click's own sentence and its ``[default: ...]``."""
    m = _EXTRA.fullmatch(text)
    body, extra = (m.group("help"), m.group("extra")) if m else (text, None)
    body = click_words(body, lang)
    if extra is None:
        return body
    items = tr("list.sep", lang).join(click_words(item, lang) for item in extra.split("; "))
    return f"{body}  [{items}]" if body else f"[{items}]"


class Context(click.Context):
    """A click context whose help and usage lines are in the chosen language."""

    def make_formatter(self) -> click.HelpFormatter:
        return HelpFormatter(context_lang(self), width=self.terminal_width,
                             max_width=self.max_content_width)


def usage_pieces(pieces: list[str], command: click.Command, lang: str) -> list[str]:
    """The usage line's ``[OPTIONS]`` and ``COMMAND [ARGS]...`` in `lang`."""
    if lang == DEFAULT_LANG:
        return pieces
    words = {command.options_metavar: "click.metavar.options",
             getattr(command, "subcommand_metavar", None): "click.metavar.command"}
    return [tr(words[p], lang) if words.get(p) else p for p in pieces]

