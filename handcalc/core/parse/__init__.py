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
import unicodedata
from dataclasses import dataclass

import sympy

from handcalc.errors import ParseError
from handcalc.text.messages import msg

__all__ = ["Mat", "parse_answer", "parse_value"]

Mat = tuple[tuple[sympy.Expr, ...], ...]

MAX_LENGTH = 2000
MAX_DEPTH = 20
MAX_ROWS = 20
MAX_COLS = 20
MAX_ENTRIES = 400
MAX_DIGITS = 30
MAX_DECIMAL_EXPONENT = 20
MAX_POWER_NUMERATOR = 12
MAX_POWER_DENOMINATOR = 4
MAX_EXP_ARGUMENT = 50
MAX_ABS_VALUE = 10**12

_MAX_RATIONAL_BITS = 4000  # size cap of an exact intermediate result of a power
# Size cap of a rational under a root (or inside exp, where exp(c*ln(x)) becomes x^c):
# sympy factors such numbers, which gets slow for big ones.
_MAX_ROOT_BITS = 300
_MAX_INTERMEDIATE = sympy.Float("1e300")
_TINY = 1e-25  # numerically indistinguishable from zero at 30 digits
_PREC = 30

_WHITESPACE = frozenset(" \t\n\r\u00a0")
_DIGITS = frozenset("0123456789")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IDENT_CHARS = _ASCII_LETTERS | _DIGITS | {"_"}
_OPERATORS = {
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "^": "^",
    "\u00d7": "*",  # ×
    "\u00b7": "*",  # ·
    "\u22c5": "*",  # ⋅
    "\u2217": "*",  # ∗
    "\u00f7": "/",  # ÷
    "\u2212": "-",  # −
    "\u2013": "-",  # –
}
_EXPONENT_SIGNS = frozenset("+-\u2212\u2013")
_PUNCTUATION = frozenset("()[],;")
_FUNCTIONS = frozenset({"sqrt", "exp", "ln", "log"})
_NAMES = frozenset({"e", "pi", "inf"}) | _FUNCTIONS
_ALLOWED_NAMES = "e, pi, inf, sqrt, exp, ln, log"
# Names that may directly follow a number to mean multiplication (2pi, 3sqrt(2)).
_IMPLICIT_AFTER_NUMBER = frozenset({"pi", "sqrt", "exp", "ln", "log"})
_ENDS = frozenset({"eof", ",", ";", "]"})

_CHAR_HINTS = {
    "'": "quotes are not accepted: type the number itself",
    '"': "quotes are not accepted: type the number itself",
    "\\": "backslashes are not accepted",
    "#": "'#' is not accepted (no comments)",
    "=": "'=' is not accepted: type only the value",
    ":": "':' is not accepted",
    "{": "braces are not accepted: use [ ] for lists and matrices",
    "}": "braces are not accepted: use [ ] for lists and matrices",
    "!": "'!' (factorial) is not accepted",
    "%": "'%' is not accepted: write 0.25, not 25%",
    "\u3002": "'\u3002' (ideographic full stop) is not accepted: type . for a decimal point",
}

# What a Chinese input method types in full-width mode means its ASCII twin: U+FF01..U+FF5E
# minus 0xFEE0, and the ideographic comma U+3001 a comma. One character for one.
_ASCII_TWINS = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3001: ord(",")}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # num const inf func root op ( ) [ ] , ; eof
    text: str  # canonical text: '*' for '×', 'pi' for 'π', '^' for '**', ...
    shown: str  # the characters as typed, for messages
    pos: int
    space_before: bool
    value: sympy.Expr | None = None


_ROOT_TOO_BIG = (
    f"number too large under a root or in exp: at most {_MAX_ROOT_BITS * 3 // 10} digits"
)


def _bits(value: sympy.Rational) -> int:
    return max(int(value.p).bit_length(), int(value.q).bit_length())


def _check_roots(value: sympy.Expr, pos: int | None) -> sympy.Expr:
    """Reject a product whose radicals sympy merged into a root of a huge number."""
    factors = value.args if value.is_Mul else (value,)
    for factor in factors:
        if (
            factor.is_Pow
            and factor.base.is_Rational
            and not factor.exp.is_Integer
            and _bits(factor.base) > _MAX_ROOT_BITS
        ):
            raise ParseError(_ROOT_TOO_BIG, pos)
    return value


