"""How typed answer text is read into rows, before any number in it is: the one reading
that the exact parser (handcalc.core.parse) and check's quick path
(handcalc.exercises.quickkeys) share. It imports nothing, for the quick path's sake."""

from __future__ import annotations


def lines_as_rows(text: str) -> str:
    """An answer typed on several lines, as its text means it: the lines are the rows of a
    matrix (``1 2⏎3 4`` is ``1 2; 3 4``), unless it has brackets or ``;``."""
    if "[" in text or ";" in text:
        return text
    lines = [line.strip() for line in
             text.strip().replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    rows = [line[:-1].rstrip() if line.endswith(",") and i < len(lines) - 1 else line
            for i, line in enumerate(lines)]
    return "; ".join(rows)
