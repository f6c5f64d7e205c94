"""The words of the class workflow (feedback, the report PDF): message ids ``classflow.*`` in
``handcalc/text/locale/<lang>/classflow.po``, rendered through the text model
(handcalc.text.messages) for a target (``typst``, ``markdown``, ``unicode``); handcalc's own
texts (exercise titles, mistakes, diagnoses, step labels: a Msg or Math) render in the same
language.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from handcalc.text import messages as _text
from handcalc.text.messages import resolve_lang

__all__ = ["escape", "resolve_lang", "say", "show"]


def escape(text: str, target: str) -> str:
    """Plain text written for `target`: a Typst string literal, escaped Markdown, or as is."""
    return _text.render(text, "en", target)


def say(id: str, lang: str, target: str = "unicode", **args: Any) -> str:
    """Message `id` in `lang`, for `target`. (Remembered: feedback for a class says the
    same few things many times.)"""
    try:
        return _said(id, lang, target, tuple(sorted(args.items())))
    except TypeError:  # an argument that cannot be a key
        return _text.tr(id, lang, target, **args)


@lru_cache(maxsize=65536)
def _said(id: str, lang: str, target: str, args: tuple[tuple[str, Any], ...]) -> str:
    return _text.tr(id, lang, target, **dict(args))


def show(value: Any, lang: str, target: str = "unicode") -> str:
    """A text of handcalc's (a title, a mistake, a diagnosis, a step's label), or a plain
    string escaped for the target."""
    return _text.render(value if isinstance(value, _text.RENDERED) else str(value), lang,
                        target)