class _Product:
    """A running product kept as coefficient * radicals * other factors * sums.

    sympy distributes a number over a sum it multiplies, so multiplying a long sum
    by 2, then 2, then 2 ... one factor at a time would be quadratic, and so would
    re-flattening a growing product. Sums and other factors are collected and
    multiplied in once at the end. Radicals (roots of rationals) are multiplied one
    at a time: sympy merges them (sqrt(2)*sqrt(3) is sqrt(6)) and factors the merged
    number, so a huge merged radicand must be caught before it grows further.
    """

    __slots__ = ("coeff", "radicals", "others", "sums")

    def __init__(self, value: sympy.Expr) -> None:
        self.coeff: sympy.Expr = sympy.Integer(1)
        self.radicals: sympy.Expr = sympy.Integer(1)
        self.others: list[sympy.Expr] = []
        self.sums: list[sympy.Expr] = []
        self.multiply(value, None)

    def multiply(self, factor: sympy.Expr, pos: int | None) -> None:
        coeff, rest = factor.as_coeff_Mul(rational=True)
        self.coeff *= coeff
        for arg in sympy.Mul.make_args(rest):
            if arg.is_Rational:
                self.coeff *= arg
            elif arg.is_Add:
                self.sums.append(arg)
            elif arg.is_Pow and arg.base.is_Rational:
                radicals = _check_roots(self.radicals * arg, pos)
                coeff, self.radicals = radicals.as_coeff_Mul(rational=True)
                self.coeff *= coeff
            else:
                self.others.append(arg)

    def divide(self, divisor: sympy.Expr, pos: int) -> None:
        """Divide by a divisor already known to be non-zero."""
        coeff, rest = divisor.as_coeff_Mul(rational=True)
        self.coeff /= coeff
        if rest != 1:
            self.multiply(1 / rest, pos)

    def value(self, pos: int | None) -> sympy.Expr:
        return _check_roots(sympy.Mul(self.coeff, self.radicals, *self.others, *self.sums), pos)


