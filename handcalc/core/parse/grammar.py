"""The recursive-descent parser of the answer grammar (see handcalc.core.parse): tokens to
exact sympy values, built with constructors only, within the caps of limits."""

from __future__ import annotations

import sympy

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
from handcalc.text.messages import msg


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
                f"unexpected {quoted(tok)} after the closing ']': write a matrix as "
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
                    f"expected '[' to start row {len(rows) + 1}, found {quoted(tok)}: in "
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
                f"expected ',' or ']' after row {len(rows)}, found {quoted(tok)}", tok.pos
            )

    def parse_rows(self, opening: Token | None) -> list[list[sympy.Expr]]:
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

    def unexpected_after_value(self, tok: Token) -> ParseError:
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
                    f"'√' must be followed by a number, a constant or '(', not {quoted(nxt)}",
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

    def expected_value(self, tok: Token) -> ParseError:
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
            num = value.evalf(PREC)
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
            raise ParseError("exponent must be a number like 2 or 1/2", exp_pos)
        p, q = int(exponent.p), int(exponent.q)
        if abs(p) > MAX_POWER_NUMERATOR or q > MAX_POWER_DENOMINATOR:
            raise ParseError(
                f"exponent {show(exponent)} is out of range: it must be a fraction p/q with "
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
        if base.is_Rational and rational_bits(base) * abs(p) > MAX_RATIONAL_BITS * q:
            raise ParseError("number too large: the power has too many digits", base_pos)
        if q > 1:
            self.check_root_argument(base, base_pos)
        result = self.check_roots(base**exponent, base_pos)
        if result.is_Rational:
            if rational_bits(result) > MAX_RATIONAL_BITS:
                raise ParseError("number too large: the power has too many digits", base_pos)
        else:
            num = self.numeric(result, base_pos, "the power")
            if abs(num) > MAX_INTERMEDIATE or (num != 0 and abs(num) < 1 / MAX_INTERMEDIATE):
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
