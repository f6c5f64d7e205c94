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

import re

__all__ = ["UNSAFE", "safe_text"]

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