def _describe_char(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    label = f"{code} {name}" if name else code
    category = unicodedata.category(ch)
    visible = ch.isprintable() and not ch.isspace() and category[0] not in "CMZ"
    return f"'{ch}' ({label})" if visible else label


def _bad_char(ch: str, pos: int, before: str = "") -> ParseError:
    """The error for a character as typed (a full-width form gets its ASCII twin's hint;
    a percent sign after a number reads that number back: 73% is 0.73)."""
    twin = ch.translate(_ASCII_TWINS)
    percent = re.search(r"(\d+(?:\.\d+)?)\s*$", before.translate(_ASCII_TWINS))
    if twin == "%" and percent and len(percent.group(1)) <= 12:
        value = _percent(percent.group(1))
        return ParseError(f"'%' is not accepted: {percent.group(1)}% is {value}; "
                          f"write {value}", pos)
    if twin in _CHAR_HINTS:
        return ParseError(_CHAR_HINTS[twin], pos)
    name = unicodedata.name(ch, "")
    hint = ""
    if "SUPERSCRIPT" in name or "SUBSCRIPT" in name:
        hint = "; write powers with ^, e.g. 5^2"
    elif "DIGIT" in name or unicodedata.category(ch) == "Nd":
        hint = "; only the digits 0-9 are accepted"
    elif unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
        hint = "; remove invisible or control characters"
    return ParseError(f"unexpected character {_describe_char(ch)}{hint}", pos)


def _percent(number: str) -> str:
    """A typed percentage as the decimal it stands for: '73' -> '0.73', '5.5' -> '0.055'."""
    from decimal import Decimal

    text = format(Decimal(number).scaleb(-2), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _show(value: sympy.Rational) -> str:
    """A rational for a message; huge ones are not spelled out."""
    return str(value) if _bits(value) <= 64 else "(a very large number)"


def _short(name: str) -> str:
    return name if len(name) <= 20 else name[:20] + "..."


def _unknown_name(name: str, pos: int, call: bool = False) -> ParseError:
    if name == "E":
        return ParseError("unknown name 'E': names are lowercase; write e for Euler's number", pos)
    if name.lower() in _NAMES:
        return ParseError(
            f"unknown name '{_short(name)}': names are lowercase; write {name.lower()}", pos
        )
    hint = ""
    for func in ("sqrt", "exp", "ln", "log"):
        rest = name[len(func) :]
        if name.startswith(func) and rest.isdigit() and not call:
            hint = f" (write {func}({rest}))"
            break
    return ParseError(f"unknown name '{_short(name)}'{hint}; allowed: {_ALLOWED_NAMES}", pos)


def _scan_identifier(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _IDENT_CHARS:
        i += 1
    return i


def _scan_digits(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    return i


def _number(text: str, start: int) -> tuple[sympy.Rational, int]:
    """Scan a number literal at ``start``; return its exact value and the end index."""
    n = len(text)
    i = _scan_digits(text, start)
    int_digits = text[start:i]
    frac_digits = ""
    if i < n and text[i] == ".":
        j = _scan_digits(text, i + 1)
        frac_digits = text[i + 1 : j]
        i = j
    digits = int_digits + frac_digits
    if len(digits) > MAX_DIGITS:
        raise ParseError(
            f"number has {len(digits)} digits; at most {MAX_DIGITS} digits are accepted",
            start,
        )
    exponent = 0
    if i < n and text[i] in "eE":
        j = i + 1
        negative = False
        if j < n and text[j] in _EXPONENT_SIGNS:
            negative = text[j] != "+"
            j += 1
        k = _scan_digits(text, j)
        if k > j:
            exp_digits = text[j:k]
            if len(exp_digits) > MAX_DIGITS or int(exp_digits) > MAX_DECIMAL_EXPONENT:
                raise ParseError(
                    f"exponent of {text[i]} notation is too large: at most "
                    f"{MAX_DECIMAL_EXPONENT} in absolute value (1e-20 to 1e20)",
                    i,
                )
            exponent = -int(exp_digits) if negative else int(exp_digits)
            i = k
    _check_after_number(text, start, i)
    numerator = int(digits)
    denominator = 10 ** len(frac_digits)
    if exponent >= 0:
        numerator *= 10**exponent
    else:
        denominator *= 10**-exponent
    return sympy.Rational(numerator, denominator), i


def _check_after_number(text: str, start: int, i: int) -> None:
    """Reject what may not directly follow a number literal ending at ``i``."""
    if i >= len(text):
        return
    ch = text[i]
    if ch == ".":
        raise ParseError("unexpected '.': a number has at most one decimal point", i)
    if ch == "_":
        raise ParseError("underscores are not accepted in numbers: write 1000, not 1_000", i)
    if ch not in _ASCII_LETTERS:
        return
    end = _scan_identifier(text, i)
    name = text[i:end]
    if name in _IMPLICIT_AFTER_NUMBER:
        return
    literal = text[start:i]
    if name in ("e", "E"):
        raise ParseError(
            f"'{literal}{name}' is not accepted: write {literal}*e for {literal} times e, "
            f"or an exponent like {literal}e3 for scientific notation",
            i,
        )
    if name[0] in "xX":
        raise ParseError(
            f"unexpected '{name[0]}' after the number {_short(literal)}: hexadecimal is "
            "not accepted, and multiplication is written *",
            i,
        )
    if name[0] in "jJ" and (name[1:] == "" or name[1:].isdigit()):
        raise ParseError("complex numbers are not accepted ('j' after a number)", i)
    if name in _NAMES:
        raise ParseError(f"write * between the number {_short(literal)} and '{name}'", i)
    raise _unknown_name(name, i)


def _tokenize(typed: str) -> list[_Token]:
    """The tokens of ``typed`` read with full-width forms as their ASCII twins; each
    token's ``shown`` is the text as typed."""
    text = typed.translate(_ASCII_TWINS)
    tokens: list[_Token] = []
    n = len(text)
    i = 0
    space = False
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            space = True
            i += 1
            continue
        start = i
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            value, i = _number(text, i)
            tok = _Token("num", text[start:i], typed[start:i], start, space, value)
        elif ch in _ASCII_LETTERS or ch == "_":
            i = _scan_identifier(text, i)
            name = text[start:i]
            if name not in _NAMES:
                raise _unknown_name(name, start, text[i : i + 1] == "(")
            if name in _FUNCTIONS:
                kind = "func"
            elif name == "inf":
                kind = "inf"
            else:
                kind = "const"
            tok = _Token(kind, name, typed[start:i], start, space)
        elif ch == "*" and i + 1 < n and text[i + 1] == "*":
            i += 2
            tok = _Token("op", "^", typed[start:i], start, space)
        elif ch in _OPERATORS:
            i += 1
            tok = _Token("op", _OPERATORS[ch], typed[start], start, space)
        elif ch == "\u03c0":  # π
            i += 1
            tok = _Token("const", "pi", ch, start, space)
        elif ch == "\u221e":  # ∞
            i += 1
            tok = _Token("inf", "inf", ch, start, space)
        elif ch == "\u221a":  # √
            i += 1
            tok = _Token("root", "sqrt", ch, start, space)
        elif ch in _PUNCTUATION:
            i += 1
            tok = _Token(ch, ch, typed[start], start, space)
        elif ch == ".":
            if i + 1 < n and text[i + 1] in _ASCII_LETTERS:
                raise ParseError("unexpected '.': attribute access is not accepted", i)
            raise ParseError(
                "unexpected '.': write decimals with digits after the point, like 0.5 or .5",
                i,
            )
        else:
            raise _bad_char(typed[i], i, typed[:i])
        tokens.append(tok)
        space = False
    tokens.append(_Token("eof", "", "end of answer", n, space))
    return tokens


def _check_length(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"answer text must be a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(
            f"answer too long: {len(text)} characters, the limit is {MAX_LENGTH}", MAX_LENGTH
        )


def _quoted(tok: _Token) -> str:
    return "the end of the answer" if tok.kind == "eof" else f"'{tok.shown}'"


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0
        self.group_depth = 0
        self.ws_mode = False
        self.entries = 0

    # -- token helpers -------------------------------------------------------

    def peek(self, ahead: int = 0) -> _Token:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def advance(self) -> _Token:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(
                f"nested too deeply: more than {MAX_DEPTH} levels of parentheses, "
                "functions, signs or powers",
                tok.pos,
            )

    def leave(self) -> None:
        self.depth -= 1

    def splits_here(self, index: int) -> bool:
        """MATLAB rule: in a whitespace row, ' -2' starts a new entry."""
        tok = self.toks[index]
        if not (self.ws_mode and self.group_depth == 0 and tok.space_before):
            return False
        nxt = self.toks[min(index + 1, len(self.toks) - 1)]
        return not nxt.space_before and nxt.kind != "eof"

    def entry_ends_at(self, index: int) -> bool:
        tok = self.toks[index]
        if tok.kind in _ENDS:
            return True
        if not (self.ws_mode and self.group_depth == 0 and tok.space_before):
            return False
        if tok.kind == "op":
            return tok.text in "+-" and self.splits_here(index)
        return tok.kind != ")"

    def row_has_comma(self) -> bool:
        depth = 0
        for tok in self.toks[self.i :]:
            if tok.kind == "(":
                depth += 1
            elif tok.kind == ")":
                depth -= 1
                if depth < 0:
                    return False
            elif tok.kind == "," and depth == 0:
                return True
            elif tok.kind in ("eof", ";", "[", "]"):
                return False
        return False

    # -- structure -----------------------------------------------------------

    def parse_answer(self) -> Mat:
        first = self.peek()
        if first.kind == "eof":
            raise ParseError(msg("error.empty_answer"), None)
        if first.kind == "[" and self.peek(1).kind == "[":
            rows = self.parse_nested()
        elif first.kind == "[":
            self.advance()
            if self.peek().kind == "]":
                raise ParseError("empty list '[]'", first.pos)
            rows = self.parse_rows(first)
            close = self.peek()
            if close.kind != "]":
                raise ParseError("'[' is never closed", first.pos)
            self.advance()
        else:
            rows = self.parse_rows(None)
        tok = self.peek()
        if tok.kind == "]":
            raise ParseError("unmatched ']'", tok.pos)
        if tok.kind != "eof":
            raise ParseError(
                f"unexpected {_quoted(tok)} after the closing ']': write a matrix as "
                "[[1, 2], [3, 4]] or 1 2; 3 4",
                tok.pos,
            )
        return tuple(tuple(row) for row in rows)

    def parse_nested(self) -> list[list[sympy.Expr]]:
        outer = self.advance()
        rows: list[list[sympy.Expr]] = []
        while True:
            tok = self.peek()
            if tok.kind != "[":
                if tok.kind == "eof":
                    raise ParseError("'[' is never closed", outer.pos)
                raise ParseError(
                    f"expected '[' to start row {len(rows) + 1}, found {_quoted(tok)}: in "
                    "the [[...], [...]] form every row is in brackets",
                    tok.pos,
                )
            opening = self.advance()
            if self.peek().kind == "]":
                raise ParseError(f"row {len(rows) + 1} is empty", opening.pos)
            row_pos = self.peek().pos
            row = self.parse_row()
            tok = self.peek()
            if tok.kind == ";":
                raise ParseError(
                    "';' inside a bracketed row: write [[1, 2], [3, 4]] or [1 2; 3 4]",
                    tok.pos,
                )
            if tok.kind != "]":
                raise ParseError("'[' is never closed", opening.pos)
            self.advance()
            self.add_row(rows, row, row_pos)
            tok = self.peek()
            if tok.kind in (",", ";"):
                sep = self.advance()
                nxt = self.peek()
                if nxt.kind == "]":
                    raise ParseError(f"trailing '{sep.shown}' with no row after it", sep.pos)
                continue
            if tok.kind == "[":
                continue
            if tok.kind == "]":
                self.advance()
                return rows
            if tok.kind == "eof":
                raise ParseError("'[' is never closed", outer.pos)
            raise ParseError(
                f"expected ',' or ']' after row {len(rows)}, found {_quoted(tok)}", tok.pos
            )

    def parse_rows(self, opening: _Token | None) -> list[list[sympy.Expr]]:
        rows: list[list[sympy.Expr]] = []
        while True:
            tok = self.peek()
            if tok.kind in (";", "]", "eof"):
                if rows:
                    prev = self.toks[self.i - 1]
                    if tok.kind == ";":
                        raise ParseError("empty row between two ';'", tok.pos)
                    raise ParseError("trailing ';' with no row after it", prev.pos)
                if tok.kind == ";":
                    raise ParseError("empty row before ';'", tok.pos)
                if tok.kind == "eof" and opening is not None:
                    raise ParseError("'[' is never closed", opening.pos)
                raise ParseError("unmatched ']'", tok.pos)
            row_pos = tok.pos
            row = self.parse_row()
            self.add_row(rows, row, row_pos)
            if self.peek().kind == ";":
                self.advance()
                continue
            return rows

    def add_row(self, rows: list[list[sympy.Expr]], row: list[sympy.Expr], pos: int) -> None:
        if len(rows) >= MAX_ROWS:
            raise ParseError(f"too many rows: at most {MAX_ROWS} rows are accepted", pos)
        if rows and len(row) != len(rows[0]):
            have = f"{len(row)} entr{'y' if len(row) == 1 else 'ies'}"
            first = f"{len(rows[0])}"
            raise ParseError(f"row {len(rows) + 1} has {have}, row 1 has {first}", pos)
        rows.append(row)

    def parse_row(self) -> list[sympy.Expr]:
        self.ws_mode = not self.row_has_comma()
        entries: list[sympy.Expr] = []
        while True:
            tok = self.peek()
            if tok.kind == ",":
                raise ParseError("empty entry before ','", tok.pos)
            if len(entries) >= MAX_COLS:
                raise ParseError(
                    f"too many entries in one row: at most {MAX_COLS} columns are accepted",
                    tok.pos,
                )
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise ParseError(f"too many entries: at most {MAX_ENTRIES} are accepted", tok.pos)
            entries.append(self.parse_entry())
            tok = self.peek()
            if tok.kind == ",":
                comma = self.advance()
                nxt = self.peek()
                if nxt.kind in ("eof", ";", "]"):
                    raise ParseError("trailing ',' with no entry after it", comma.pos)
                if nxt.kind == ",":
                    raise ParseError("empty entry between two ','", nxt.pos)
                continue
            if tok.kind in ("eof", ";", "]"):
                return entries
            if self.ws_mode and tok.space_before and tok.kind != ")":
                continue
            raise self.unexpected_after_value(tok)

    def unexpected_after_value(self, tok: _Token) -> ParseError:
        if tok.kind == ")":
            return ParseError("unmatched ')'", tok.pos)
        if tok.kind == "[":
            return ParseError(
                "unexpected '[': brackets go around the whole answer or around each row",
                tok.pos,
            )
        if tok.kind == ",":
            return ParseError(
                "',' inside parentheses: functions take one argument; lists use [ ]", tok.pos
            )
        if tok.kind == "inf":
            return ParseError("inf can only be a whole entry, like inf or -inf", tok.pos)
        prev = self.toks[self.i - 1]
        return ParseError(
            f"missing operator between '{prev.shown}' and '{tok.shown}'"
            + ("" if self.ws_mode else " (or a missing ',')"),
            tok.pos,
        )

    # -- entries and expressions --------------------------------------------

    def parse_entry(self) -> sympy.Expr:
        start = self.peek()
        j = self.i
        sign = 1
        if start.kind == "op" and start.text in "+-":
            sign = -1 if start.text == "-" else 1
            j += 1
        if self.toks[j].kind == "inf" and self.entry_ends_at(j + 1):
            self.i = j + 1
            return -sympy.oo if sign < 0 else sympy.oo
        value = self.parse_sum()
        return self.finish(value, start.pos)

    def parse_sum(self) -> sympy.Expr:
        first, _ = self.parse_term()
        terms = [first]
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.text not in "+-" or self.splits_here(self.i):
                break
            self.advance()
            right, _ = self.parse_term()
            terms.append(right if tok.text == "+" else -right)
        # One Add of all terms: adding one at a time is quadratic in sympy.
        return first if len(terms) == 1 else sympy.Add(*terms)

    def parse_term(self) -> tuple[sympy.Expr, bool]:
        first, implicit = self.parse_unary()
        tok = self.peek()
        if tok.kind != "op" or tok.text not in "*/":
            return first, implicit
        product = _Product(first)
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.text not in "*/":
                return product.value(tok.pos), implicit
            self.advance()
            operand_pos = self.peek().pos
            right, right_implicit = self.parse_unary()
            if tok.text == "*":
                product.multiply(right, tok.pos)
            else:
                if right_implicit:
                    raise ParseError(
                        "ambiguous implicit multiplication after '/': write 1/(2*pi) or (1/2)*pi",
                        operand_pos,
                    )
                if self.sign(right, tok.pos, "the divisor") == 0:
                    raise ParseError("division by zero", tok.pos)
                product.divide(right, tok.pos)
            implicit = False

    def parse_unary(self) -> tuple[sympy.Expr, bool]:
        tok = self.peek()
        if tok.kind == "op" and tok.text in "+-":
            self.enter(tok)
            self.advance()
            value, implicit = self.parse_unary()
            self.leave()
            return (-value if tok.text == "-" else value), implicit
        return self.parse_implicit()

    def implicit_follows(self) -> bool:
        tok = self.peek()
        if tok.space_before or self.i == 0:
            return False
        prev = self.toks[self.i - 1]
        if prev.kind == "num":
            return tok.kind in ("(", "root", "func") or (tok.kind == "const" and tok.text == "pi")
        return prev.kind == ")" and tok.kind == "("

    def parse_implicit(self) -> tuple[sympy.Expr, bool]:
        value = self.parse_power()
        if not self.implicit_follows():
            return value, False
        product = _Product(value)
        while self.implicit_follows():
            pos = self.peek().pos
            product.multiply(self.parse_power(), pos)
        return product.value(pos), True

    def parse_power(self) -> sympy.Expr:
        base_pos = self.peek().pos
        base = self.parse_primary()
        tok = self.peek()
        if tok.kind != "op" or tok.text != "^":
            return base
        self.enter(tok)
        self.advance()
        exp_pos = self.peek().pos
        exponent, implicit = self.parse_unary()
        self.leave()
        if implicit:
            raise ParseError(
                "ambiguous implicit multiplication in an exponent: write 2^(2*3) or 2^2*3",
                exp_pos,
            )
        return self.power(base, exponent, base_pos, exp_pos)

    def parse_primary(self) -> sympy.Expr:
        tok = self.peek()
        kind = tok.kind
        if kind == "num":
            self.advance()
            assert tok.value is not None
            return tok.value
        if kind == "const":
            self.advance()
            return sympy.E if tok.text == "e" else sympy.pi
        if kind == "inf":
            raise ParseError(
                "inf can only be a whole entry, like inf or -inf, not part of a calculation",
                tok.pos,
            )
        if kind == "func":
            self.advance()
            if self.peek().kind != "(":
                raise ParseError(
                    f"expected '(' after '{tok.text}', as in {tok.text}(2)", self.peek().pos
                )
            self.enter(tok)
            arg = self.parse_group(f"after '{tok.text}'")
            self.leave()
            return self.apply(tok.text, arg, tok.pos)
        if kind == "root":
            self.advance()
            nxt = self.peek()
            if nxt.kind not in ("num", "const", "(", "root", "func"):
                raise ParseError(
                    f"'√' must be followed by a number, a constant or '(', not {_quoted(nxt)}",
                    nxt.pos,
                )
            self.enter(tok)
            arg = self.parse_primary()
            self.leave()
            return self.apply("sqrt", arg, tok.pos)
        if kind == "(":
            self.enter(tok)
            value = self.parse_group("")
            self.leave()
            return value
        raise self.expected_value(tok)

    def parse_group(self, where: str) -> sympy.Expr:
        opening = self.advance()
        if self.peek().kind == ")":
            raise ParseError(f"empty parentheses {where}".rstrip(), opening.pos)
        self.group_depth += 1
        value = self.parse_sum()
        self.group_depth -= 1
        tok = self.peek()
        if tok.kind == ")":
            self.advance()
            return value
        if tok.kind in ("eof", ";", "]"):
            raise ParseError("'(' is never closed", opening.pos)
        raise self.unexpected_after_value(tok)

    def expected_value(self, tok: _Token) -> ParseError:
        prev = self.toks[self.i - 1] if self.i > 0 else None
        if tok.kind == "eof":
            if prev is not None and prev.kind == "op":
                return ParseError(f"expected a number after '{prev.shown}'", tok.pos)
            return ParseError("unexpected end of answer: expected a number", tok.pos)
        if tok.kind == "[":
            return self.unexpected_after_value(tok)
        if tok.kind == ")":
            return ParseError("expected a number before ')'", tok.pos)
        if tok.kind == "op":
            return ParseError(f"unexpected '{tok.shown}': expected a number", tok.pos)
        return ParseError(f"expected a number before '{tok.shown}'", tok.pos)

    # -- checked arithmetic --------------------------------------------------

    @staticmethod
    def numeric(value: sympy.Expr, pos: int, what: str) -> sympy.Float:
        if value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise ParseError(f"{what} is not a finite number", pos)
        try:
            num = value.evalf(_PREC)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            raise ParseError(f"{what} cannot be evaluated", pos) from None
        if not (num.is_Number and num.is_extended_real is True and num.is_finite is True):
            raise ParseError(f"{what} is not a real number", pos)
        return num

    def sign(self, value: sympy.Expr, pos: int, what: str) -> int:
        """-1, 0 or 1; 0 also for a value numerically indistinguishable from zero."""
        if value.is_Rational:
            return (value.p > 0) - (value.p < 0)
        num = self.numeric(value, pos, what)
        if abs(num) < _TINY:
            return 0
        return 1 if num > 0 else -1

    check_roots = staticmethod(_check_roots)

    @staticmethod
    def check_root_argument(arg: sympy.Expr, pos: int) -> None:
        if arg.is_Rational:
            bits = _bits(arg)
        else:
            bits = max((_bits(atom) for atom in arg.atoms(sympy.Rational)), default=0)
        if bits > _MAX_ROOT_BITS:
            raise ParseError(_ROOT_TOO_BIG, pos)

    def power(
        self, base: sympy.Expr, exponent: sympy.Expr, base_pos: int, exp_pos: int
    ) -> sympy.Expr:
        if not exponent.is_Rational:
            raise ParseError("exponent must be a number like 2 or 1/2", exp_pos)
        p, q = int(exponent.p), int(exponent.q)
        if abs(p) > MAX_POWER_NUMERATOR or q > MAX_POWER_DENOMINATOR:
            raise ParseError(
                f"exponent {_show(exponent)} is out of range: it must be a fraction p/q with "
                f"|p| <= {MAX_POWER_NUMERATOR} and q <= {MAX_POWER_DENOMINATOR}",
                exp_pos,
            )
        sign = self.sign(base, base_pos, "the base of the power")
        if q > 1 and sign < 0:
            raise ParseError("the base of a fractional power must be >= 0", base_pos)
        if sign == 0 and p < 0:
            raise ParseError("division by zero (0 to a negative power)", base_pos)
        if sign == 0 and p == 0:
            raise ParseError("0^0 is undefined", base_pos)
        if base.is_Rational and _bits(base) * abs(p) > _MAX_RATIONAL_BITS * q:
            raise ParseError("number too large: the power has too many digits", base_pos)
        if q > 1:
            self.check_root_argument(base, base_pos)
        result = self.check_roots(base**exponent, base_pos)
        if result.is_Rational:
            if _bits(result) > _MAX_RATIONAL_BITS:
                raise ParseError("number too large: the power has too many digits", base_pos)
        else:
            num = self.numeric(result, base_pos, "the power")
            if abs(num) > _MAX_INTERMEDIATE or (num != 0 and abs(num) < 1 / _MAX_INTERMEDIATE):
                raise ParseError(
                    "number out of range: the power is too large or too small", base_pos
                )
        return result

    def apply(self, name: str, arg: sympy.Expr, pos: int) -> sympy.Expr:
        if name == "sqrt":
            if self.sign(arg, pos, "the argument of the square root") < 0:
                raise ParseError("square root of a negative number", pos)
            self.check_root_argument(arg, pos)
            return self.check_roots(sympy.sqrt(arg), pos)
        if name == "exp":
            num = self.numeric(arg, pos, "the argument of exp")
            if abs(num) > MAX_EXP_ARGUMENT:
                raise ParseError(
                    f"exp argument out of range: it must be between -{MAX_EXP_ARGUMENT} "
                    f"and {MAX_EXP_ARGUMENT}",
                    pos,
                )
            self.check_root_argument(arg, pos)
            return self.check_roots(sympy.exp(arg), pos)
        # ln and log are both the natural logarithm
        if self.sign(arg, pos, "the argument of the logarithm") <= 0:
            raise ParseError("logarithm of a number <= 0", pos)
        return sympy.log(arg)

    def finish(self, value: sympy.Expr, pos: int) -> sympy.Expr:
        too_big = "value too large: entries must be at most 1e12 in absolute value"
        if value.is_Rational:
            if abs(value) > MAX_ABS_VALUE:
                raise ParseError(too_big, pos)
            return value
        if value.has(sympy.I):
            raise ParseError("the entry is not a real number", pos)
        num = self.numeric(value, pos, "the entry")
        if abs(num) > MAX_ABS_VALUE:
            raise ParseError(too_big, pos)
        return value


# The answers most often typed: plain decimals in rows (commas, or spaces, between entries;
# ';' between rows), bare, in one pair of brackets or a bracket per row. Their value is
# read straight from the text, as the parser would build it; anything else (and anything
# near a cap) goes through the parser.
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
    _check_length(text)
    simple = _simple(text)
    if simple is not None:
        return simple
    return _Parser(_tokenize(text)).parse_answer()


def parse_value(text: str) -> sympy.Expr:
    """Parse one typed entry; a list or matrix raises ParseError."""
    _check_length(text)
    parser = _Parser(_tokenize(text))
    first = parser.peek()
    if first.kind == "eof":
        raise ParseError("empty answer", None)
    if first.kind == "[":
        raise ParseError("expected a single value, not a list or matrix", first.pos)
    parser.ws_mode = True
    value = parser.parse_entry()
    tok = parser.peek()
    if tok.kind == "eof":
        return value
    if tok.kind in (",", ";", "[", "]") or (tok.space_before and tok.kind != ")"):
        raise ParseError("expected a single value, not a list or matrix", tok.pos)
    raise parser.unexpected_after_value(tok)
