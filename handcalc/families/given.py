"""Given data: what a family needs to pose an exercise from a person's own numbers.

A family's ``Description`` lists one or more ``Form``s (cross-attention may start from
Q, K, V or from X, H and the weights); a form lists its matrices (``GivenMat``: a name,
a shape in dimension symbols), its parameters (``Param``: a kind, a range, a default or
none) and a rule of its own (``check``) for what shapes cannot say (a head count that
divides d_model, a mask row that hides every key). ``resolve`` turns typed data (exact
matrices, parameter values as typed or as ``show --json`` prints them) into the given and
params of an Instance, exactly as the family's ``draw`` would have made them, or raises
GivenError with one line that names the matrix, parameter, shape or cap at fault.

A dimension in a shape is an int, a parameter's name (the matrix must have that many
rows or columns), a free symbol (every matrix that names it must agree) or a product of
those named before (``h*d_h``). Names of the
form ``K{i}`` stand for several matrices, i running over ``each``: (first, count), two
expressions in the parameters ("t+1", "new").

The caps keep the exact key fast: at most MAX_DIM rows or columns, entries with
|x| <= MAX_ENTRY and a denominator of at most MAX_DENOMINATOR.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat, shape
from handcalc.errors import GivenError
from handcalc.text.messages import Msg, msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

MAX_DIM = 8
MAX_ENTRY = 1000
MAX_DENOMINATOR = 10000
REQUIRED = "required"  # a parameter without a default: the person must give it
OMIT = "omit"  # a parameter left out of the params when not given (as draw leaves it)

KINDS = ("int", "bool", "number", "angle", "choice", "ints")


@dataclass(frozen=True)
class GivenMat:
    """A given matrix: its name (a template ``K{i}`` with ``each``), rows and columns."""

    name: str
    rows: int | str
    cols: int | str
    each: tuple[str, str] | None = None
    optional: bool = False

    def names(self, params: Mapping[str, Any]) -> list[str]:
        if self.each is None:
            return [self.name]
        first, count = (_eval(e, params) for e in self.each)
        return [self.name.format(i=i) for i in range(first, first + count)]

    @property
    def shape_text(self) -> str:
        return f"{self.rows} x {self.cols}"


@dataclass(frozen=True)
class Param:
    """A parameter: its kind (KINDS), bounds, choices, and its default: REQUIRED, OMIT, a
    value, or a function of the given matrices (``note`` says which, for a person)."""

    name: str
    kind: str
    default: Any = REQUIRED
    lo: Any = None
    hi: Any = None
    choices: tuple[str, ...] = ()
    note: str = ""

    def default_text(self) -> Msg | str:
        """The default as a person reads it: a value, or a message (``note`` is
        ``kind:matrix`` or ``kind``: the message given.note.<kind>)."""
        if callable(self.default):
            kind, _, name = self.note.partition(":")
            return msg(f"given.note.{kind}", name=name)
        return _text(self.default)


Check = Callable[[Mapping[str, Mat], dict[str, Any]], None]


@dataclass(frozen=True)
class Form:
    mats: tuple[GivenMat, ...]
    params: tuple[Param, ...]
    ask: tuple[str, ...]  # the quantities it can ask, in order
    default_ask: tuple[str, ...] = ()  # when no parts are named (else every one of ask)
    check: Check | None = None
    # part -> the optional matrices or parameters it needs (gqa's compare: G2)
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # part -> parameters that rule it out (linear's u and Z: not with i, the causal form)
    without: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def fixed_names(self) -> list[str]:
        return [m.name for m in self.mats if m.each is None]


@dataclass(frozen=True)
class Description:
    family: str
    forms: tuple[Form, ...]
    params_first: tuple[str, ...] = ()  # params put first in the result, as draw has them
    order: Callable[[Mapping[str, Any]], list[str]] | None = None  # given names, as drawn

    def form_of(self, given: Mapping[str, Any], params: Mapping[str, Any]) -> int:
        """The index of the form the data is in: the first whose fixed required matrices
        are all given, else the one that names most of the given (its errors then say
        what is missing)."""
        for i, form in enumerate(self.forms):
            needed = [m.name for m in form.mats if m.each is None and not m.optional]
            if all(n in given for n in needed):
                return i
        named = [sum(1 for m in form.mats if m.name in given) for form in self.forms]
        return named.index(max(named))


@dataclass(frozen=True)
class Resolved:
    """Data ready for an Instance: given, params, ask, and its form's index."""

    given: dict[str, Mat]
    params: dict[str, Any]
    ask: tuple[str, ...]
    form: int = 0


