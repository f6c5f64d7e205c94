"""The text model: every word a person reads, once per language, with typeset math.

Code never holds a sentence. It names a message by id and hands it arguments::

    msg("attention.statement", n=3, d_k=2)        # a Msg: data, rendered later

The sentences live in gettext catalogues, ``handcalc/text/locale/<lang>/*.po`` (one file per
domain: ui, errors, mistakes, one per family), with the id as ``msgid`` and the text as
``msgstr``. A text holds ``{name}`` placeholders and inline math between ``$...$`` in the
neutral notation of handcalc.text.mathtext, e.g. ``"scores $S = (Q K^T) / sqrt({d_k})$"``.

``render(text, lang, target)`` writes a Msg (or Math, ListOf, plain str) for one output:

* ``typst``: Typst markup (words as string literals, math as Typst math);
* ``markdown``: Markdown with LaTeX math between ``$``, words escaped;
* ``latex``: plain words with LaTeX math between ``\\(`` and ``\\)`` (Moodle);
* ``unicode`` and ``ascii``: plain text for terminals and JSON;
* ``html``: HTML, words escaped, math as MathML ``<math>`` elements (web page, notebooks).

Arguments: a Msg, Math or ListOf renders in place, a Raw (a renderer's own markup) is
inserted as it is; any other value is text (escaped for the target) in words and is
written as it is inside math (families pass numbers there).
Language: ``--lang`` > ``HANDCALC_LANG`` > the locale (LC_ALL, LC_MESSAGES, LANG starting
with ``zh``) > English; see ``resolve_lang``.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from handcalc.text import mathtext
from handcalc.text.markup import mdtext, tstr

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
TARGETS = ("typst", "markdown", "latex", "unicode", "ascii", "html")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@dataclass(frozen=True)
class Msg:
    """A message by id with its arguments (name, value) pairs; rendered per language."""

    id: str
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def __str__(self) -> str:  # messages of exceptions, logs: English, plain
        return render(self, DEFAULT_LANG, "unicode")


@dataclass(frozen=True)
class Math:
    """A formula in the neutral notation (handcalc.text.mathtext), the same in every language."""

    src: str

    def __str__(self) -> str:
        return render(self, DEFAULT_LANG, "unicode")


@dataclass(frozen=True)
class Raw:
    """Markup that a renderer writes itself (a Typst page counter), inserted as it is.
    Never for text from a user or a file."""

    markup: str


@dataclass(frozen=True)
class Inline:
    """Text that someone wrote (a spec's title or instructions) with inline math between
    ``$...$`` in the neutral notation; ``\\$`` is a dollar sign. No placeholders."""

    text: str

    def pieces(self) -> list[tuple[bool, str]]:
        """(is_math, text) pieces; MathSyntaxError for math that does not parse."""
        out: list[tuple[bool, str]] = []
        for m in _INLINE.finditer(self.text):
            if m.group(1) is not None:
                mathtext.parse(m.group(1))
                out.append((True, m.group(1)))
            else:
                out.append((False, m.group(2).replace("\\$", "$")))
        return out

    def __str__(self) -> str:
        return render(self, DEFAULT_LANG, "unicode")


_INLINE = re.compile(r"\$((?:[^$\\]|\\.)*)\$|((?:[^$\\]|\\.|\\)+)")


@dataclass(frozen=True)
class ListOf:
    """Items joined as a list reads in the language: '1, 2 and 3' / '1、2 和 3'."""

    items: tuple[Any, ...]


Text = Msg | Math | ListOf | Inline | str


RENDERED = (Msg, Math, ListOf, Inline)  # argument types rendered in place


def msg(id: str, **args: Any) -> Msg:
    return Msg(id, tuple(args.items()))


# ---------------------------------------------------------------- catalogues

_PO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# A message with plural forms (gettext's msgid_plural, msgstr[0], msgstr[1] ...) is held as
# its forms joined by PLURAL_SEP; render picks one by the message's `n` (PLURAL: the form
# for a number, per language, as the catalogue's Plural-Forms header says).
PLURAL_SEP = "\x1f"
PLURAL = {"en": lambda n: 0 if n == 1 else 1, "zh": lambda n: 0}
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


_ESCAPE = re.compile(r"\\(.)")


def _unquote(line: str, where: str) -> str:
    m = _PO_STRING.fullmatch(line.strip())
    if not m:
        raise ValueError(f"{where}: expected a quoted string, got {line.strip()!r}")
    text = m.group(1)
    if "\\" not in text:  # most strings: nothing to unescape (every command reads them all)
        return text
    return _ESCAPE.sub(lambda e: _ESCAPES.get(e.group(1), "\\" + e.group(1)), text)


def read_po(text: str, name: str = "<po>") -> dict[str, str]:
    """The msgid -> msgstr pairs of a .po file (comments, flags and the header skipped)."""
    out: dict[str, str] = {}
    field, msgid, msgstr = "", None, None

    def flush() -> None:
        if msgid:  # the header has an empty msgid
            if msgid in out:
                raise ValueError(f"{name}: message {msgid!r} given twice")
            out[msgid] = msgstr or ""

    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        where = f"{name}:{n}"
        if not s or s.startswith("#"):
            continue
        if s.startswith("msgid "):
            flush()
            field, msgid, msgstr = "id", _unquote(s[6:], where), None
        elif s.startswith("msgid_plural "):
            field = "plural"  # the English plural id: the forms are in msgstr[n]
        elif s.startswith("msgstr["):
            index, _, rest = s[7:].partition("]")
            form = _unquote(rest, where)
            if index != str(0 if msgstr is None else msgstr.count(PLURAL_SEP) + 1):
                raise ValueError(f"{where}: plural forms out of order")
            field, msgstr = "str", form if msgstr is None else msgstr + PLURAL_SEP + form
        elif s.startswith("msgstr "):
            field, msgstr = "str", _unquote(s[7:], where)
        elif s.startswith('"'):
            if field == "id" and msgid is not None:
                msgid += _unquote(s, where)
            elif field == "str" and msgstr is not None:
                msgstr += _unquote(s, where)
            else:
                raise ValueError(f"{where}: a continued string outside a message")
        else:
            raise ValueError(f"{where}: cannot read {s!r}")
    flush()
    return out


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """Every message of a language, from all its .po files."""
    out: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        for key, value in read_po(path.read_text("utf-8"), f"{lang}/{path.name}").items():
            if key in out:
                raise ValueError(f"{lang}/{path.name}: message {key!r} also in another file")
            out[key] = value
    return out


def template(id: str, lang: str) -> str:
    """The text of message `id` in `lang` (English when the language lacks it)."""
    found = catalogue(lang).get(id)
    if found:
        return found
    found = catalogue(DEFAULT_LANG).get(id)
    if found is None:
        raise KeyError(f"no message {id!r}")
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


# ---------------------------------------------------------------- choosing the language

def resolve_lang(option: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """--lang, else HANDCALC_LANG, else the locale (a value starting with zh), else en."""
    if option:
        return _lang_name(option)
    env = os.environ if env is None else env
    chosen = env.get("HANDCALC_LANG", "").strip()
    if chosen:
        return _lang_name(chosen)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "").strip()
        if value:  # the first one set decides, as for gettext
            return "zh" if value.lower().startswith("zh") else DEFAULT_LANG
    return DEFAULT_LANG


def _lang_name(value: str) -> str:
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh"):
        return "zh"
    if v.startswith("en") or v in ("c", "posix"):
        return "en"
    from handcalc.errors import HandcalcError

    raise HandcalcError(f"unknown language '{value[:20]}'; choose one of: {', '.join(LANGS)}")


# ---------------------------------------------------------------- rendering

_PIECE = re.compile(r"\$([^$]*)\$|\{(\w+)\}|([^${]+|[{])")


def _escape(text: str, target: str) -> str:
    if target == "typst":
        return f"#{tstr(text)}" if text else ""
    if target == "markdown":
        return mdtext_inline(text, mdtext)
    if target == "latex":
        return _mathjax_inert(text.replace("&", "&amp;").replace("<", "&lt;")
                              .replace(">", "&gt;"))
    if target == "ascii":  # a shape's × reads as x where only ASCII can be shown
        return text.replace("\u00d7", "x").encode("ascii", "replace").decode("ascii")
    if target == "html":
        return html.escape(text, quote=True)
    return text


def _mathjax_inert(text: str) -> str:
    """Words that MathJax leaves as words: each delimiter it would typeset (``\\(``,
    ``\\[``, ``$$``) broken by a space."""
    return text.replace("\\(", "\\ (").replace("\\[", "\\ [").replace("$$", "$ $")


def mdtext_inline(text: str, mdtext: Any) -> str:
    """Markdown-escaped text that keeps its leading and trailing spaces."""
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() and text.strip() else ""
    return lead + mdtext(text) + trail if text.strip() else (" " if text else "")


def math(src: str, target: str) -> str:
    """Neutral math as it appears inline in `target`."""
    if target == "typst":
        return f"${mathtext.to_target(src, 'typst')}$"
    if target == "markdown":
        return f"${mathtext.to_target(src, 'latex')}$"
    if target == "latex":
        return f"\\({mathtext.to_target(src, 'latex')}\\)"
    if target == "html":
        return mathtext.mathml(src)
    return mathtext.to_target(src, target)


def _math_arg(value: Any) -> str:
    if isinstance(value, Math):
        return value.src
    if isinstance(value, bool) or not isinstance(value, int | str | Fraction) and not hasattr(
            value, "is_number"):
        raise TypeError(f"cannot put {value!r} in math")
    return str(value)


def render(text: Text, lang: str, target: str) -> str:
    """`text` in `lang`, written for `target` (see the module's docstring)."""
    if target not in TARGETS:
        raise ValueError(target)
    if isinstance(text, Math):
        return math(text.src, target)
    if isinstance(text, Inline):
        return "".join(math(t, target) if is_math else _escape(t, target)
                       for is_math, t in text.pieces())
    if isinstance(text, ListOf):
        items = [render(x, lang, target) if isinstance(x, RENDERED)
                 else _escape(str(x), target) for x in text.items]
        if len(items) < 2:
            return "".join(items)
        sep = _escape(template("list.sep", lang), target)
        last = _escape(template("list.last", lang), target)
        return sep.join(items[:-1]) + last + items[-1]
    if not isinstance(text, Msg):
        return _escape(str(text), target)
    args = text.kwargs
    out = []
    for m in _PIECE.finditer(plural_form(template(text.id, lang), lang, args.get("n"))):
        src, name, words = m.groups()
        if src is not None:
            filled = re.sub(r"\{(\w+)\}", lambda p: _math_arg(args[p.group(1)]), src)
            out.append(math(filled, target))
        elif name is not None:
            value = args[name]
            if isinstance(value, Raw):
                out.append(value.markup)
            else:
                out.append(render(value, lang, target) if isinstance(value, RENDERED)
                           else _escape(str(value), target))
        else:
            out.append(_escape(words, target))
    return "".join(out)


def plural_form(text: str, lang: str, n: Any) -> str:
    """The form of a message with plural forms for the number `n` in `lang` (the text as
    it is when it has one form)."""
    if PLURAL_SEP not in text:
        return text
    forms = text.split(PLURAL_SEP)
    return forms[min(PLURAL[lang](int(n)), len(forms) - 1)]


def tr(id: str, lang: str, target: str = "unicode", **args: Any) -> str:
    """Shorthand: render(msg(id, **args), lang, target)."""
    return render(msg(id, **args), lang, target)


def all_ids(langs: Iterable[str] = LANGS) -> set[str]:
    return set().union(*(catalogue(lang) for lang in langs))


def error_text(e: BaseException) -> Text:
    """An error's message as text to render later: its Msg (a parse error's position
    after it), else its English text."""
    position = getattr(e, "position", None)
    what = getattr(e, "text", None) if hasattr(e, "position") else (e.args[0] if e.args
                                                                     else None)
    if not isinstance(what, Msg):
        return str(e)
    if position is None:
        return what
    return msg("error.with_position", text=what, at=msg("error.at_char", n=position + 1))


@cache
def _sentences(prefix: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(the English of each message whose id starts with `prefix`, as a pattern whose
    groups are its placeholders; its id), the most specific (most literal text) first."""
    out = []
    for key, text in catalogue(DEFAULT_LANG).items():
        if key.startswith(prefix):
            pattern = "".join(f"(?P<{m.group(1)}>.+?)" if m.group(1) else re.escape(m.group(2))
                              for m in re.finditer(r"\{(\w+)\}|([^{]+|\{)", text))
            out.append((len(re.sub(r"\{\w+\}", "", text)), re.compile(pattern, re.S), key))
    out.sort(key=lambda t: -t[0])
    return tuple((p, k) for _, p, k in out)


def recognised(text: str, prefix: str) -> Msg | None:
    """A sentence another library wrote in English (click, tomllib) as the message of the
    catalogue whose English it is (ids starting with `prefix`), its placeholders filled
    with what the sentence holds; None when no message is that sentence."""
    for pattern, key in _sentences(prefix):
        m = pattern.fullmatch(text)
        if m:
            return msg(key, **m.groupdict())
    return None


def error_message(e: BaseException, lang: str, target: str = "unicode") -> str:
    """An error's one-line message in `lang`: its Msg rendered, else its text; a parse
    error's position (``position``, 0-based, beside its ``message``) follows in `lang`."""
    position = getattr(e, "position", None)
    what = getattr(e, "text", None) if hasattr(e, "position") else None
    if what is None:
        what = e.args[0] if e.args else ""
        if not isinstance(what, Msg):
            return str(e)
    text = render(what, lang, target) if isinstance(what, Msg) else str(what)
    if position is not None:
        text += tr("error.at_char", lang, target, n=position + 1)
    return text
