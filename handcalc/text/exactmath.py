"""Exact values (sympy) printed as math: Typst (``typst_math``, ``typst_terms`` for a long
sum's terms on lines of their own) and LaTeX (``latex_math``), and whether an exact answer
is short enough to help a teacher marking by hand (``exact_brief``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

EXACT_INLINE_MAX = 14  # exact entries up to this many characters go in a matrix
EXACT_WRAP = 60  # longer exact entries wrap between the terms of their sum

# ---------------------------------------------------------------- exact values as math

class _TypstPrinter(StrPrinter):
    """sympy's str form, with Typst math spelling: e^(x), sqrt(x), infinity, juxtaposition.

    Printed subexpressions are remembered (the entries of one answer share their
    denominators); a printer is made per exercise so that the memory stays small."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._memo: dict[Any, str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if kwargs:
            return super()._print(expr, **kwargs)
        text = self._memo.get(expr)
        if text is None:
            text = self._memo[expr] = super()._print(expr)
        return text

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_exp(self, expr: Any) -> str:
        return f"e^({self._print(expr.args[0])})"

    def _print_Infinity(self, expr: Any) -> str:
        return "infinity"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "-infinity"

    def _print_ImaginaryUnit(self, expr: Any) -> str:
        return "i"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, e = expr.args
        if e == sympy.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if e == sympy.Rational(-1, 2):
            return f"1/sqrt({self._print(base)})"
        if e == -1:
            return f"1/{self.parenthesize(base, 60)}"
        b = self.parenthesize(base, 60)
        return f"{b}^({self._print(e)})"

    def _print_Mul(self, expr: Any) -> str:
        """A product, its factors side by side; over a denominator, the whole numerator
        goes over it ('(5 sqrt(2))/2', a fraction, never '5 sqrt(2)/2', which Typst sets
        as 5 beside a fraction and reads as a mixed number)."""
        text = super()._print_Mul(expr)
        sign = "-" if text.startswith("-") else ""
        body = text[len(sign):]
        depth, star, slash = 0, -1, -1
        for i, ch in enumerate(body):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch == "*" and slash < 0:
                star = i
            elif depth == 0 and ch == "/" and slash < 0:
                slash = i
        if 0 <= star < slash:
            body = f"({body[:slash]}){body[slash:]}"
        return (sign + body).replace("*", " ")


def typst_printer() -> _TypstPrinter:
    # order="none": terms in sympy's canonical argument order (deterministic everywhere,
    # and far cheaper than sorting them for print, which evaluates every term numerically).
    return _TypstPrinter({"order": "none"})


def typst_math(x: Any, printer: _TypstPrinter | None = None) -> str:
    """An exact sympy value as Typst math: '5 sqrt(2)/2', 'e^(2)/(1 + e^(2))', '-infinity'."""
    return (printer or typst_printer()).doprint(x)


def typst_terms(x: Any, printer: _TypstPrinter | None = None) -> str:
    """typst_math(x), with a line break between the terms of a top-level sum (each after
    the first starting with its '+' or '-'), so that a long sum can wrap between terms."""
    from sympy.printing.precedence import precedence

    printer = printer or typst_printer()
    if not x.is_Add:
        return printer.doprint(x)
    pieces = []
    for term in printer._as_ordered_terms(x, order=None):
        t = printer._print(term)
        sign = "+"
        if t.startswith("-") and not term.is_Add:
            sign, t = "-", t[1:]
        if precedence(term) < precedence(x) or term.is_Add:
            t = f"({t})"
        pieces.append(f"{sign} {t}")
    first = pieces[0]
    pieces[0] = first[2:] if first.startswith("+") else "-" + first[2:]
    return "\n".join(pieces)


EXACT_TOTAL = 160  # a part's exact entries, all told, up to this many characters of Typst
EXACT_DIGITS = 6  # a number of this many digits or more makes an exact form unhelpful


def exact_brief(typ: Sequence[Sequence[str]]) -> bool:
    """Whether an exact answer (its entries as Typst math) is short enough to help a
    teacher marking by hand: every entry at most EXACT_WRAP characters, all of them at most
    EXACT_TOTAL, and no number of EXACT_DIGITS digits (LayerNorm's 700 sqrt(26000090) /
    2600009). Otherwise the key prints a note; the JSON key holds the value."""
    flat = [v.replace("\n", " ") for r in typ for v in r]
    return (max(map(len, flat), default=0) <= EXACT_WRAP
            and sum(map(len, flat)) <= EXACT_TOTAL
            and not any(re.search(rf"\d{{{EXACT_DIGITS}}}", v) for v in flat))


def latex_math(x: Any) -> str:
    """An exact sympy value as LaTeX: '\\frac{5 \\sqrt{2}}{2}', '-\\infty'."""
    return sympy.latex(x, order="none")


