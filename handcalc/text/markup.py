"""Escaping text for the markup languages handcalc writes: Typst and Markdown.

Text from a spec, a submission or the message catalogue enters markup only through these
functions, so that no character of it is read as markup.
"""

from __future__ import annotations

import re


def tstr(text: str) -> str:
    """A Typst string literal holding `text` exactly."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# & too: "&lt;b&gt;" typed by a learner stays those characters, never an entity's <b>
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~&])")


def mdtext(text: str) -> str:
    """Plain text as Markdown: every character that could be markup escaped."""
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    return re.sub(r"^([-+=])", r"\\\1", text)


_MD_DATA = re.compile(r"([\\`*_\[\]|~])")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_data(text: str) -> str:
    """Text from a file (a learner's name, a code, a reason quoting an answer) in Markdown,
    a table cell included: HTML as entities and Markdown backslash-escaped. The caller
    escapes control characters first (handcalc.io.terminal.safe_text)."""
    return _MD_DATA.sub(r"\\\1", text.translate(_HTML))
