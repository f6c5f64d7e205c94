"""Safe parser for answers typed by learners.

Typed text is data, never code: nothing here hands the text to ``eval``, ``exec``,
``compile`` or any sympy string parser. A tokenizer and a recursive-descent parser
accept an allowlist grammar and build exact sympy values with constructors only.

Grammar (``ws`` is space, tab, NBSP, newline)::

    answer  := nested | "[" rows "]" | rows
    nested  := "[" "[" row "]" ( [","|";"] "[" row "]" )* "]"
    rows    := row ( ";" row )*
    row     := entry ( "," entry )*      -- if the row has a top-level comma
             | entry ( ws entry )*       -- otherwise (MATLAB sign rule, below)
    entry   := [ "+" | "-" ] inf         -- infinity only as a whole entry
             | expr
    expr    := term ( ( "+" | "-" ) term )*
    term    := unary ( ( "*" | "/" ) unary )*
    unary   := ( "+" | "-" ) unary | implicit
    implicit:= power ( power )*          -- only where implicit product is allowed
    power   := primary [ ( "^" | "**" ) unary ]     -- right-associative
    primary := number | "e" | "pi" | "π"
             | ( "sqrt" | "exp" | "ln" | "log" ) "(" expr ")"
             | "√" primary | "(" expr ")"
    number  := digits [ "." digits ] [ ( "e" | "E" ) [ sign ] digits ]  (also ".5", "5.")

* ``×  ·  ⋅  ∗`` mean ``*``; ``÷`` means ``/``; ``−`` (U+2212) and ``–`` (en dash)
  mean ``-``; ``∞`` means ``inf``.
* The full-width forms U+FF01 to U+FF5E that a Chinese input method types (``０.７１``,
  ``，``, ``；``, ``（）``, ``［］``, ``－``) mean their ASCII twins (the code point minus
  0xFEE0), and the ideographic comma ``、`` (U+3001) means ``,``. They are mapped one
  character for one, so positions in messages still index the typed text. ``。``
  (U+3002) is refused with a hint to type ``.``.
* No other non-ASCII character is accepted and no Unicode normalisation is applied.
* ``-2^2`` is -4 (power binds tighter than a sign); ``√`` binds tighter than ``*``
  and ``/`` (``√2/2`` is sqrt(2)/2). ``log`` is the natural logarithm.
* Implicit multiplication only directly (no space) after a number, before ``(``,
  ``√``, ``sqrt``, ``exp``, ``ln``, ``log``, ``pi``, ``π`` (``2√2``, ``3sqrt(2)``,
  ``2(1+1)``, ``2pi``), and ``)(``. An implicit product right after ``/`` or as an
  exponent is ambiguous (``1/2pi``, ``2^2(3)``) and rejected.
* In a row without a top-level comma, whitespace outside parentheses separates
  entries, and a ``+``/``-`` with a space before it and none after it starts a new
  entry: ``1 -2`` is two entries, ``1 - 2`` and ``1-2`` are one (-1). In a row with
  commas whitespace is insignificant.
* Decimals are exact rationals (``0.1`` is 1/10), never floats.

Caps: at most 2000 characters, nesting depth 20 (parentheses, functions, signs,
powers, ``√``), 20 rows, 20 columns, 400 entries, 30 digits per number, decimal
exponents within +-20, power exponents p/q with |p| <= 12 and q <= 4, ``exp``
arguments within +-50, and every entry real, finite and at most 1e12 in absolute
value (apart from a whole-entry ``inf``/``-inf``). Every violation raises
``ParseError`` with a one-line message and the 0-based position in the text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handcalc.core.answertext import lines_as_rows as lines_as_rows
from handcalc.core.parse.grammar import Parser
from handcalc.core.parse.limits import (
    MAX_ABS_VALUE,
    MAX_COLS,
    MAX_DIGITS,
    MAX_ENTRIES,
    MAX_ROWS,
    Mat,
)
from handcalc.core.parse.tokens import check_length, tokenize
from handcalc.errors import ParseError
from handcalc.text.messages import msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

__all__ = ["Mat", "parse_answer", "parse_value"]

_PLAIN = r"-?[0-9]{1,12}(?:\.[0-9]{1,12})?"
assert 10**12 <= MAX_ABS_VALUE and 24 <= MAX_DIGITS  # what _PLAIN lets through is in range
_PLAIN_ROW = rf"{_PLAIN}(?: *, *{_PLAIN})*|{_PLAIN}(?: +{_PLAIN})*"
_PLAIN_ROWS = rf"(?:{_PLAIN_ROW})(?: *; *(?:{_PLAIN_ROW}))*"
_SIMPLE = (rf" *(?P<rows>{_PLAIN_ROWS}) *"
           rf"| *\[ *(?P<bracketed>{_PLAIN_ROWS}) *\] *"
           rf"| *\[ *(?P<nested>\[ *(?:{_PLAIN_ROW}) *\](?: *[,;]? *\[ *(?:{_PLAIN_ROW}) *\])*)"
           r" *\] *")
_SIMPLE_ROW_SPLIT = r" *; *"
_SIMPLE_NESTED_ROW = r"\[ *([^\]]*?) *\]"
_SIMPLE_ENTRY = r" *, *| +"


_SIMPLE_VALUES: dict[str, sympy.Rational] = {}  # a literal -> its value (answers repeat them)


def _simple_value(literal: str) -> sympy.Rational:
    value = _SIMPLE_VALUES.get(literal)
    if value is None:
        negative = literal.startswith("-")
        whole, _, frac = literal.lstrip("-").partition(".")
        numerator = int(whole + frac)
        value = sympy.Rational(-numerator if negative else numerator, 10 ** len(frac))
        if len(_SIMPLE_VALUES) >= 1 << 16:
            _SIMPLE_VALUES.clear()
        _SIMPLE_VALUES[literal] = value
    return value


def _simple(text: str) -> Mat | None:
    """The answer when it is plain decimals in rows (see _SIMPLE), else None."""
    found = re.fullmatch(_SIMPLE, text)  # patterns as text: re keeps them compiled
    if found is None:
        return None
    if found["nested"] is not None:
        rows = re.findall(_SIMPLE_NESTED_ROW, found["nested"])
    else:
        rows = re.split(_SIMPLE_ROW_SPLIT, found["rows"] or found["bracketed"])
    values = [[_simple_value(x) for x in re.split(_SIMPLE_ENTRY, row)] for row in rows]
    width = len(values[0])
    # (a plain literal has at most 12 digits before its point: within MAX_ABS_VALUE, and
    # at most 24 digits: within MAX_DIGITS)
    if (len(values) > MAX_ROWS or width > MAX_COLS or len(values) * width > MAX_ENTRIES
            or any(len(row) != width for row in values)):
        return None  # the parser says what is wrong
    return tuple(tuple(row) for row in values)


def parse_answer(text: str) -> Mat:
    """Parse a typed answer (scalar, list or matrix) into rows of exact sympy values.

    A scalar gives a 1x1 matrix, a flat list one row. Raises ParseError on anything
    outside the grammar in the module docstring.
    """
    check_length(text)
    simple = _simple(text)
    if simple is not None:
        return simple
    return Parser(tokenize(text)).parse_answer()


def parse_value(text: str) -> sympy.Expr:
    """Parse one typed entry; a list or matrix raises ParseError."""
    check_length(text)
    parser = Parser(tokenize(text))
    first = parser.peek()
    if first.kind == "eof":
        raise ParseError(msg("error.empty_answer"), None)
    if first.kind == "[":
        raise ParseError(msg("parse.single_value"), first.pos)
    parser.ws_mode = True
    value = parser.parse_entry()
    tok = parser.peek()
    if tok.kind == "eof":
        return value
    if tok.kind in (",", ";", "[", "]") or (tok.space_before and tok.kind != ")"):
        raise ParseError(msg("parse.single_value"), tok.pos)
    raise parser.unexpected_after_value(tok)