def fail(family: str, what: str, **args: Any) -> GivenError:
    return GivenError(msg(f"given.error.{what}", family=family, **args))


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple | list):
        return ", ".join(map(_text, v))
    return sympy.sstr(v) if isinstance(v, sympy.Basic) else str(v)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _eval(expr: str, params: Mapping[str, Any]) -> int:
    """An int expression in parameters: a name, a number, or a sum ``t+1``."""
    total = 0
    for term in expr.replace(" ", "").split("+"):
        total += int(term) if term.isdigit() else int(params[term])
    return total


# ---------------------------------------------------------------- values

_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?(e-?[0-9]{1,3})?", re.ASCII)


def number(family: str, name: str, value: Any, *, angle: bool = False) -> sympy.Expr:
    """An exact number from an int, a JSON float (its shortest decimal: 0.1 is 1/10), a
    sympy value, or text ("1/10", "-0.25", "1e-5"; an angle also "pi/6")."""
    if isinstance(value, bool):
        raise fail(family, "not_number", name=name, text=_text(value))
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise fail(family, "not_number", name=name, text=repr(value))
        return sympy.Rational(repr(value))
    if isinstance(value, Fraction):  # a drawn exact value (handcalc.families.base.Given)
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, sympy.Basic) and angle and (value / sympy.pi).is_Rational:
        return value
    if not isinstance(value, str):
        raise fail(family, "not_number", name=name, text=_text(value))
    text = value.strip()
    if _DECIMAL.fullmatch(text):
        return sympy.Rational(text)
    from handcalc.core.parse import parse_value  # the answer grammar: 1/10, 3/4, pi/6
    from handcalc.errors import ParseError

    try:
        v = parse_value(text)
    except ParseError:
        raise fail(family, "not_number", name=name, text=text[:24]) from None
    if isinstance(v, sympy.Rational) or (angle and (v / sympy.pi).is_Rational):
        return v
    raise fail(family, "not_number", name=name, text=text[:24])


def matrix(family: str, name: str, value: Any) -> Mat:
    """A given matrix from rows of numbers (JSON), typed text ("1 0; 0 1") or a Mat;
    within the caps."""
    if isinstance(value, str):
        from handcalc.core.parse import parse_answer
        from handcalc.errors import ParseError

        try:
            value = parse_answer(value)
        except ParseError as e:
            raise fail(family, "matrix_text", name=name, why=e.text) from None
    if isinstance(value, int | float | Fraction | sympy.Basic) and not isinstance(value, bool):
        value = [[value]]
    if not isinstance(value, list | tuple) or not value:
        raise fail(family, "matrix_rows", name=name)
    if all(not isinstance(r, list | tuple) for r in value):
        value = [value]  # a flat list is one row
    if any(not isinstance(r, list | tuple) or any(isinstance(v, list | tuple | dict)
                                                   for v in r) for r in value):
        raise fail(family, "matrix_rows", name=name)
    rows = [[number(family, name, v) for v in r] for r in value]
    widths = {len(r) for r in rows}
    if len(widths) != 1 or 0 in widths:
        raise fail(family, "matrix_rows", name=name)
    r, c = len(rows), len(rows[0])
    if r > MAX_DIM or c > MAX_DIM:
        raise fail(family, "cap_size", name=name, shape=f"{r} x {c}", cap=MAX_DIM)
    for v in (v for row in rows for v in row):
        if abs(v) > MAX_ENTRY or v.q > MAX_DENOMINATOR:
            raise fail(family, "cap_entry", name=name, value=_short(sympy.sstr(v)), cap=MAX_ENTRY,
                       den=MAX_DENOMINATOR)
    return tuple(tuple(r) for r in rows)


