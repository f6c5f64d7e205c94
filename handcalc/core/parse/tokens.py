"""The tokenizer: typed text to tokens, with the Unicode a learner types folded one
character for one (full-width forms, ×, −, √, π, ∞), and the one-line messages about a
character, a name or a number that is not accepted (with the 0-based position)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handcalc.core.parse.limits import MAX_DECIMAL_EXPONENT, MAX_DIGITS, MAX_LENGTH, rational_bits
from handcalc.errors import ParseError
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

_WHITESPACE = frozenset(" \t\n\r\u00a0\u3000")  # U+3000: the space bar in full-width mode
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
# a middle dot typed between digits is a decimal point on some Chinese keyboards, a
# product elsewhere: refused there, never read as either
_DOTS = frozenset("\u00b7")  # ⋅ (U+22C5) is the dot operator: a product
_EXPONENT_SIGNS = frozenset("+-\u2212\u2013")
_PUNCTUATION = frozenset("()[],;")
_FUNCTIONS = frozenset({"sqrt", "exp", "ln", "log", "cos", "sin"})
_NAMES = frozenset({"e", "pi", "inf"}) | _FUNCTIONS
_ALLOWED_NAMES = "e, pi, inf, sqrt, exp, ln, log, cos, sin"
# Names that may directly follow a number to mean multiplication (2pi, 3sqrt(2)).
_IMPLICIT_AFTER_NUMBER = frozenset({"pi", "sqrt", "exp", "ln", "log", "cos", "sin"})
ENDS = frozenset({"eof", ",", ";", "]"})

_CHAR_HINTS = {  # message ids
    "'": "parse.char.quotes",
    '"': "parse.char.quotes",
    "\\": "parse.char.backslash",
    "#": "parse.char.hash",
    "=": "parse.char.equals",
    ":": "parse.char.colon",
    "{": "parse.char.braces",
    "}": "parse.char.braces",
    "!": "parse.char.factorial",
    "%": "parse.char.percent",
    "\u3002": "parse.char.full_stop",
}

# What a Chinese input method types in full-width mode means its ASCII twin: U+FF01..U+FF5E
# minus 0xFEE0, and the ideographic comma U+3001 a comma. One character for one.
_ASCII_TWINS = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3001: ord(",")}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num const inf func root op ( ) [ ] , ; eof
    text: str  # canonical text: '*' for '×', 'pi' for 'π', '^' for '**', ...
    shown: str  # the characters as typed, for messages
    pos: int
    space_before: bool
    value: sympy.Expr | None = None



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
        return ParseError(msg("parse.percent_value", typed=percent.group(1), value=value), pos)
    if twin in _CHAR_HINTS:
        return ParseError(msg(_CHAR_HINTS[twin]), pos)
    name = unicodedata.name(ch, "")
    hint = "parse.char.unexpected"
    if "SUPERSCRIPT" in name or "SUBSCRIPT" in name:
        hint = "parse.char.unexpected.power"
    elif "DIGIT" in name or unicodedata.category(ch) == "Nd":
        hint = "parse.char.unexpected.digit"
    elif unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
        hint = "parse.char.unexpected.invisible"
    return ParseError(msg(hint, char=_describe_char(ch)), pos)


def _percent(number: str) -> str:
    """A typed percentage as the decimal it stands for: '73' -> '0.73', '5.5' -> '0.055'."""
    from decimal import Decimal

    text = format(Decimal(number).scaleb(-2), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def show(value: sympy.Rational) -> str | Msg:
    """A rational for a message; huge ones are not spelled out."""
    return str(value) if rational_bits(value) <= 64 else msg("parse.very_large")


def _short(name: str) -> str:
    return name if len(name) <= 20 else name[:20] + "..."


def _unknown_name(name: str, pos: int, call: bool = False) -> ParseError:
    if name == "E":
        return ParseError(msg("parse.name.euler"), pos)
    if name.lower() in _NAMES:
        return ParseError(msg("parse.name.lowercase", name=_short(name), lower=name.lower()),
                          pos)
    for func in ("sqrt", "exp", "ln", "log", "cos", "sin"):
        rest = name[len(func) :]
        if name.startswith(func) and rest.isdigit() and not call:
            return ParseError(msg("parse.name.call", name=_short(name), func=func, arg=rest,
                                  allowed=_ALLOWED_NAMES), pos)
    return ParseError(msg("parse.name.unknown", name=_short(name), allowed=_ALLOWED_NAMES), pos)


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
        raise ParseError(msg("parse.digits", digits=len(digits), limit=MAX_DIGITS), start)
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
                raise ParseError(msg("parse.e_exponent", e=text[i], limit=MAX_DECIMAL_EXPONENT),
                                 i)
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
        raise ParseError(msg("parse.two_points"), i)
    if ch == "_":
        raise ParseError(msg("parse.underscore"), i)
    if ch not in _ASCII_LETTERS:
        return
    end = _scan_identifier(text, i)
    name = text[i:end]
    if name in _IMPLICIT_AFTER_NUMBER:
        return
    literal = text[start:i]
    if name in ("e", "E"):
        raise ParseError(msg("parse.number_e", number=literal, e=name), i)
    if name[0] in "xX":
        raise ParseError(msg("parse.hex", x=name[0], number=_short(literal)), i)
    if name[0] in "jJ" and (name[1:] == "" or name[1:].isdigit()):
        raise ParseError(msg("parse.complex"), i)
    if name in _NAMES:
        raise ParseError(msg("parse.times_name", number=_short(literal), name=name), i)
    raise _unknown_name(name, i)


def tokenize(typed: str) -> list[Token]:
    """The tokens of ``typed`` read with full-width forms as their ASCII twins; each
    token's ``shown`` is the text as typed."""
    text = typed.translate(_ASCII_TWINS)
    tokens: list[Token] = []
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
            tok = Token("num", text[start:i], typed[start:i], start, space, value)
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
            tok = Token(kind, name, typed[start:i], start, space)
        elif ch == "*" and i + 1 < n and text[i + 1] == "*":
            i += 2
            tok = Token("op", "^", typed[start:i], start, space)
        elif ch in _OPERATORS:
            if ch in _DOTS and 0 < i < n - 1 and text[i - 1] in _DIGITS \
                    and text[i + 1] in _DIGITS:
                raise ParseError(
                    f"'{ch}' between digits is not accepted: type . for a decimal point "
                    f"(0.71), or * with spaces for a product (2 * 3)", i)
            i += 1
            tok = Token("op", _OPERATORS[ch], typed[start], start, space)
        elif ch == "\u03c0":  # π
            i += 1
            tok = Token("const", "pi", ch, start, space)
        elif ch == "\u221e":  # ∞
            i += 1
            tok = Token("inf", "inf", ch, start, space)
        elif ch == "\u221a":  # √
            i += 1
            tok = Token("root", "sqrt", ch, start, space)
        elif ch in _PUNCTUATION:
            i += 1
            tok = Token(ch, ch, typed[start], start, space)
        elif ch == ".":
            if i + 1 < n and text[i + 1] in _ASCII_LETTERS:
                raise ParseError(msg("parse.attribute"), i)
            raise ParseError(msg("parse.lone_point"), i)
        else:
            raise _bad_char(typed[i], i, typed[:i])
        tokens.append(tok)
        space = False
    tokens.append(Token("eof", "", "end of answer", n, space))
    return tokens


def check_length(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"answer text must be a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(msg("parse.too_long", length=len(text), limit=MAX_LENGTH), MAX_LENGTH)


def quoted(tok: Token) -> str | Msg:
    return msg("parse.end") if tok.kind == "eof" else f"'{tok.shown}'"


