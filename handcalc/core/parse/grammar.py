"""The recursive-descent parser of the answer grammar (see handcalc.core.parse): tokens to
exact sympy values, built with constructors only, within the caps of limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handcalc.core.parse.limits import (
    MAX_ABS_VALUE,
    MAX_COLS,
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_EXP_ARGUMENT,
    MAX_INTERMEDIATE,
    MAX_POWER_DENOMINATOR,
    MAX_POWER_NUMERATOR,
    MAX_RATIONAL_BITS,
    MAX_ROOT_BITS,
    MAX_ROWS,
    MAX_TRIG_ARGUMENT,
    PREC,
    ROOT_TOO_BIG,
    TINY,
    Mat,
    Product,
    check_roots,
    rational_bits,
)
from handcalc.core.parse.tokens import ENDS, Token, quoted, show
from handcalc.errors import ParseError
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy


class Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0
        self.group_depth = 0
        self.ws_mode = False
        self.entries = 0

    # -- token helpers -------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(msg("parse.depth", limit=MAX_DEPTH), tok.pos)

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
        if tok.kind in ENDS:
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
                raise ParseError(msg("parse.empty_list"), first.pos)
            rows = self.parse_rows(first)
            close = self.peek()
            if close.kind != "]":
                raise ParseError(msg("parse.bracket_open"), first.pos)
            self.advance()
        else:
            rows = self.parse_rows(None)
        tok = self.peek()
        if tok.kind == "]":
            raise ParseError(msg("parse.bracket_unmatched"), tok.pos)
        if tok.kind != "eof":
            raise ParseError(msg("parse.after_closing", token=quoted(tok)), tok.pos)
        return tuple(tuple(row) for row in rows)

    def parse_nested(self) -> list[list[sympy.Expr]]:
        outer = self.advance()
        rows: list[list[sympy.Expr]] = []
        while True:
            tok = self.peek()
            if tok.kind != "[":
                if tok.kind == "eof":
                    raise ParseError(msg("parse.bracket_open"), outer.pos)
                raise ParseError(msg("parse.row_bracket", row=len(rows) + 1, token=quoted(tok)),
                                 tok.pos)
            opening = self.advance()
            if self.peek().kind == "]":
                raise ParseError(msg("parse.row_empty", row=len(rows) + 1), opening.pos)
            row_pos = self.peek().pos
            row = self.parse_row()
            tok = self.peek()
            if tok.kind == ";":
                raise ParseError(msg("parse.semicolon_in_row"), tok.pos)
            if tok.kind != "]":
                raise ParseError(msg("parse.bracket_open"), opening.pos)
            self.advance()
            self.add_row(rows, row, row_pos)
            tok = self.peek()
            if tok.kind in (",", ";"):
                sep = self.advance()
                nxt = self.peek()
                if nxt.kind == "]":
                    raise ParseError(msg("parse.trailing_row_sep", sep=sep.shown), sep.pos)
                continue
            if tok.kind == "[":
                continue
            if tok.kind == "]":
                self.advance()
                return rows
            if tok.kind == "eof":
                raise ParseError(msg("parse.bracket_open"), outer.pos)
            raise ParseError(msg("parse.after_row", row=len(rows), token=quoted(tok)), tok.pos)

    def parse_rows(self, opening: Token | None) -> list[list[sympy.Expr]]:
        rows: list[list[sympy.Expr]] = []
        while True:
            tok = self.peek()
            if tok.kind in (";", "]", "eof"):
                if rows:
                    prev = self.toks[self.i - 1]
                    if tok.kind == ";":
                        raise ParseError(msg("parse.empty_row_between"), tok.pos)
                    raise ParseError(msg("parse.trailing_semicolon"), prev.pos)
                if tok.kind == ";":
                    raise ParseError(msg("parse.empty_row_before"), tok.pos)
                if tok.kind == "eof" and opening is not None:
                    raise ParseError(msg("parse.bracket_open"), opening.pos)
                raise ParseError(msg("parse.bracket_unmatched"), tok.pos)
            row_pos = tok.pos
            row = self.parse_row()
            self.add_row(rows, row, row_pos)
            if self.peek().kind == ";":
                self.advance()
                continue
            return rows

    def add_row(self, rows: list[list[sympy.Expr]], row: list[sympy.Expr], pos: int) -> None:
        if len(rows) >= MAX_ROWS:
            raise ParseError(msg("parse.too_many_rows", limit=MAX_ROWS), pos)
        if rows and len(row) != len(rows[0]):
            which = "parse.row_length.one" if len(row) == 1 else "parse.row_length"
            raise ParseError(msg(which, row=len(rows) + 1, have=len(row), first=len(rows[0])),
                             pos)
        rows.append(row)

    def parse_row(self) -> list[sympy.Expr]:
        self.ws_mode = not self.row_has_comma()
        entries: list[sympy.Expr] = []
        while True:
            tok = self.peek()
            if tok.kind == ",":
                raise ParseError(msg("parse.empty_entry_before"), tok.pos)
            if len(entries) >= MAX_COLS:
                raise ParseError(msg("parse.too_many_columns", limit=MAX_COLS), tok.pos)
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise ParseError(msg("parse.too_many_entries", limit=MAX_ENTRIES), tok.pos)
            entries.append(self.parse_entry())
            tok = self.peek()
            if tok.kind == ",":
                comma = self.advance()
                nxt = self.peek()
                if nxt.kind in ("eof", ";", "]"):
                    raise ParseError(msg("parse.trailing_comma"), comma.pos)
                if nxt.kind == ",":
                    raise ParseError(msg("parse.empty_entry_between"), nxt.pos)
                continue
            if tok.kind in ("eof", ";", "]"):
                return entries
            if self.ws_mode and tok.space_before and tok.kind != ")":
                continue
            raise self.unexpected_after_value(tok)

    def unexpected_after_value(self, tok: Token) -> ParseError:
        if tok.kind == ")":
            return ParseError(msg("parse.paren_unmatched"), tok.pos)
        if tok.kind == "[":
            return ParseError(msg("parse.bracket_inside"), tok.pos)
        if tok.kind == ",":
            return ParseError(msg("parse.comma_in_parens"), tok.pos)
        if tok.kind == "inf":
            return ParseError(msg("parse.inf_entry"), tok.pos)
        prev = self.toks[self.i - 1]
        which = "parse.missing_operator" + ("" if self.ws_mode else ".comma")
        return ParseError(msg(which, before=prev.shown, after=tok.shown), tok.pos)

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
        product = Product(first)
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
                    raise ParseError(msg("parse.implicit_divide"), operand_pos)
                if self.sign(right, tok.pos, msg("parse.what.divisor")) == 0:
                    raise ParseError(msg("parse.division_by_zero"), tok.pos)
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
        product = Product(value)
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
            raise ParseError(msg("parse.implicit_exponent"), exp_pos)
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
            raise ParseError(msg("parse.inf_in_calculation"), tok.pos)
        if kind == "func":
            self.advance()
            if self.peek().kind != "(":
                raise ParseError(msg("parse.call_paren", func=tok.text), self.peek().pos)
            self.enter(tok)
            arg = self.parse_group(tok.text)
            self.leave()
            return self.apply(tok.text, arg, tok.pos)
        if kind == "root":
            self.advance()
            nxt = self.peek()
            if nxt.kind not in ("num", "const", "(", "root", "func"):
                raise ParseError(msg("parse.root_follow", token=quoted(nxt)), nxt.pos)
            self.enter(tok)
            arg = self.parse_primary()
            self.leave()
            return self.apply("sqrt", arg, tok.pos)
        if kind == "(":
            self.enter(tok)
            value = self.parse_group(None)
            self.leave()
            return value
        raise self.expected_value(tok)

    def parse_group(self, func: str | None) -> sympy.Expr:
        opening = self.advance()
        if self.peek().kind == ")":
            raise ParseError(msg("parse.empty_parens") if func is None else
                             msg("parse.empty_call", func=func), opening.pos)
        self.group_depth += 1
        value = self.parse_sum()
        self.group_depth -= 1
        tok = self.peek()
        if tok.kind == ")":
            self.advance()
            return value
        if tok.kind in ("eof", ";", "]"):
            raise ParseError(msg("parse.paren_open"), opening.pos)
        raise self.unexpected_after_value(tok)

    def expected_value(self, tok: Token) -> ParseError:
        prev = self.toks[self.i - 1] if self.i > 0 else None
        if tok.kind == "eof":
            if prev is not None and prev.kind == "op":
                return ParseError(msg("parse.number_after", token=prev.shown), tok.pos)
            return ParseError(msg("parse.end_expected_number"), tok.pos)
        if tok.kind == "[":
            return self.unexpected_after_value(tok)
        if tok.kind == ")":
            return ParseError(msg("parse.number_before_paren"), tok.pos)
        if tok.kind == "op":
            return ParseError(msg("parse.unexpected_op", token=tok.shown), tok.pos)
        return ParseError(msg("parse.number_before", token=tok.shown), tok.pos)

    # -- checked arithmetic --------------------------------------------------

    @staticmethod
    def numeric(value: sympy.Expr, pos: int, what: Msg) -> sympy.Float:
        if value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise ParseError(msg("parse.not_finite", what=what), pos)
        try:
            num = value.evalf(PREC)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            raise ParseError(msg("parse.cannot_evaluate", what=what), pos) from None
        if not (num.is_Number and num.is_extended_real is True and num.is_finite is True):
            raise ParseError(msg("parse.not_real", what=what), pos)
        return num

    def sign(self, value: sympy.Expr, pos: int, what: Msg) -> int:
        """-1, 0 or 1; 0 also for a value numerically indistinguishable from zero."""
        if value.is_Rational:
            return (value.p > 0) - (value.p < 0)
        num = self.numeric(value, pos, what)
        if abs(num) < TINY:
            return 0
        return 1 if num > 0 else -1

    check_roots = staticmethod(check_roots)

    @staticmethod
    def check_root_argument(arg: sympy.Expr, pos: int) -> None:
        if arg.is_Rational:
            bits = rational_bits(arg)
        else:
            bits = max((rational_bits(atom) for atom in arg.atoms(sympy.Rational)), default=0)
        if bits > MAX_ROOT_BITS:
            raise ParseError(ROOT_TOO_BIG, pos)

    def power(
        self, base: sympy.Expr, exponent: sympy.Expr, base_pos: int, exp_pos: int
    ) -> sympy.Expr:
        if not exponent.is_Rational:
            raise ParseError(msg("parse.exponent_number"), exp_pos)
        p, q = int(exponent.p), int(exponent.q)
        if abs(p) > MAX_POWER_NUMERATOR or q > MAX_POWER_DENOMINATOR:
            raise ParseError(msg("parse.exponent_range", exponent=show(exponent),
                                 p=MAX_POWER_NUMERATOR, q=MAX_POWER_DENOMINATOR), exp_pos)
        sign = self.sign(base, base_pos, msg("parse.what.base"))
        if q > 1 and sign < 0:
            raise ParseError(msg("parse.fractional_base"), base_pos)
        if sign == 0 and p < 0:
            raise ParseError(msg("parse.zero_negative_power"), base_pos)
        if sign == 0 and p == 0:
            raise ParseError(msg("parse.zero_zero"), base_pos)
        if base.is_Rational and rational_bits(base) * abs(p) > MAX_RATIONAL_BITS * q:
            raise ParseError(msg("parse.power_digits"), base_pos)
        if q > 1:
            self.check_root_argument(base, base_pos)
        result = self.check_roots(base**exponent, base_pos)
        if result.is_Rational:
            if rational_bits(result) > MAX_RATIONAL_BITS:
                raise ParseError(msg("parse.power_digits"), base_pos)
        else:
            num = self.numeric(result, base_pos, msg("parse.what.power"))
            if abs(num) > MAX_INTERMEDIATE or (num != 0 and abs(num) < 1 / MAX_INTERMEDIATE):
                raise ParseError(msg("parse.power_range"), base_pos)
        return result

    def apply(self, name: str, arg: sympy.Expr, pos: int) -> sympy.Expr:
        if name == "sqrt":
            if self.sign(arg, pos, msg("parse.what.sqrt")) < 0:
                raise ParseError(msg("parse.sqrt_negative"), pos)
            self.check_root_argument(arg, pos)
            return self.check_roots(sympy.sqrt(arg), pos)
        if name == "exp":
            num = self.numeric(arg, pos, msg("parse.what.exp"))
            if abs(num) > MAX_EXP_ARGUMENT:
                raise ParseError(msg("parse.exp_range", limit=MAX_EXP_ARGUMENT), pos)
            self.check_root_argument(arg, pos)
            return self.check_roots(sympy.exp(arg), pos)
        if name in ("cos", "sin"):  # exact: cos(pi/4) is sqrt(2)/2, cos(1) stays cos(1)
            num = self.numeric(arg, pos, f"the argument of {name}")
            if abs(num) > MAX_TRIG_ARGUMENT:
                raise ParseError(
                    f"{name} argument out of range: it must be between -{MAX_TRIG_ARGUMENT} "
                    f"and {MAX_TRIG_ARGUMENT}",
                    pos,
                )
            self.check_root_argument(arg, pos)
            return self.check_roots((sympy.cos if name == "cos" else sympy.sin)(arg), pos)
        # ln and log are both the natural logarithm
        if self.sign(arg, pos, msg("parse.what.log")) <= 0:
            raise ParseError(msg("parse.log_nonpositive"), pos)
        return sympy.log(arg)

    def finish(self, value: sympy.Expr, pos: int) -> sympy.Expr:
        too_big = msg("parse.value_too_large")
        if value.is_Rational:
            if abs(value) > MAX_ABS_VALUE:
                raise ParseError(too_big, pos)
            return value
        if value.has(sympy.I):
            raise ParseError(msg("parse.not_real_entry"), pos)
        num = self.numeric(value, pos, msg("parse.what.entry"))
        if abs(num) > MAX_ABS_VALUE:
            raise ParseError(too_big, pos)
        return value


# The answers most often typed: plain decimals in rows (commas, or spaces, between entries;
# ';' between rows), bare, in one pair of brackets or a bracket per row. Their value is
# read straight from the text, as the parser would build it; anything else (and anything
# near a cap) goes through the parser.