def param_value(family: str, p: Param, value: Any) -> Any:
    """A typed parameter as the family keeps it: int, bool, exact number, str or tuple."""
    if p.kind == "int":
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,7}", value.strip(), re.ASCII):
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(family, "not_int", name=p.name, text=_text(value)[:24])
        out: Any = value
    elif p.kind == "bool":
        text = str(value).strip().lower()
        if isinstance(value, bool):
            out = value
        elif text in ("true", "yes", "1", "y"):
            out = True
        elif text in ("false", "no", "0", "n"):
            out = False
        else:
            raise fail(family, "not_bool", name=p.name, text=text[:24])
    elif p.kind in ("number", "angle"):
        out = number(family, p.name, value, angle=p.kind == "angle")
    elif p.kind == "choice":
        out = str(value).strip().lower()
        if out not in p.choices:
            raise fail(family, "choice", name=p.name, text=out[:24], choices=", ".join(p.choices))
    else:  # ints: a list, or text "2, 3"
        items = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise fail(family, "not_int", name=p.name, text=_text(value)[:24])
        one = Param(p.name, "int")
        out = tuple(param_value(family, one, v) for v in items if v != "")
        if len(out) > MAX_DIM:
            raise fail(family, "cap_size", name=p.name, shape=str(len(out)), cap=MAX_DIM)
    for v in out if isinstance(out, tuple) else (out,):
        if p.lo is not None and not v >= p.lo or p.hi is not None and not v <= p.hi:
            raise fail(family, "range", name=p.name, value=_text(v),
                       range=range_text(p))
    return out


def range_text(p: Param) -> str:
    if p.lo is not None and p.hi is not None:
        return f"{_text(p.lo)} .. {_text(p.hi)}"
    return f">= {_text(p.lo)}" if p.lo is not None else f"<= {_text(p.hi)}"


# ---------------------------------------------------------------- resolving

def resolve(desc: Description, given: Mapping[str, Any], params: Mapping[str, Any],
            parts: tuple[str, ...] | None) -> Resolved:
    """Validate typed data against the description: the given and params of an Instance
    and the parts asked, or GivenError."""
    fam = desc.family
    index = desc.form_of(given, params)
    form = desc.forms[index]
    known = {p.name for p in form.params}
    for name in params:
        if name not in known:
            raise fail(fam, "unknown_param", name=str(name)[:24],
                       names=", ".join(p.name for p in form.params) or "-")
    # the matrices with fixed names first: defaults may read their shapes
    mats: dict[str, Mat] = {}
    for m in form.mats:
        if m.each is None:
            if m.name in given:
                mats[m.name] = matrix(fam, m.name, given[m.name])
            elif not m.optional:
                raise fail(fam, "missing_matrix", name=m.name,
                           names=", ".join(form.fixed_names()))
    # the parameters: typed, else the default
    out: dict[str, Any] = {}
    for p in form.params:
        if p.name in params:
            out[p.name] = param_value(fam, p, params[p.name])
        elif p.default == REQUIRED:
            raise fail(fam, "missing_param", name=p.name,
                       kind=msg(f"given.kind.{p.kind}", choices=", ".join(p.choices)))
        elif p.default == OMIT:
            continue
        elif callable(p.default):
            out[p.name] = param_value(fam, p, p.default(mats, given, out))
        else:
            out[p.name] = p.default
    # the matrices named from parameters
    for m in form.mats:
        if m.each is not None:
            for name in m.names(out):
                if name not in given:
                    raise fail(fam, "missing_matrix", name=name,
                               names=", ".join(m.names(out)))
                mats[name] = matrix(fam, name, given[name])
    expected = [n for m in form.mats for n in m.names(out)]
    for name in given:
        if name not in expected:
            raise fail(fam, "unknown_matrix", name=str(name)[:24],
                       names=", ".join(expected) or "-")
    _check_shapes(fam, form, mats, out)
    if form.check is not None:
        form.check(mats, out)
    ask = _ask(fam, form, parts, mats, out)
    order = [n for m in form.mats for n in m.names(out) if n in mats]
    if desc.order is not None:
        order = desc.order(out)
    first = [n for n in desc.params_first if n in out]
    out = {n: out[n] for n in first + [n for n in out if n not in first]}
    return Resolved({n: mats[n] for n in order}, out, ask, index)


