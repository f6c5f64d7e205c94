"""Text from files (a spec's values, a file's name) as it may reach a terminal.

``safe_text`` shows every control character escaped, so that a spec or a file name cannot
move the cursor, recolour the terminal, clear the screen, hide text (ESC sequences, C1
controls such as CSI U+009B, bidirectional overrides) or break a one-line message in two.
"""

from __future__ import annotations

import re

# C0 (with tab and newline), DEL, C1; line and paragraph separators; bidirectional
# embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def safe_text(text: object) -> str:
    """`text` as str with its control characters shown as escapes (``\\x1b``, ``\\n``,
    ``\\u202e``); other characters, including every printable non-ASCII one, unchanged."""
    return _CONTROL.sub(_escape, str(text))
