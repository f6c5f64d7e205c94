"""The words of the class workflow (feedback, the report PDF): message ids ``classflow.*`` in
``handcalc/locale/<lang>/classflow.po``, rendered for a target (``typst``, ``markdown``,
``unicode``).

With the text model (``handcalc.text``) present, ``say`` and ``show`` are its ``tr`` and
``render``, and the words of the rest of handcalc (exercise titles, mistakes, diagnoses,
step labels: a Msg or Math there) render in the same language. Without it, this module
reads the classflow catalogue itself (the same .po format, no inline math in it) and shows
handcalc's own texts, plain strings then, escaped for the target. The choice is made here
only, once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

try:  # the text model (merged on main); absent on older bases
    from handcalc import text as _text
except ImportError:  # pragma: no cover - depends on the branch
    _text = None  # type: ignore[assignment]

LANGS = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~])")


def resolve_lang(option: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """--lang, else HANDCALC_LANG, else the locale (a value starting with zh), else en."""
    if _text is not None:
        return str(_text.resolve_lang(option, env))
    from handcalc.errors import HandcalcError

    env = os.environ if env is None else env
    value = option or env.get("HANDCALC_LANG", "").strip()
    if value:
        v = value.strip().lower()
        if v.startswith("zh"):
            return "zh"
        if v.startswith("en") or v in ("c", "posix"):
            return "en"
        raise HandcalcError(f"unknown language '{value[:20]}'; choose one of: en, zh")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = env.get(var, "").strip()
        if v:
            return "zh" if v.lower().startswith("zh") else "en"
    return "en"


def escape(text: str, target: str) -> str:
    """Plain text written for `target`: a Typst string literal, escaped Markdown, or as is."""
    if target == "typst":
        from handcalc.typeset import tstr

        return f"#{tstr(text)}" if text else ""
    if target == "markdown":
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() and text.strip() else ""
        body = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
        body = re.sub(r"^(\d+)([.)])", r"\1\\\2", body)
        body = re.sub(r"^([-+=])", r"\\\1", body)
        return lead + body + trail if text.strip() else (" " if text else "")
    return text


@cache
def _catalogue(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / lang / "classflow.po"
    out: dict[str, str] = {}
    msgid: str | None = None
    field = ""
    for line in path.read_text("utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("msgid "):
            msgid, field = _unquote(s[6:]), "id"
        elif s.startswith("msgstr "):
            field = "str"
            if msgid:
                out[msgid] = _unquote(s[7:])
        elif s.startswith('"') and msgid is not None:
            if field == "id":
                msgid += _unquote(s)
            elif msgid:
                out[msgid] += _unquote(s)
    return out


def _unquote(s: str) -> str:
    body = s.strip()[1:-1]
    return re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), body)


def say(id: str, lang: str, target: str = "unicode", **args: Any) -> str:
    """Message `id` of the classflow catalogue in `lang`, for `target`; arguments are text.
    (Remembered: feedback for a class says the same few things many times.)"""
    try:
        return _said(id, lang, target, tuple(sorted(args.items())))
    except TypeError:  # an argument that cannot be a key
        return _say(id, lang, target, **args)


@lru_cache(maxsize=65536)
def _said(id: str, lang: str, target: str, args: tuple[tuple[str, Any], ...]) -> str:
    return _say(id, lang, target, **dict(args))


def _say(id: str, lang: str, target: str, **args: Any) -> str:
    if _text is not None:
        return str(_text.tr(id, lang, target, **args))
    template = _catalogue(lang).get(id) or _catalogue("en")[id]
    out = []
    for m in re.finditer(r"\{(\w+)\}|([^{]+|\{)", template):
        name, words = m.groups()
        out.append(show(args[name], lang, target) if name else escape(words, target))
    return "".join(out)


def show(value: Any, lang: str, target: str = "unicode") -> str:
    """A text of handcalc's (a title, a mistake, a diagnosis, a step's label): a plain string
    is escaped for the target; a Msg or Math of the text model is rendered."""
    if isinstance(value, str | int) or _text is None:
        return escape(str(value), target)
    return str(_text.render(value, lang, target))