def _check_shapes(fam: str, form: Form, mats: Mapping[str, Mat], params: dict[str, Any]
                  ) -> None:
    from handcalc.text.messages import msg

    bound: dict[str, tuple[int, str]] = {}
    why: Any
    for m in form.mats:
        for name in m.names(params):
            if name not in mats:
                continue
            got = shape(mats[name])
            for dim, n in zip((m.rows, m.cols), got, strict=True):
                if isinstance(dim, int):
                    want, why = dim, ""
                elif "*" in dim:  # a product of parameters and bound symbols: h*d_h
                    want, why = 1, dim
                    for f in dim.split("*"):
                        want *= int(params[f]) if f in params else bound[f][0]
                elif dim in params:
                    want, why = int(params[dim]), dim
                elif dim in bound:
                    want, why = bound[dim][0], msg("given.why.from", dim=dim,
                                                   name=bound[dim][1])
                else:
                    bound[dim] = (n, name)
                    continue
                if n != want:
                    raise fail(fam, "shape", name=name, got=f"{got[0]} x {got[1]}",
                               want=m.shape_text,
                               why=msg("given.why.equals", why=why, want=want) if why
                               else str(want))


def _ask(fam: str, form: Form, parts: tuple[str, ...] | None, mats: Mapping[str, Mat],
         params: Mapping[str, Any]) -> tuple[str, ...]:
    """The parts asked, in the family's order: those named, else the form's default less
    those that need an optional matrix or parameter not given, or that a given parameter
    rules out."""
    def missing(key: str) -> list[str]:
        return [n for n in form.needs.get(key, ()) if n not in mats and n not in params]

    def ruled_out(key: str) -> list[str]:
        return [n for n in form.without.get(key, ()) if n in params]

    if not parts:
        return tuple(k for k in form.default_ask or form.ask
                     if not missing(k) and not ruled_out(k))
    out: list[str] = []
    for key in parts:
        if key not in form.ask:
            raise fail(fam, "unknown_part", key=str(key)[:24], keys=", ".join(form.ask))
        lacking = missing(key)
        if lacking and lacking[0] in {p.name for p in form.params}:
            raise fail(fam, "part_param", key=key, name=", ".join(lacking))
        if lacking:
            raise fail(fam, "missing_matrix", name=", ".join(lacking),
                       names=", ".join(m.name for m in form.mats))
        if ruled_out(key):
            raise fail(fam, "part_without", key=key, name=", ".join(ruled_out(key)))
        if key not in out:
            out.append(key)
    return tuple(sorted(out, key=form.ask.index))


def rule(ok: bool, family: str, what: str, **args: Any) -> None:
    """A family rule: GivenError given.rule.<what> unless ok."""
    if not ok:
        raise GivenError(msg(f"given.rule.{what}", family=family, **args))


def cols(name: str) -> Callable[..., int]:
    """A default: the number of columns of a given matrix."""
    return lambda mats, given, params: len(mats[name][0])


def rows(name: str) -> Callable[..., int]:
    """A default: the number of rows of a given matrix."""
    return lambda mats, given, params: len(mats[name])
