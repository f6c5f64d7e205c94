"""Text from files (a spec's values, a submission's names and answers, a file's name) as
it may reach a person: every control character shown escaped, never sent raw.

A name may hold an escape sequence (OSC 52 ``\\x1b]52;c;...\\x07`` writes the clipboard of
the teacher's terminal), a C1 control (``\\x9b`` is CSI on some terminals), a
bidirectional override that reorders what is shown, or a line break that forges a second
message line. ``safe_text`` shows each as an escape (``\\x1b``, ``\\x9b``, ``\\u202e``,
``\\x0a``) and keeps everything else, so that messages stay one line and terminals only
print.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["FALLBACK", "UNSAFE", "can_encode", "json_ascii", "safe_text"]

# C0 (every one, tab and line breaks included), DEL, C1, the line and paragraph
# separators, the bidirectional embeddings, overrides and isolates, and lone surrogates
# (undecodable bytes of a file name)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                    "\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: object) -> str:
    """`text` as str with its control characters shown as escapes: ``safe_text("a\\x1b[2J")``
    is ``'a\\\\x1b[2J'``; printable text (any script) is unchanged."""
    return UNSAFE.sub(_escape, str(text))


# ---------------------------------------------------------------- streams that are not Unicode

# What a character a stream's encoding cannot carry is written as, one character at a time
# (a GBK terminal keeps its Chinese words and loses only the symbols it lacks); anything
# not listed is written as ``?``
FALLBACK: dict[str, str] = {
    "\u2212": "-", "\u00b7": ".", "\u00d7": "x", "\u221e": "inf", "\u2264": "<=",
    "\u2265": ">=", "\u2016": "||", "\u221a": "sqrt", "\u2248": "~", "\u2192": "->",
    "\u2260": "!=", "\u2032": "'", "\u2026": "...", "\u2713": "v", "\u2717": "x",
    "\u1d40": "T", "\u23a1": "[", "\u23a2": "[", "\u23a3": "[", "\u23a4": "]",
    "\u23a5": "]", "\u23a6": "]", "\u2014": "-", "\u2013": "-", "\u2018": "'",
    "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u2009": " ",
    **dict(zip("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a"
               "\u207b\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089",
               "0123456789+-0123456789", strict=True)),
}
FALLBACK_ERRORS = "handcalc.fallback"


def _fallback(e: UnicodeError) -> tuple[str, int]:
    assert isinstance(e, UnicodeEncodeError)
    text = "".join(FALLBACK.get(c, "?") for c in e.object[e.start:e.end])
    try:
        text.encode(e.encoding)
    except (LookupError, UnicodeError):
        text = text.encode("ascii", "replace").decode("ascii")
    return text, e.end


codecs.register_error(FALLBACK_ERRORS, _fallback)


def can_encode(text: str, encoding: str | None) -> bool:
    """Whether a stream in `encoding` can carry every character of `text`."""
    try:
        text.encode(encoding or "ascii")
    except (LookupError, UnicodeError):
        return False
    return True


_NON_ASCII = re.compile("[^\x00-\x7f]")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_ascii(text: str) -> str:
    """JSON text with every non-ASCII character as a ``\\u`` escape (a surrogate pair
    beyond U+FFFF): the same JSON for a stream that cannot carry Unicode. Outside its
    strings JSON is ASCII, so every such character is inside a string."""
    return _NON_ASCII.sub(_json_escape, text)


_UNICODE_PROBE = "√ᵀ⎡⎢⎣⎤⎥⎦✓✗−∞·×≤‖"  # what terminal text prints beyond ASCII


def terminal_target(encoding: str | None) -> str:
    """'unicode' when text in `encoding` can carry the characters we print, else 'ascii'."""
    try:
        _UNICODE_PROBE.encode(encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return "ascii"
    return "unicode"
